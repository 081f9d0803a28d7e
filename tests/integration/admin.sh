#!/bin/bash
# admin.sh — the admin role and `smartofficed admin` (docs/admin.md) through
# the real daemon and real websocket clients:
#  - the command line, admitted by STATE_DIR/admin.cookie: status lists the
#    devices, the recognizer's heads, the connected clients and the paired
#    devices; command runs a typed command (a wall sees the navigate, source
#    "typed"; words that name nothing exit 1); audit names who changed the
#    screen (the command line, a remote by name and token, the room voice);
#    snapshot writes the room camera's frame as a JPEG; the cookie is gone
#    once the daemon stops, and then admin says there is no daemon;
#  - the refusals: admin messages from a paired remote or a public client
#    are "unauthorized", a typed command from a public client too; bad
#    members are "bad-request" (no text, unknown token id, a bad name, demo
#    without on, a snapshot without a camera); pairing never makes an admin;
#  - revoke from the admin role drops the remote's live connection to the
#    public view at once (a public hello), rename shows in tokens list;
#  - the demo session: demo = no plays nothing, demo = yes navigates, a tap
#    pauses it (its spoken command is dropped, "demo session: paused" is
#    logged and status says paused), and the hello says it is a demo.
#  - the review's findings (issue 10): the walls' demo event comes at the
#    tap, not when the demo next speaks, and again when the pause runs out;
#    reading:false from a client that was not reading does not pause it;
#    the readers' cap is logged once; connect and leave lines are rate
#    limited; a 199-byte Korean typed command is kept whole among the
#    utterances; full-width punctuation and spaces in a typed command;
#    status carries the running enrollment; a rename shows on the live
#    connection at once, and a pairing applies a revoke the command line
#    made just before; the remote's voice is audited by its name and
#    token; heads.json is read again only when it changes or on SIGHUP;
#    admin messages from an admin hello without a good token, a snapshot
#    from a remote and a hello name with a control character are refused;
#    a second daemon on the same state directory is refused (naming it and
#    the first one's pid) and leaves the first one's cookie; a cookie left
#    by kill -9 is refused by the next daemon; a cookie that is no longer
#    the daemon's own is left in place when it stops.
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

ORL=${ORL_DIR:-$SRC/../shared/data/faces/orl}
need "$DAEMON" "$WSCLIENT" "$CORPUS/0002-wake-command-air-quality.wav" "$ORL/s1/8.pgm"
SD=$T/state   # (not ST: wait_exit and stop_daemon set ST to an exit status)
adm() { "$DAEMON" --state-dir "$SD" admin "$@"; }
tok() { "$DAEMON" --state-dir "$SD" tokens "$@"; }

tok add --role remote --name "kim tablet" >"$T/tab.tok" 2>/dev/null
tok add --role admin --name "ops desk" >"$T/adm.tok" 2>/dev/null
TAB=$(head -1 "$T/tab.tok")
ADM=$(head -1 "$T/adm.tok")
TAB_ID=$(tok list | awk '$2 == "remote" { print $1 }')
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"kim tablet\",\"token\":\"$TAB\"}"
H_ADM="{\"type\":\"hello\",\"role\":\"admin\",\"name\":\"ops\",\"token\":\"$ADM\"}"
H_PUB='{"type":"hello","role":"display","name":"kiosk"}'

# The demo session: 6 s of room noise, then "hey seoul ... air quality".
lead_in "$CORPUS/0002-wake-command-air-quality.wav" "$T/demo.wav" 6
# Frames for the room camera: one face, 15 fps, 60 s.
mkdir -p "$T/cam"
for k in $(seq 0 899); do ln -s "$ORL/s1/8.pgm" "$T/cam/$(printf %06d "$k").pgm"; done

# ---- demo = no: nothing the demo says moves a wall
run_daemon demo-off -o audio=demo -o "demo_audio=$T/demo.wav" -o demo_loop=no -o demo=no
r=""
[ "$(cat "$T/demo-off.rc")" = 0 ] || r="exit status $(cat "$T/demo-off.rc"): $(tail -2 "$T/demo-off.err")"
[ -n "$r" ] || ! grep -q '"type":"navigate"' "$T/demo-off.out" || r="the demo navigated: $(grep -m1 navigate "$T/demo-off.out")"
[ -n "$r" ] || grep -q 'demo session: off' "$T/demo-off.err" || r="no \"demo session: off\" line"
check demo-off "$r"
run_daemon demo-on -o audio=demo -o "demo_audio=$T/demo.wav" -o demo_loop=no
r=""
grep -q '"type":"navigate".*"source":"voice"' "$T/demo-on.out" ||
	r="no navigate from the demo's voice: $(tail -2 "$T/demo-on.err")"
check demo-on "$r"

# ---- a running daemon: the demo as audio, the room camera
start_daemon live -o audio=demo -o "demo_audio=$T/demo.wav" -o demo_loop=no -o demo_pause_s=60 \
	-o "camera_room=images:$T/cam@15" || { fail start "$START_ERROR"; exit 1; }
client wall --send "$H_PUB" --timeout 30
WALL=$CPID
wait_for "$T/wall.msgs" '"type":"hello"' 3   # it sees the tap's demo event
# A tap at once, before the demo's words at 6 s: the demo pauses.
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","content":"transportation","id":3}' \
	--until ok --timeout 5 >"$T/tap.msgs" 2>&1
r=""
grep -q '"hello".*"demo":{"state":"playing"' "$T/tap.msgs" || r="the hello does not say the demo plays: $(head -c 300 "$T/tap.msgs")"
check hello-demo "$r"
# The walls' badge follows the tap at once (the demo speaks only at 6 s).
r=""
wait_for "$T/wall.msgs" '"type":"demo".*"state":"paused".*"why":"someone is using a display"' 1.5 ||
	r="no demo event (paused) on the wall within 1.5 s of the tap: $(grep -c '"type":"demo"' "$T/wall.msgs") demo events"
check demo-event-at-tap "$r"

r=""
[ -f "$SD/admin.cookie" ] || r="no $SD/admin.cookie"
[ -n "$r" ] || [ "$(stat -c %a "$SD/admin.cookie")" = 600 ] || r="cookie mode $(stat -c %a "$SD/admin.cookie")"
check cookie "$r"

adm status >"$T/status.out" 2>&1
r=""
grep -q '^mic .*running .*file:.*demo.wav' "$T/status.out" || r="no running demo mic line"
[ -n "$r" ] || grep -q '^room_camera .*running' "$T/status.out" || r="no running room camera line"
[ -n "$r" ] || grep -q 'speech: engine embedding' "$T/status.out" || r="no engine line"
[ -n "$r" ] || grep -qE '^  wake +sha256 [0-9a-f]{16}' "$T/status.out" || r="no wake head version"
[ -n "$r" ] || grep -qE "^  $TAB_ID +remote +kim tablet" "$T/status.out" || r="the paired remote is not listed"
[ -n "$r" ] || grep -qE '^  [0-9]+ +display +public +kiosk' "$T/status.out" || r="the public wall is not among the clients"
check status "$r"
[ -z "$r" ] || sed 's/^/    /' "$T/status.out"

# ---- status carries a running enrollment: null, then its last step
adm status --json >"$T/status.json" 2>&1
r=""
grep -q '^ "enroll": null' "$T/status.json" || r="no \"enroll\": null: $(grep -m1 enroll "$T/status.json")"
adm enroll probe >"$T/probe.cli" 2>&1 &
PROBE=$!
CHILD_PIDS+=("$PROBE")
[ -n "$r" ] || wait_for "$T/probe.cli" '^straight [0-9] of 3$' 10 || r="the enrollment did not start: $(cat "$T/probe.cli")"
adm status --json >"$T/status2.json" 2>&1
[ -n "$r" ] || tr -d ' \n' <"$T/status2.json" | grep -qE '"enroll":\{"name":"probe","pose":"(straight|left)","got":[0-9],"need":3\}' ||
	r="status during the enrollment: $(tr -d ' \n' <"$T/status2.json" | grep -o '"enroll":[^}]*}')"
"$WSCLIENT" --port "$PORT" --send "$H_ADM" --send '{"type":"enroll-cancel","id":2}' --until ok --timeout 5 >/dev/null 2>&1
wait_exit "$PROBE" 10
adm status --json >"$T/status3.json" 2>&1
[ -n "$r" ] || grep -q '^ "enroll": null' "$T/status3.json" || r="after the cancel: $(grep -m1 enroll "$T/status3.json")"
check status-enroll "$r"

# The demo's words come at 6 s (the wake, then the command 2-3 s later);
# the tap paused it.
r=""
wait_for "$T/live.err" 'demo session: paused \(someone is using a display' 15 || r="no \"demo session: paused\" line"
sleep 4
[ -n "$r" ] || ! grep -q '"type":"navigate".*"source":"voice"' "$T/wall.msgs" || r="the paused demo navigated the wall"
[ -n "$r" ] || adm status | grep -q '^demo: paused' || r="status does not say paused"
check demo-paused "$r"

# ---- typed command from the command line: the same path as speech
adm command "Hey Seoul, show me the disaster safety" >"$T/cmd.out" 2>&1
rc=$?
r=""
[ "$rc" = 0 ] || r="exit status $rc: $(cat "$T/cmd.out")"
[ -n "$r" ] || [ "$(cat "$T/cmd.out")" = "command: disaster-safety" ] || r="said \"$(cat "$T/cmd.out")\""
[ -n "$r" ] || wait_for "$T/wall.msgs" '"type":"navigate".*"content":"disaster-safety","source":"typed"' 3 ||
	r="the wall got no navigate with source typed"
check typed "$r"
adm command bananas please >"$T/cmd2.out" 2>&1
rc=$?
check typed-nothing "$([ "$rc" = 1 ] && grep -q '^rejected: no-command' "$T/cmd2.out" || echo "exit $rc: $(cat "$T/cmd2.out")")"
# Full-width punctuation, letters and spaces (a Korean keyboard's) count
# as ASCII ones.
r=""
for w in '대기환경！' 'show　me air quality' 'ｓｈｏｗ ｍｅ ａｉｒ ｑｕａｌｉｔｙ。' '대기환경、'; do
	out=$(adm command "$w" 2>&1)
	[ -n "$r" ] || [ "$out" = "command: air-quality" ] || r="\"$w\": $out"
done
check typed-fullwidth "$r"
# A typed command of 199 bytes, 66 of them Korean characters: the last
# utterances keep it whole (the ring cut it at 160 bytes, inside a
# character, and then dropped it as not UTF-8).
LONG="a$(printf '대%.0s' $(seq 1 66))"
adm command "$LONG" >"$T/long.out" 2>&1
rc=$?
r=""
[ "$rc" = 1 ] || r="exit $rc: $(cat "$T/long.out")"
[ -n "$r" ] || adm status --json | grep -qF "\"text\": \"$LONG\"" ||
	r="the utterance is not in status whole: $(adm status --json | grep -c '"text": "a대')"
check typed-long-utf8 "$r"

adm audit >"$T/audit.out" 2>&1
r=""
grep -qE 'navigate +transportation +by remote "kim tablet" \(client [0-9]+, token '"$TAB_ID"'\)' "$T/audit.out" ||
	r="no audit line for the remote's tap"
[ -n "$r" ] || grep -qE 'navigate +disaster-safety +by admin "command line"' "$T/audit.out" || r="no line for the typed command"
[ -n "$r" ] || grep -qE 'audit: navigate transportation by remote "kim tablet"' "$T/live.err" || r="no audit line in the log"
[ -n "$r" ] || grep -qE 'client [0-9]+ connected from ' "$T/live.err" || r="no connection line in the log"
check audit "$r"
[ -z "$r" ] || sed 's/^/    /' "$T/audit.out"

# ---- the remote's voice button: audited by the remote's name and token
say_cmd() { # TEXT OUT.raw: TEXT spoken, 16 kHz mono s16le, with 0.5 s of quiet around
	flite -voice slt -t "$1" -o "$T/say.wav" 2>/dev/null || espeak-ng -w "$T/say.wav" "$1"
	sox -R "$T/say.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/say16.wav" pad 0.5 0.8
	noise_wav "$T/bed.wav" "$(soxi -D "$T/say16.wav")" -55
	sox -R -m "$T/say16.wav" "$T/bed.wav" -t raw -r 16000 -c 1 -b 16 -e signed-integer -L "$2"
}
say_cmd "show me the prices" "$T/prices.raw"
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"audio-start","rate":16000,"format":"s16le","id":30}' \
	--send-binary-file "$T/prices.raw" --send '{"type":"audio-end","id":31}' --until recognized --timeout 15 \
	>"$T/voice.msgs" 2>&1
r=""
grep -q '"type":"recognized".*"content":"prices"' "$T/voice.msgs" || r="not recognized: $(grep recognized "$T/voice.msgs")"
[ -n "$r" ] || adm audit | grep -qE 'navigate +prices +by remote "kim tablet" \(client [0-9]+, token '"$TAB_ID"'\)' ||
	r="audit: $(adm audit | grep prices)"
[ -n "$r" ] || grep -qE 'audit: navigate prices by remote "kim tablet" \(client [0-9]+, token '"$TAB_ID"'\) \(source remote-voice\)' "$T/live.err" ||
	r="log: $(grep 'audit: navigate prices' "$T/live.err")"
check remote-voice-actor "$r"

adm snapshot "$T/snap.jpg" >"$T/snap.out" 2>&1
rc=$?
r=""
[ "$rc" = 0 ] || r="exit $rc: $(cat "$T/snap.out")"
[ -n "$r" ] || [ "$(od -An -tx1 -N3 "$T/snap.jpg" | tr -d ' ')" = ffd8ff ] || r="not a JPEG"
[ -n "$r" ] || [ "$(stat -c %s "$T/snap.jpg")" -gt 1000 ] || r="$(stat -c %s "$T/snap.jpg") bytes"
check snapshot "$r"

# ---- refusals, on the wire (each client reads for 2 s: the replies come
# among hellos and events)
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"admin-status","id":2}' \
	--send '{"type":"revoke","token_id":"00000000","id":3}' --send '{"type":"typed","id":4}' \
	--send '{"type":"typed","text":"show me air quality","id":5}' --timeout 2 >"$T/rem.msgs" 2>&1
"$WSCLIENT" --port "$PORT" --send "$H_PUB" --send '{"type":"typed","text":"main","id":2}' \
	--send '{"type":"demo","on":false,"id":3}' --timeout 2 >"$T/pub.msgs" 2>&1
"$WSCLIENT" --port "$PORT" --send "$H_ADM" --send '{"type":"revoke","token_id":"00000000","id":2}' \
	--send '{"type":"rename","token_id":"'"$TAB_ID"'","name":"a\u0001b","id":3}' --send '{"type":"demo","id":4}' \
	--send '{"type":"rename","token_id":"'"$TAB_ID"'","id":5}' --timeout 2 >"$T/adm.msgs" 2>&1
# An admin hello without a token, or with a wrong one, is a public client.
ADMIN_MSGS=(--send '{"type":"admin-status","id":2}' --send '{"type":"revoke","token_id":"'"$TAB_ID"'","id":3}'
	--send '{"type":"demo","on":false,"id":4}' --send '{"type":"snapshot","id":5}')
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"no token"}' "${ADMIN_MSGS[@]}" \
	--timeout 2 >"$T/notok.msgs" 2>&1
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"bad token","token":"'"$(printf 'f%.0s' $(seq 1 64))"'","id":1}' \
	"${ADMIN_MSGS[@]}" --timeout 2 >"$T/badtok.msgs" 2>&1
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"snapshot","id":2}' --timeout 2 >"$T/remsnap.msgs" 2>&1
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"display","name":"wall\nforged","id":1}' \
	--send '{"type":"hello","role":"remote","name":"tab\u0007","token":"'"$TAB"'","id":2}' --timeout 2 >"$T/ctl.msgs" 2>&1
code() { grep "\"id\":$2[,}]" "$T/$1.msgs" | grep -o '"code":"[a-z-]*"' | head -1 | cut -d'"' -f4; }
r=""
[ "$(code rem 2)" = unauthorized ] || r="a remote's admin-status: $(code rem 2)"
[ -n "$r" ] || [ "$(code rem 3)" = unauthorized ] || r="a remote's revoke: $(code rem 3)"
[ -n "$r" ] || [ "$(code rem 4)" = bad-request ] || r="typed without text: $(code rem 4)"
[ -n "$r" ] || grep -q '"id":5.*"result":"command"\|"result":"command".*"id":5' "$T/rem.msgs" || r="a remote's typed command was not recognized"
[ -n "$r" ] || [ "$(code pub 2)" = unauthorized ] || r="a public typed command: $(code pub 2)"
[ -n "$r" ] || [ "$(code pub 3)" = unauthorized ] || r="a public demo: $(code pub 3)"
[ -n "$r" ] || [ "$(code adm 2)" = bad-request ] || r="revoke of an unknown id: $(code adm 2)"
[ -n "$r" ] || [ "$(code adm 3)" = bad-request ] || r="rename to a name with a control character: $(code adm 3)"
[ -n "$r" ] || [ "$(code adm 4)" = bad-request ] || r="demo without on: $(code adm 4)"
[ -n "$r" ] || [ "$(code adm 5)" = bad-request ] || r="rename without a name: $(code adm 5)"
check refusals "$r"
[ -z "$r" ] || cat "$T/rem.msgs" "$T/pub.msgs" "$T/adm.msgs" | sed 's/^/    /' | cut -c1-200
r=""
for f in notok badtok; do
	for i in 2 3 4 5; do
		[ -n "$r" ] || [ "$(code $f $i)" = unauthorized ] || r="$f: message $i: $(code $f $i)"
	done
done
[ -n "$r" ] || [ "$(code badtok 1)" = bad-token ] || r="the hello with a wrong token: $(code badtok 1)"
[ -n "$r" ] || ! grep -q '"type":"admin-status"' "$T/notok.msgs" "$T/badtok.msgs" || r="an admin-status was sent"
[ -n "$r" ] || tok list | grep -q "$TAB_ID" || r="the remote's token was revoked"
[ -n "$r" ] || ! grep -q 'demo session switched off' "$T/live.err" || r="the demo was switched off"
check refusals-admin-no-token "$r"
[ -z "$r" ] || cat "$T/notok.msgs" "$T/badtok.msgs" | sed 's/^/    /' | cut -c1-200
r=""
[ "$(code remsnap 2)" = unauthorized ] || r="a remote's snapshot: $(code remsnap 2)"
check refusals-remote-snapshot "$r"
r=""
[ "$(code ctl 1)" = bad-request ] || r="a hello name with a newline: $(code ctl 1)"
[ -n "$r" ] || [ "$(code ctl 2)" = bad-request ] || r="a hello name with a BEL: $(code ctl 2)"
[ -n "$r" ] || ! grep -q 'forged' "$T/live.err" || r="the name reached the log: $(grep forged "$T/live.err")"
check refusals-hello-control "$r"

# ---- rename and revoke drop a live remote at once
client live-tab --send "$H_TAB" --timeout 20
LT=$CPID
wait_for "$T/live-tab.msgs" '"view":"trusted"' 3
"$WSCLIENT" --port "$PORT" --send "$H_ADM" --send '{"type":"rename","token_id":"'"$TAB_ID"'","name":"lobby tablet","id":2}' \
	--until ok --timeout 5 >"$T/ren.msgs" 2>&1
# The live connection shows its new name at once (admin-status).
# (a client in status: ..."name": "N", "view": "trusted", "address": "A", "token_id": "ID"...)
conn_name() { adm status --json | tr -d '\n' | grep -oE '"name": *"[^"]*", *"view": *"trusted", *"address": *"[^"]*", *"token_id": *"'"$TAB_ID"'"' |
	sed 's/^"name": *"\([^"]*\)".*/\1/'; }
r=""
[ "$(conn_name)" = "lobby tablet" ] || r="the live connection's name: \"$(conn_name)\""
# ... and a rename from the command line within the housekeeping second.
tok rename "$TAB_ID" "hall tablet" >/dev/null 2>&1
sleep 1.5
[ -n "$r" ] || [ "$(conn_name)" = "hall tablet" ] || r="after tokens rename: \"$(conn_name)\""
check rename-live "$r"
"$WSCLIENT" --port "$PORT" --send "$H_ADM" --send '{"type":"rename","token_id":"'"$TAB_ID"'","name":"lobby tablet","id":2}' \
	--send '{"type":"revoke","token_id":"'"$TAB_ID"'","id":3}' --timeout 2 >"$T/rev.msgs" 2>&1
r=""
[ "$(grep -c '"type":"ok"' "$T/rev.msgs")" = 2 ] || r="rename and revoke: $(tr '\n' ' ' <"$T/rev.msgs" | cut -c1-300)"
[ -n "$r" ] || wait_for "$T/live-tab.msgs" '"type":"hello".*"view":"public"' 2 || r="the live remote got no public hello"
[ -n "$r" ] || ! tok list | grep -q "$TAB_ID" || r="the token is still listed"
[ -n "$r" ] || grep -q "admin: token $TAB_ID renamed \"lobby tablet\"" "$T/live.err" || r="no rename line in the log"
check revoke-live "$r"
kill "$LT" "$WALL" 2>/dev/null

# ---- pairing never makes an admin
"$DAEMON" --state-dir "$SD" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
client codewall --send "{\"type\":\"hello\",\"role\":\"display\",\"token\":\"$(head -1 "$T/wall.tok")\"}" --timeout 10
CW=$CPID
wait_for "$T/codewall.msgs" '"type":"hello".*"view":"trusted"' 3
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"sneaky"}' \
	--send '{"type":"pair-request","name":"sneaky","id":2}' --until pair-pending --timeout 5 >/dev/null 2>&1
wait_for "$T/codewall.msgs" '"type":"pairing","code":"[0-9]{6}"' 3
CODE=$(grep -o '"type":"pairing","code":"[0-9]*"' "$T/codewall.msgs" | tail -1 | grep -o '[0-9]\{6\}')
# A remote connected, its token revoked from the command line just before
# the pairing: the pairing's write reads the file in under its lock, so no
# reload would see the revoke; the pairing applies it itself.
tok add --role remote --name victim >"$T/vic.tok" 2>/dev/null
VIC_ID=$(tok list | awk '$4 == "victim" { print $1 }')
client victim --send "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"$(head -1 "$T/vic.tok")\"}" --timeout 15
VIC=$CPID
wait_for "$T/victim.msgs" '"view":"trusted"' 3
tok revoke "$VIC_ID" >/dev/null 2>&1
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"sneaky"}' \
	--send "{\"type\":\"pair\",\"code\":\"$CODE\",\"id\":2}" --until paired --timeout 5 >"$T/sneak.msgs" 2>&1
r=""
grep -q '"type":"paired".*"role":"remote"' "$T/sneak.msgs" || r="paired as: $(grep -o '"role":"[a-z]*"' "$T/sneak.msgs" | tr '\n' ' ')"
[ -n "$r" ] || ! tok list | grep -q ' admin .*sneaky' || r="an admin token was made by pairing"
check pair-no-admin "$r"
r=""
wait_for "$T/victim.msgs" '"type":"hello".*"view":"public"' 3 || r="the revoked remote stayed trusted after the pairing"
check pair-applies-revoke "$r"
kill "$VIC" 2>/dev/null
kill "$CW" 2>/dev/null

# ---- one daemon per state directory
FIRST_PID=$DPID
cp "$SD/admin.cookie" "$T/cookie.first"
run_daemon second -o audio=none
r=""
[ "$(cat "$T/second.rc")" = 1 ] || r="the second daemon: exit $(cat "$T/second.rc")"
[ -n "$r" ] || grep -qF "state directory $SD is in use by another smartofficed (pid $FIRST_PID, $SD/lock)" "$T/second.err" ||
	r="it said: $(tail -2 "$T/second.err")"
[ -n "$r" ] || cmp -s "$SD/admin.cookie" "$T/cookie.first" || r="the first daemon's cookie changed or went"
[ -n "$r" ] || [ -e "$SD/url" ] || r="the first daemon's url file went"
[ -n "$r" ] || adm status >/dev/null 2>&1 || r="admin status no longer reaches the first daemon"
check second-daemon-refused "$r"

# ---- the cookie goes with the daemon
stop_daemon "$DPID"
r=""
[ ! -e "$SD/admin.cookie" ] || r="the cookie outlived the daemon"
adm status >"$T/gone.out" 2>&1
rc=$?
[ -n "$r" ] || [ "$rc" = 1 ] || r="admin status with no daemon: exit $rc"
[ -n "$r" ] || grep -q "admin.cookie: No such file\|no running daemon" "$T/gone.out" || r="said: $(cat "$T/gone.out")"
check cookie-removed "$r"

adm bogus >/dev/null 2>"$T/usage.err"
rc=$?
check usage "$([ "$rc" = 2 ] && grep -q 'unknown command "bogus"' "$T/usage.err" || echo "exit $rc: $(cat "$T/usage.err")")"


# ---- a cookie left by kill -9 is refused by the next daemon
start_daemon k1 -o audio=none || fail start-k1 "$START_ERROR"
K1=$DPID
cp "$SD/admin.cookie" "$T/cookie.k1"
kill -9 "$K1"
wait "$K1" 2>/dev/null
r=""
[ -e "$SD/admin.cookie" ] || r="kill -9 left no cookie (nothing to test)"
start_daemon k2 -o audio=none || r="the next daemon did not start: $START_ERROR"
K2=$DPID
[ -n "$r" ] || ! cmp -s "$SD/admin.cookie" "$T/cookie.k1" || r="the next daemon kept the old cookie"
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"stale","token":"'"$(head -1 "$T/cookie.k1")"'","id":1}' \
	--send '{"type":"admin-status","id":2}' --timeout 2 >"$T/stale.msgs" 2>&1
[ -n "$r" ] || [ "$(code stale 1)" = bad-token ] || r="the stale cookie's hello: $(code stale 1)"
[ -n "$r" ] || [ "$(code stale 2)" = unauthorized ] || r="admin-status with the stale cookie: $(code stale 2)"
[ -n "$r" ] || adm status >/dev/null 2>&1 || r="the new cookie does not work"
check stale-cookie "$r"
# A cookie that is not this daemon's any more stays when it stops.
echo "someone else's" >"$SD/admin.cookie"
stop_daemon "$K2"
r=""
[ "$(cat "$SD/admin.cookie" 2>&1)" = "someone else's" ] || r="the cookie file: $(cat "$SD/admin.cookie" 2>&1)"
[ -n "$r" ] || grep -q "admin: $SD/admin.cookie is not this daemon's cookie any more: left in place" "$T/k2.err" ||
	r="no line saying so: $(grep cookie "$T/k2.err")"
check cookie-not-ours "$r"
rm -f "$SD/admin.cookie"

# ---- the demo's pause running out, activity, connection lines, heads.json
cp -r "$SRC/models/heads" "$T/heads"
HJ=$T/heads/heads.json
# (the demo speaks once, at 6 s: what says "playing" after the pause is the
# daemon's own clock, not the demo's next words)
start_daemon pause -o audio=demo -o "demo_audio=$T/demo.wav" -o demo_loop=no -o demo_pause_s=4 -o "speech_heads=$HJ" ||
	{ fail start-pause "$START_ERROR"; exit 1; }
PP=$DPID
client wall2 --send "$H_PUB" --timeout 60
W2=$CPID
wait_for "$T/wall2.msgs" '"type":"hello"' 3
# reading:false from a client that never said it reads: no use of a display
"$WSCLIENT" --port "$PORT" --send "$H_PUB" --send '{"type":"activity","reading":false,"id":2}' --until ok --timeout 3 \
	>/dev/null 2>&1
r=""
adm status | grep -q '^demo: playing' || r="status: $(adm status | grep '^demo')"
sleep 1
[ -n "$r" ] || ! grep -q '"type":"demo"' "$T/wall2.msgs" || r="the wall got: $(grep '"type":"demo"' "$T/wall2.msgs" | head -1)"
check activity-not-reading "$r"
# 34 displays open a document at once: 32 are counted, the cap is logged
# once; the connect and leave lines are held to 10 a second.
READERS=()
for k in $(seq 1 34); do
	"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"display","name":"reader '"$k"'"}' \
		--send '{"type":"activity","reading":true}' --timeout 4 >/dev/null 2>&1 &
	READERS+=("$!")
	CHILD_PIDS+=("$!")
done
r=""
wait_for "$T/pause.err" 'activity: 32 displays have a document open' 8 || r="no line for the readers' cap"
[ -n "$r" ] || wait_for "$T/wall2.msgs" '"type":"demo".*"state":"paused".*"why":"a document is open on a display"' 3 ||
	r="no demo event (paused, a document is open)"
check readers-cap "$r"
# When they have gone, the pause (4 s) runs out: playing again, said at once.
wait "${READERS[@]}"
sleep 1
n0=$(grep -c '"type":"demo".*"state":"playing"' "$T/wall2.msgs")
r=""
[ "$n0" = 0 ] || r="playing before the pause ran out"
[ -n "$r" ] || wait_for "$T/wall2.msgs" '"type":"demo".*"state":"playing"' 6 || r="no demo event (playing) after the pause"
check demo-event-pause-over "$r"
r=""
[ "$(grep -c 'activity: 32 displays have a document open' "$T/pause.err")" = 1 ] ||
	r="the cap was logged $(grep -c 'activity: 32 displays' "$T/pause.err") times"
conn=$(grep -cE 'client [0-9]+ (connected from|\(.*\) left after)' "$T/pause.err")
[ -n "$r" ] || grep -qE 'bridge: [0-9]+ more connect and leave lines? not logged in [0-9]+ s \(at most 10 a second' "$T/pause.err" ||
	r="no line for the connect and leave lines not logged ($conn written)"
[ -n "$r" ] || [ "$conn" -lt 60 ] || r="$conn connect and leave lines for 36 connections"
check connection-lines-limited "$r"
note "connect and leave lines: $conn written for 36 connections; $(grep -oE '[0-9]+ more connect and leave lines not logged' "$T/pause.err" | awk '{ n += $1 } END { print n + 0 }') not"

# heads.json: read again when it changes or on SIGHUP, not for every status.
hv() { adm status --json | tr -d ' \n' | grep -oE '"heads_version":[0-9]+' | cut -d: -f2; }
r=""
[ "$(hv)" = 1 ] || r="heads_version $(hv) at first"
touch -r "$HJ" "$T/heads.ref"
# The same size and time, the same inode: not read again.
sed 's/"version": 1,/"version": 7,/' "$HJ" >"$T/heads.new"
cat "$T/heads.new" >"$HJ"
touch -r "$T/heads.ref" "$HJ"
[ -n "$r" ] || [ "$(hv)" = 1 ] || r="heads_version $(hv) with the file's size and time unchanged: read again"
kill -HUP "$PP"
wait_for "$T/pause.err" 'reloaded: ' 20
[ -n "$r" ] || [ "$(hv)" = 7 ] || r="heads_version $(hv) after SIGHUP, want 7"
sed 's/"version": 7,/"version": 17,/' "$HJ" >"$T/heads.new"
cat "$T/heads.new" >"$HJ"
[ -n "$r" ] || [ "$(hv)" = 17 ] || r="heads_version $(hv) after a change of size, want 17"
check heads-cached "$r"
kill "$W2" 2>/dev/null
stop_daemon "$PP"
