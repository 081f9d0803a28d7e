#!/bin/bash
# fixtures.sh — small WAV recordings for the unit tests.
#
#   tests/unit/fixtures.sh OUTDIR
#
# Synthesized with flite, converted and mixed with sox.  Every file is
# 16 kHz mono 16-bit with 0.8 s of lead-in and 1.5 s of tail, over a low
# white-noise bed (the recognizer's VAD needs a noise floor; digital
# silence is not what a microphone gives).  Then format variants of
# wake_air.wav for the WAV reader tests.  Deterministic: sox runs with -R.
set -euo pipefail

OUT=${1:?usage: fixtures.sh OUTDIR}
SR=16000
LEAD=0.8
TAIL=1.5

die() { echo "fixtures.sh: $*" >&2; exit 1; }
for tool in flite sox; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/so-fixtures.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# speech VOICE TEXT OUT: TEXT spoken by a flite voice, 16 kHz mono 16-bit,
# without lead-in or tail.
speech() {
	flite -voice "$1" -t "$2" -o "$TMP/raw.wav"
	sox -R "$TMP/raw.wav" -r $SR -c 1 -b 16 -e signed-integer "$3"
}

# pad_noise IN OUT: adds the lead-in and the tail, then the noise bed.
pad_noise() {
	local dur
	sox -R "$1" -r $SR -c 1 -b 16 -e signed-integer "$TMP/padded.wav" pad $LEAD $TAIL
	dur=$(soxi -D "$TMP/padded.wav")
	sox -R -n -r $SR -c 1 -b 16 -e signed-integer "$TMP/noise.wav" synth "$dur" whitenoise vol 0.01
	sox -R -m "$TMP/padded.wav" "$TMP/noise.wav" -b 16 -e signed-integer "$2"
}

# wake_fixture VOICE COMMAND OUT: "hey seoul", a pause, then COMMAND.
wake_fixture() {
	speech "$1" "hey seoul." "$TMP/wake.wav"
	speech "$1" "$2" "$TMP/cmd.wav"
	sox -R "$TMP/wake.wav" "$TMP/wake_p.wav" pad 0 0.6
	sox -R "$TMP/wake_p.wav" "$TMP/cmd.wav" "$TMP/joined.wav"
	pad_noise "$TMP/joined.wav" "$3"
}

wake_fixture rms "show me the air quality" "$TMP/wake_air.wav"
wake_fixture awb "show me the traffic" "$TMP/wake_traffic.wav"
speech rms "the weather was lovely this morning so we walked to the river." "$TMP/s.wav"
pad_noise "$TMP/s.wav" "$TMP/nowake.wav"
# The command alone (for speech_expect_command: the remote's voice button).
speech rms "show me the air quality" "$TMP/c.wav"
pad_noise "$TMP/c.wav" "$TMP/cmd_air.wav"

W=$TMP/wake_air.wav
# Format variants of wake_air for the WAV reader.
sox -R "$W" -r 44100 -c 2 -b 16 -e signed-integer "$TMP/air_44k_stereo.wav"
sox -R "$W" -r 8000 -c 1 -b 8 -e unsigned-integer "$TMP/air_8k_u8.wav"
sox -R "$W" -r 48000 -c 1 -b 24 -e signed-integer "$TMP/air_48k_s24.wav"
sox -R "$W" -r 22050 -c 1 -b 32 -e floating-point "$TMP/air_22k_f32.wav"
# Truncated: the header still announces the whole data chunk.
size=$(stat -c %s "$W")
head -c $((size * 2 / 3)) "$W" > "$TMP/air_truncated.wav"

for f in wake_air wake_traffic nowake cmd_air air_44k_stereo air_8k_u8 air_48k_s24 \
	air_22k_f32 air_truncated; do
	mv "$TMP/$f.wav" "$OUT/$f.wav"
done
