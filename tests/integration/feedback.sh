#!/bin/bash
# feedback.sh — the daemon must not wake on its own spoken feedback.
# A copy of the catalogue names the air-quality screen "Hey Seoul" in
# English, so that the feedback after "hey seoul, display the air quality"
# says the wake phrase; -o feedback_echo=yes mixes that feedback into the
# replayed input as a loudspeaker next to the microphone would (the cue is
# off here: it has its own check at the end).
#  - self_mute=yes (the default): exactly one wake per spoken wake phrase,
#    with one wake phrase and with two in a row;
#  - control, self_mute=no: the echo wakes the daemon once more; this is
#    what shows that the checks above can fail at all;
#  - without feedback_echo the renamed catalogue changes nothing;
#  - with feedback_echo and the cue (defaults otherwise), the wake+command
#    still gives the same events: the cue does not spoil the command.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

SPEECH=$CORPUS/0002-wake-command-air-quality.wav    # flite-rms: "hey seoul. display the air quality"
need "$DAEMON" "$SPEECH" "$SRC/models/catalogue.json"
ONE="wake intent:air-quality navigate:air-quality"

sed 's/"id": "air-quality", "en": "[^"]*"/"id": "air-quality", "en": "Hey Seoul"/' \
	"$SRC/models/catalogue.json" >"$T/echo.json"
if ! grep -q '"id": "air-quality", "en": "Hey Seoul"' "$T/echo.json" ||
	! "$DAEMON" -n -o catalogue="$T/echo.json" >/dev/null 2>"$T/echo.err"; then
	fail prerequisites "could not make the catalogue copy: $(tr '\n' ' ' <"$T/echo.err")"
	exit 1
fi

# inputs: the utterance with 3 s of room noise after it (the feedback is
# spoken into that), once and twice in a row
noise_wav "$T/room.wav" 3 -45
sox -R "$SPEECH" "$T/room.wav" "$T/one.wav"
sox -R "$SPEECH" "$T/room.wav" "$SPEECH" "$T/room.wav" "$T/two.wav"

ECHO=(-o catalogue="$T/echo.json" -o feedback_echo=yes -o cue=no)
nwakes() { grep -c '"type":"wake"' "$T/$1.out"; }
ran_ok() { # NAME: exit 0 and the invariants; prints the problem
	[ "$(cat "$T/$1.rc")" = 0 ] || { echo "exit status $(cat "$T/$1.rc"): $(tail -1 "$T/$1.err")"; return; }
	invariants "$T/$1.out"
}

run_daemon plain --audio-file "$T/one.wav" -o catalogue="$T/echo.json"
r=$(ran_ok plain)
[ -n "$r" ] || [ "$(summary "$T/plain.out")" = "$ONE" ] || r="got [$(summary "$T/plain.out")], want [$ONE]"
check without-echo "$r"

run_daemon muted1 --audio-file "$T/one.wav" "${ECHO[@]}"
r=$(ran_ok muted1)
[ -n "$r" ] || [ "$(summary "$T/muted1.out")" = "$ONE" ] || r="got [$(summary "$T/muted1.out")], want [$ONE]"
check self-mute-one-wake "$r"

run_daemon muted2 --audio-file "$T/two.wav" "${ECHO[@]}"
r=$(ran_ok muted2)
# Self-mute is about wakes: two spoken, two heard, each followed by a
# command.  (The second command's words are the recognizer's accuracy,
# measured by make bench: the embedding engine's second opinion has been
# seen to take it for another screen.)
got2=$(summary "$T/muted2.out")
[ -n "$r" ] || [[ $got2 =~ ^wake\ intent:([a-z-]+)\ navigate:([a-z-]+)\ wake\ intent:([a-z-]+)\ navigate:([a-z-]+)$ ]] ||
	r="got [$got2], want [wake intent:X navigate:X wake intent:Y navigate:Y]"
[ -n "$r" ] || [ "$got2" = "$ONE $ONE" ] || note "second command of two.wav: [$got2], the first alone gives [$ONE]"
check self-mute-two-wakes "$r"

run_daemon control --audio-file "$T/one.wav" "${ECHO[@]}" -o self_mute=no
r=$(ran_ok control)
[ -n "$r" ] || [ "$(nwakes control)" -ge 2 ] ||
	r="self_mute=no: $(nwakes control) wake(s) [$(summary "$T/control.out")]; the echo of \"Hey Seoul\" should wake the daemon again, else the self-mute checks prove nothing"
check control-echo-wakes "$r"
note "wakes for one spoken wake phrase with the echo: self_mute=yes $(nwakes muted1), self_mute=no $(nwakes control)"

run_daemon cue --audio-file "$T/one.wav" -o feedback_echo=yes
r=$(ran_ok cue)
[ -n "$r" ] || [ "$(summary "$T/cue.out")" = "$ONE" ] || r="got [$(summary "$T/cue.out")], want [$ONE]"
check echo-with-cue "$r"
