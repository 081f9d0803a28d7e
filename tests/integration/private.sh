#!/bin/bash
# private.sh — private mode as the seed has it, through the real daemon, a
# replayed room camera (--video-file) and real websocket clients:
#  - a paired remote presses the private-mode button (select
#    {command:"private-mode"}): while the enrolled face (ORL s1) is
#    verified, a trusted display gets "preview" events (base64 of a valid
#    JPEG, at most 320 px wide, about every 0.2 s of camera time) and
#    "verify" progress (step "look", then "blink" once the face matched),
#    then "verify" verified and "mode" private; a public display on the same
#    daemon gets no preview, no verify, no private byte;
#  - each refusal says why and what to do (verify "reason" + "hint", and
#    the denied event's "cause" + "hint"): no camera configured
#    (no-camera), the face not enrolled (not-enrolled), not verified in
#    time (timeout), the remote's confirmation refused (refused-on-remote);
#  - with private_unlock = voice the same button gives mode private at
#    once, with no camera and no preview;
#  - said ("hey seoul. private mode.", flite) instead of pressed: the same
#    preview, progress and result.
# Runnable alone:  BUILD=build tests/run-integration private
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

ORL=${ORL_DIR:-$SRC/../shared/data/faces/orl}
MODEL=$SRC/models/blazeface/face_detection_front_128x128_barracuda.onnx
need "$DAEMON" "$WSCLIENT" "$MODEL" "$ORL/s1/8.pgm"
need /usr/bin/base64 /usr/bin/od "$(command -v flite || echo flite)"
ST=$T/state
face() { "$DAEMON" --state-dir "$ST" -o face_model="$MODEL" face "$@"; }

face enroll --name s1 "$ORL"/s1/{1,2,3,4,5}.pgm >"$T/enroll.out" 2>&1 ||
	fail enroll "$(cat "$T/enroll.out")"
"$DAEMON" --state-dir "$ST" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
"$DAEMON" --state-dir "$ST" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$(head -1 "$T/tab.tok")\"}"
H_WALL="{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$(head -1 "$T/wall.tok")\"}"
H_PUB='{"type":"hello","role":"display","name":"kiosk"}'
PRESS='{"type":"select","command":"private-mode","id":1}'

# Frames (15 fps): s1 photo 8 for 2 s, a head turn (photo 6) for 0.6 s,
# photo 8 again (the frames face.sh unlocks with); "still": photo 8 only.
mkdir -p "$T/live" "$T/still"
for k in $(seq 0 119); do
	src=8
	[ "$k" -ge 30 ] && [ "$k" -lt 39 ] && src=6
	cp "$ORL/s1/$src.pgm" "$T/live/$(printf %06d "$k").pgm"
	cp "$ORL/s1/8.pgm" "$T/still/$(printf %06d "$k").pgm"
done

# session NAME FRAMES [OPTIONS]: the daemon (on FRAMES, or no camera for
# "-"), a trusted wall and a public kiosk listening, the remote presses the
# button.  Sets S_ERR when something did not run.
session() {
	local name=$1 frames=$2 sd=$ST status pw pp
	shift 2
	S_ERR=""
	if [ "$frames" = - ]; then
		start_daemon "$name" --events-stdout "$@" || { S_ERR="$START_ERROR"; return; }
	else
		start_daemon "$name" --video-file "$frames" --events-stdout --exit-at-eof \
			-o face_model="$MODEL" -o face_every=1 "$@" || { S_ERR="$START_ERROR"; return; }
	fi
	client "$name-wall" --send "$H_WALL" --timeout 14
	pw=$CPID
	client "$name-kiosk" --send "$H_PUB" --timeout 14
	pp=$CPID
	sleep 0.4
	"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send "$PRESS" \
		--until "${S_UNTIL:-ok}" --timeout 12 >"$T/$name.msgs" 2>&1
	if [ "$frames" = - ]; then
		sleep 0.5
		stop_daemon "$DPID"
	else
		wait_exit "$DPID" 30
		status=$ST
		ST=$sd
		[ "$status" = timeout ] && stop_daemon "$DPID"
		[ "$status" = 0 ] || S_ERR="exit status $status: $(tail -2 "$T/$name.err" | tr '\n' ' ')"
	fi
	ST=$sd
	wait "$pw" "$pp" 2>/dev/null
}

# jpeg_ok LINE: the preview's data decodes to a JPEG (SOI ... EOI) of its w.
jpeg_ok() {
	local line=$1 f=$T/frame.jpg w
	sed 's/.*"data":"\([^"]*\)".*/\1/' <<<"$line" | base64 -d >"$f" 2>/dev/null ||
		{ echo "data is not base64"; return; }
	[ "$(od -An -tx1 -N3 "$f" | tr -d ' ')" = ffd8ff ] || { echo "no JPEG start: $(od -An -tx1 -N4 "$f")"; return; }
	[ "$(tail -c 2 "$f" | od -An -tx1 | tr -d ' ')" = ffd9 ] || { echo "no JPEG end"; return; }
	w=$(jget "$line" w)
	[ "$w" -ge 16 ] && [ "$w" -le 320 ] || echo "width $w"
}

# ---- the button from a paired remote: preview, progress, verified
session verified "$T/live" -o private_face=s1 -o face_verify_timeout_s=6
r=$S_ERR
W=$T/verified-wall.msgs
P=$T/verified-kiosk.msgs
[ -z "$r" ] && ! grep -q '"type":"ok","id":1' "$T/verified.msgs" && r="the press was not ok: $(head -c 300 "$T/verified.msgs")"
check button-select-ok "$r"
n=$(grep -c '"type":"preview"' "$W")
r=""
[ "$n" -ge 3 ] || r="$n preview events on the trusted wall: $(summary "$W")"
if [ -z "$r" ]; then
	first=$(grep -m1 '"type":"preview"' "$W")
	r=$(jpeg_ok "$first")
	[ -z "$r" ] && [ "$(jget "$first" format)/$(jget "$first" camera)" != jpeg/room ] && r="format/camera: $first"
	[ "$(grep '"type":"preview"' "$W" | wc -c)" -gt $((n * 400)) ] || r="${r}previews too small to be frames"
fi
check trusted-preview-jpeg "$r"
note "previews on the wall: $n, first $(grep -m1 '"type":"preview"' "$W" | wc -c) bytes"
# about every 0.2 s of camera time
ts=$(grep '"type":"preview"' "$W" | sed 's/.*"t":\([0-9.]*\).*/\1/' | head -5 | tr '\n' ' ')
r=$(awk -v ts="$ts" 'BEGIN { n = split(ts, a, " "); for (i = 2; i <= n; i++) { d = a[i] - a[i-1]; if (d < 0.15 || d > 0.5) { print "gap " d " s between previews (" ts ")"; exit } } }')
check preview-interval "$r"
r=""
grep -q '"type":"verify".*"state":"started".*"step":"look".*"hint":"look at the camera"' "$W" || r="no started/look: $(grep verify "$W" | head -3)"
grep -q '"type":"verify".*"state":"progress".*"step":"blink"' "$W" || r="${r}no progress step blink: $(grep '"verify"' "$W" | cut -c1-200 | head -5)"
check verify-progress "$r"
r=""
order=$(grep -o '"type":"\(verify\|mode\|preview\)"[^{]*' "$W" | grep -v preview | sed 's/"seq".*"state":"\([a-z]*\)".*/\1/; s/"seq".*"mode":"\([a-z]*\)".*/mode:\1/; s/"type"://; s/"//g' | tr '\n' ' ')
grep -q '"type":"verify".*"state":"verified"' "$W" && grep -q '"type":"mode".*"mode":"private"' "$W" ||
	r="no verified → mode private: $order"
# no preview after the result
last_prev=$(grep -n '"type":"preview"' "$W" | tail -1 | cut -d: -f1)
verified_at=$(grep -n '"state":"verified"' "$W" | head -1 | cut -d: -f1)
[ -z "$r" ] && [ "$last_prev" -gt "$verified_at" ] && r="a preview after the result (line $last_prev > $verified_at)"
check verified-result "$r"
note "wall: $order"
r=""
grep -q '"type":"preview"' "$P" && r="a preview on the public kiosk"
grep -q '"type":"verify"' "$P" && r="${r} a verify event on the public kiosk"
grep -q '"data"\|"mode":"private"\|/9j/' "$P" && r="${r} private bytes on the public kiosk"
grep -q '"type":"hello".*"view":"public"' "$P" || r="${r} the kiosk was not public: $(head -c 200 "$P")"
check public-no-preview "$r"
r=""
grep -q '"type":"preview"' "$T/verified.out" || r="no preview in the trusted event stream (stdout)"
check trusted-stream "$r"

# ---- refusals: why and what to do
# no camera configured, private_unlock = face (the default)
session nocamera - -o audio=none
r=$S_ERR
d=$(grep -m1 '"type":"denied".*"command":"private-mode"' "$T/nocamera-wall.msgs")
[ -z "$r" ] && [ "$(jget "$d" cause)" != no-camera ] && r="denied: ${d:-none} ($(summary "$T/nocamera-wall.msgs"))"
[ -z "$r" ] && [ "$(jget "$d" hint)" != "set camera_room, or private_unlock = voice" ] && r="hint: $d"
[ -z "$r" ] && grep -q '"type":"preview"' "$T/nocamera-wall.msgs" && r="a preview with no camera"
[ -z "$r" ] && ! grep -q '"type":"error".*"code":"denied"' "$T/nocamera.msgs" && r="the remote's reply: $(head -c 300 "$T/nocamera.msgs")"
[ -z "$r" ] && grep -q '"type":"denied"' "$T/nocamera-kiosk.msgs" && r="the refusal on the public kiosk"
check refusal-no-camera "$r"
note "no camera: $d"

# the name asked for is not enrolled
session notenrolled "$T/still" -o private_face=s7 -o face_verify_timeout_s=3
r=$S_ERR
v=$(grep -m1 '"type":"verify".*"state":"failed"' "$T/notenrolled-wall.msgs")
[ -z "$r" ] && [ "$(jget "$v" reason)" != not-enrolled ] && r="verify: ${v:-none} ($(summary "$T/notenrolled-wall.msgs"))"
[ -z "$r" ] && [ "$(jget "$v" hint)" != "enroll with smartofficed face enroll --name s7 --camera" ] && r="hint: $v"
d=$(grep -m1 '"type":"denied".*"command":"private-mode"' "$T/notenrolled-wall.msgs")
[ -z "$r" ] && [ "$(jget "$d" cause)/$(jget "$d" reason)" != not-enrolled/face-verification-failed ] && r="denied: $d"
[ -z "$r" ] && grep -q '"mode":"private"' "$T/notenrolled.out" && r="private mode without an enrollment"
check refusal-not-enrolled "$r"
note "not enrolled: $v"

# enrolled, looks at the camera, never blinks or turns: not in time
session timeout "$T/still" -o private_face=s1 -o face_verify_timeout_s=2
r=$S_ERR
v=$(grep -m1 '"type":"verify".*"state":"failed"' "$T/timeout-wall.msgs")
[ -z "$r" ] && [ "$(jget "$v" reason)" != timeout ] && r="verify: ${v:-none} ($(summary "$T/timeout-wall.msgs"))"
[ -z "$r" ] && [ "$(jget "$v" hint)" != "look at the camera and try again" ] && r="hint: $v"
[ -z "$r" ] && ! grep -q '"type":"preview"' "$T/timeout-wall.msgs" && r="no preview while it ran"
[ -z "$r" ] && grep -q '"mode":"private"' "$T/timeout.out" && r="private mode from a still face"
[ -z "$r" ] && grep -q '"type":"preview"\|"type":"verify"' "$T/timeout-kiosk.msgs" && r="verification on the public kiosk"
check refusal-timeout "$r"
note "timeout: $v"

# the face verified, the remote says no
S_UNTIL=denied
export S_UNTIL
start_daemon confirm --video-file "$T/live" --events-stdout --exit-at-eof -o face_model="$MODEL" -o face_every=1 \
	-o private_face=s1 -o face_verify_timeout_s=6 -o private_confirm=remote || fail confirm-start "$START_ERROR"
client confirm-wall --send "$H_WALL" --timeout 40   # ends with the daemon
pw=$CPID
sleep 0.4
# the remote presses, waits for the confirmation request, refuses it
( "$WSCLIENT" --port "$PORT" --send "$H_TAB" --send "$PRESS" --until confirm --timeout 12 >"$T/confirm.msgs" 2>&1 ) &
CHILD_PIDS+=("$!")
r=""
wait_for "$T/confirm-wall.msgs" '"type":"verify".*"state":"confirm"' 12 || r="no confirmation request: $(summary "$T/confirm-wall.msgs")"
if [ -z "$r" ]; then
	"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"confirm","accept":false,"id":2}' \
		--until ok --timeout 5 >"$T/confirm2.msgs" 2>&1
	wait_for "$T/confirm-wall.msgs" '"type":"verify".*"state":"refused"' 5 || r="no refusal: $(summary "$T/confirm-wall.msgs")"
fi
v=$(grep -m1 '"type":"verify".*"state":"refused"' "$T/confirm-wall.msgs")
[ -z "$r" ] && [ "$(jget "$v" reason)" != refused-on-remote ] && r="verify: $v"
[ -z "$r" ] && [ -z "$(jget "$v" hint)" ] && r="no hint: $v"
check refusal-remote "$r"
note "remote refused: $v"
stop_daemon "$DPID"
wait "$pw" 2>/dev/null
unset S_UNTIL

# ---- private_unlock = voice: the same button, no camera, no preview
session voice - -o audio=none -o private_unlock=voice
r=$S_ERR
[ -z "$r" ] && ! grep -q '"type":"mode".*"mode":"private"' "$T/voice-wall.msgs" && r="no mode private: $(summary "$T/voice-wall.msgs")"
[ -z "$r" ] && grep -q '"type":"preview"' "$T/voice-wall.msgs" && r="a preview without a camera"
[ -z "$r" ] && grep -q '"mode":"private"' "$T/voice-kiosk.msgs" && r="private mode told to the public kiosk"
check unlock-voice "$r"

# ---- voice "private mode" takes the same path: preview, progress, verified
# (flite's "hey seoul." + "private mode." from 0.8 s; the head turn at 6 s)
mkdir -p "$T/late"
for k in $(seq 0 179); do
	src=8
	[ "$k" -ge 90 ] && [ "$k" -lt 99 ] && src=6
	cp "$ORL/s1/$src.pgm" "$T/late/$(printf %06d "$k").pgm"
done
flite -voice rms -t "hey seoul." -o "$T/w.raw.wav" && flite -voice rms -t "private mode." -o "$T/c.raw.wav" &&
	sox -R "$T/w.raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/w.wav" pad 0.8 0.6 &&
	sox -R "$T/c.raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/c.wav" pad 0 9 &&
	sox -R "$T/w.wav" "$T/c.wav" "$T/voice.wav" || fail voice-audio "flite/sox could not make the audio"
start_daemon spoken --audio-file "$T/voice.wav" --video-file "$T/late" --events-stdout --exit-at-eof \
	-o face_model="$MODEL" -o face_every=1 -o private_face=s1 -o face_verify_timeout_s=10 \
	-o speak=no -o cue=no || fail spoken-start "$START_ERROR"
client spoken-wall --send "$H_WALL" --timeout 60   # ends with the daemon
pw=$CPID
client spoken-kiosk --send "$H_PUB" --timeout 60
pp=$CPID
wait_exit "$DPID" 30
[ "$ST" = timeout ] && stop_daemon "$DPID"
ST=$T/state
wait "$pw" "$pp" 2>/dev/null
W=$T/spoken-wall.msgs
r=""
grep -q '"type":"intent".*"command":"private-mode".*"source":"voice"' "$W" || r="no spoken private-mode intent: $(summary "$W")"
[ -z "$r" ] && [ "$(grep -c '"type":"preview"' "$W")" -lt 3 ] && r="previews: $(grep -c '"type":"preview"' "$W")"
[ -z "$r" ] && ! grep -q '"type":"verify".*"state":"verified"' "$W" && r="no verified: $(summary "$W")"
[ -z "$r" ] && ! grep -q '"type":"mode".*"mode":"private"' "$W" && r="no mode private: $(summary "$W")"
[ -z "$r" ] && grep -q '"type":"preview"\|"type":"verify"\|"mode":"private"' "$T/spoken-kiosk.msgs" && r="verification on the public kiosk"
check voice-same-path "$r"
note "voice: $(grep -c '"type":"preview"' "$W") previews; $(summary "$W" | cut -c1-200)"
