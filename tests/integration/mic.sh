#!/bin/bash
# mic.sh — a microphone that vanishes and comes back mid-stream, through the
# real daemon and real websocket clients.  The replay row plays it
# (--audio-file PATH@unplug=T+D, devices/mic.h): at 3.0 s into a wake +
# command file with 7 s of lead-in, reads fail with ENODEV (as PortAudio's
# do when ALSA loses a USB microphone) and the device cannot be opened for
# 1.0 s.  In real time, with a trusted display and a public one connected:
#  - the trusted client gets {"type":"mic","mic":"room","state":"lost",
#    "reason":...} then {"type":"mic","state":"back","gone_s":...}: lost at
#    once (t 3.0), back within 2 s of the loss and within 1.1 s of the device
#    returning; the public client gets neither;
#  - the daemon logs the loss once and the return, and goes on: the wake and
#    the command after the gap are recognized, at the same stream times as
#    in a run without the unplug (stream time continues: nothing heard
#    twice, the gap counted; within 0.3 s, see checks_on), and it exits 0
#    at the end of the file;
#  - --no-realtime gives the same lost/back and the same times;
#  - --record writes the gap as silence: the recording is as long as the
#    input and replays to the same events;
#  - a bad unplug schedule is refused at start (file:line style message).
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

SPEECH=$CORPUS/0002-wake-command-air-quality.wav    # flite-rms: "hey seoul. display the air quality"
need "$DAEMON" "$WSCLIENT" "$SPEECH"

# 3 s before the unplug: time for the clients to connect, even under ASan
lead_in "$SPEECH" "$T/in.wav" 7
OPTS=(-o engine=pocketsphinx -o speak=no -o cue=no)

# the reference: no unplug, as fast as possible (PocketSphinx: this test is
# about the microphone, not about recognition)
run_daemon ref --audio-file "$T/in.wav" "${OPTS[@]}"
ref=$(summary "$T/ref.out")
if [ "$ref" != "wake intent:air-quality navigate:air-quality" ] || [ "$(cat "$T/ref.rc")" != 0 ]; then
	fail reference "the run without an unplug gave [$ref], exit $(cat "$T/ref.rc"): the input is unusable"
	exit 1
fi
pass reference
ref_wake_t=$(jget "$(grep '"type":"wake"' "$T/ref.out")" t)
ref_intent_t=$(jget "$(grep '"type":"intent"' "$T/ref.out")" t)

"$DAEMON" --state-dir "$T/state" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
WALL=$(head -1 "$T/wall.tok")
H_WALL="{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}"

# checks_on NAME OUT: the mic events of one run's event stream (stdout).
checks_on() {
	local name=$1 out=$2 lost back r=""
	lost=$(grep '"type":"mic"' "$out" | sed -n 1p)
	back=$(grep '"type":"mic"' "$out" | sed -n 2p)
	[ "$(grep -c '"type":"mic"' "$out")" = 2 ] || r="$(grep -c '"type":"mic"' "$out") mic events, want 2 (lost, back): $(summary "$out")"
	[ -n "$r" ] || [ "$(jget "$lost" state)" = lost ] || r="first mic event: ${lost:0:120}"
	[ -n "$r" ] || [ "$(jget "$back" state)" = back ] || r="second mic event: ${back:0:120}"
	[ -n "$r" ] || [ "$(jget "$lost" mic)" = room ] || r="lost names mic \"$(jget "$lost" mic)\", want room"
	[ -n "$r" ] || jget "$lost" reason | grep -q 'No such device' || r="lost without the reason: ${lost:0:160}"
	[ -n "$r" ] || awk -v t="$(jget "$lost" t)" 'BEGIN { exit !(t >= 2.99 && t <= 3.03) }' ||
		r="lost at t $(jget "$lost" t), want 3.0 (the first failed read)"
	[ -n "$r" ] || awk -v g="$(jget "$back" gone_s)" 'BEGIN { exit !(g >= 1.0 && g <= 2.0 && g - 1.0 <= 1.1) }' ||
		r="back after $(jget "$back" gone_s) s, want 1.0 to 2.0 (the device is gone 1.0 s)"
	[ -n "$r" ] || awk -v a="$(jget "$lost" t)" -v b="$(jget "$back" t)" -v g="$(jget "$back" gone_s)" \
		'BEGIN { d = b - a - g; exit !(d > -0.01 && d < 0.01) }' ||
		r="back at t $(jget "$back" t), lost at $(jget "$lost" t) + gone_s $(jget "$back" gone_s): stream time did not go on by the gap"
	check "$name-lost-back" "$r"
	r=""
	[ "$(summary <(grep -v '"type":"mic"' "$out"))" = "$ref" ] || r="events besides mic: $(summary "$out"), want $ref"
	# Within 0.3 s: PocketSphinx hears the gap as silence where the
	# reference heard the lead-in's noise, which moves its wake by about
	# 0.2 s; a time base that lost or counted the gap twice is 1 s off.
	[ -n "$r" ] || awk -v a="$(jget "$(grep '"type":"wake"' "$out")" t)" -v b="$ref_wake_t" \
		'BEGIN { d = a - b; exit !(d > -0.3 && d < 0.3) }' ||
		r="wake at t $(jget "$(grep '"type":"wake"' "$out")" t), $ref_wake_t without the unplug"
	[ -n "$r" ] || awk -v a="$(jget "$(grep '"type":"intent"' "$out")" t)" -v b="$ref_intent_t" \
		'BEGIN { d = a - b; exit !(d > -0.3 && d < 0.3) }' ||
		r="intent at t $(jget "$(grep '"type":"intent"' "$out")" t), $ref_intent_t without the unplug"
	check "$name-goes-on" "$r"
}

# ---- real time, with clients
if ! start_daemon live --audio-file "$T/in.wav@unplug=3+1" --events-stdout --exit-at-eof "${OPTS[@]}"; then
	fail start "$START_ERROR"
	exit 1
fi
client wall --send "$H_WALL" --until navigate --timeout 30; cw=$CPID
client pub --until navigate --timeout 30; cp=$CPID
if wait_for "$T/wall.msgs" '"type":"hello"' 1.5 && wait_for "$T/pub.msgs" '"type":"hello"' 1.5; then
	pass clients-connected
else
	fail clients-connected "no hello within 1.5 s: $(cat "$T/wall.cerr" "$T/pub.cerr" | tr '\n' ' ')"
fi
wait_exit "$cw" 30; stw=$ST
wait_exit "$cp" 30; stp=$ST
wait_exit "$DPID" 20
expect_eq live-exit "$ST" 0 "exit status at the end of the file ($(tail -2 "$T/live.err" | tr '\n' ' '))"
expect_eq wall-client-exit "$stw" 0 "wsclient status ($(tr '\n' ' ' <"$T/wall.cerr"))"
expect_eq public-client-exit "$stp" 0 "wsclient status ($(tr '\n' ' ' <"$T/pub.cerr"))"
checks_on live "$T/live.out"
# the trusted client saw what stdout saw, in order: lost, back, then the command
check wall-sees-lost-back "$(grep -o '"type":"[a-z]*"' "$T/wall.msgs" | grep -v hello | tr '\n' ' ' |
	grep -q '"type":"mic" "type":"mic" "type":"wake" "type":"intent" "type":"navigate"' ||
	echo "the trusted display got: $(grep -o '"type":"[a-z]*"' "$T/wall.msgs" | tr '\n' ' ')")"
check wall-lost-then-back "$(grep '"type":"mic"' "$T/wall.msgs" | grep -o '"state":"[a-z]*"' | tr '\n' ' ' |
	grep -qx '"state":"lost" "state":"back" ' || echo "mic states: $(grep '"type":"mic"' "$T/wall.msgs" | tr '\n' '|')")"
check public-sees-no-mic "$(! grep -q '"type":"mic"' "$T/pub.msgs" || echo "a public display got a mic event")"
check log-lost-once "$([ "$(grep -c 'microphone lost' "$T/live.err")" = 1 ] ||
	echo "$(grep -c 'microphone lost' "$T/live.err") \"microphone lost\" lines: $(grep -i 'microphone' "$T/live.err" | tr '\n' '|')")"
check log-back "$(grep -q 'microphone is back' "$T/live.err" || echo "no \"microphone is back\" line")"
note "$(grep -E 'microphone (lost|is back)' "$T/live.err" | sed 's/^.*: microphone/microphone/' | tr '\n' ';')"

# ---- as fast as possible: the same
run_daemon fast --audio-file "$T/in.wav@unplug=3+1" "${OPTS[@]}"
expect_eq fast-exit "$(cat "$T/fast.rc")" 0 "exit status ($(tail -2 "$T/fast.err" | tr '\n' ' '))"
checks_on fast "$T/fast.out"

# ---- --record keeps the stream's timeline: the gap as silence, so the
# recording replays with the same times
run_daemon rec --audio-file "$T/in.wav@unplug=3+1" --record "$T/rec" "${OPTS[@]}"
expect_eq record-exit "$(cat "$T/rec.rc")" 0 "exit status ($(tail -2 "$T/rec.err" | tr '\n' ' '))"
expect_eq record-length "$(soxi -s "$T/rec/audio.wav" 2>&1)" "$(soxi -s "$T/in.wav")" "samples recorded"
run_daemon replay --audio-file "$T/rec/audio.wav" "${OPTS[@]}"
check record-replays "$([ "$(summary "$T/replay.out")" = "$ref" ] || echo "the recording gave: $(summary "$T/replay.out")")"

# ---- a bad schedule is refused before anything plays
refused_run bad-schedule "in.wav@unplug=2" 'expected PATH@unplug=T\+D' --audio-file "$T/in.wav@unplug=2" "${OPTS[@]}"
