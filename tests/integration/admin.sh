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
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

ORL=${ORL_DIR:-$SRC/../shared/data/faces/orl}
need "$DAEMON" "$WSCLIENT" "$CORPUS/0002-wake-command-air-quality.wav" "$ORL/s1/8.pgm"
ST=$T/state
adm() { "$DAEMON" --state-dir "$ST" admin "$@"; }
tok() { "$DAEMON" --state-dir "$ST" tokens "$@"; }

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
# Frames for the room camera: one face, 15 fps, 20 s.
mkdir -p "$T/cam"
for k in $(seq 0 299); do cp "$ORL/s1/8.pgm" "$T/cam/$(printf %06d "$k").pgm"; done

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
# A tap at once, before the demo's words at 6 s: the demo pauses.
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","content":"transportation","id":3}' \
	--until ok --timeout 5 >"$T/tap.msgs" 2>&1
r=""
grep -q '"hello".*"demo":{"state":"playing"' "$T/tap.msgs" || r="the hello does not say the demo plays: $(head -c 300 "$T/tap.msgs")"
check hello-demo "$r"

r=""
[ -f "$ST/admin.cookie" ] || r="no $ST/admin.cookie"
[ -n "$r" ] || [ "$(stat -c %a "$ST/admin.cookie")" = 600 ] || r="cookie mode $(stat -c %a "$ST/admin.cookie")"
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

adm audit >"$T/audit.out" 2>&1
r=""
grep -qE 'navigate +transportation +by remote "kim tablet" \(client [0-9]+, token '"$TAB_ID"'\)' "$T/audit.out" ||
	r="no audit line for the remote's tap"
[ -n "$r" ] || grep -qE 'navigate +disaster-safety +by admin "command line"' "$T/audit.out" || r="no line for the typed command"
[ -n "$r" ] || grep -qE 'audit: navigate transportation by remote "kim tablet"' "$T/live.err" || r="no audit line in the log"
[ -n "$r" ] || grep -qE 'client [0-9]+ connected from ' "$T/live.err" || r="no connection line in the log"
check audit "$r"
[ -z "$r" ] || sed 's/^/    /' "$T/audit.out"

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

# ---- rename and revoke drop a live remote at once
client live-tab --send "$H_TAB" --timeout 20
LT=$CPID
wait_for "$T/live-tab.msgs" '"view":"trusted"' 3
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
"$DAEMON" --state-dir "$ST" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
client codewall --send "{\"type\":\"hello\",\"role\":\"display\",\"token\":\"$(head -1 "$T/wall.tok")\"}" --timeout 10
CW=$CPID
wait_for "$T/codewall.msgs" '"type":"hello".*"view":"trusted"' 3
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"sneaky"}' \
	--send '{"type":"pair-request","name":"sneaky","id":2}' --until pair-pending --timeout 5 >/dev/null 2>&1
wait_for "$T/codewall.msgs" '"type":"pairing","code":"[0-9]{6}"' 3
CODE=$(grep -o '"type":"pairing","code":"[0-9]*"' "$T/codewall.msgs" | tail -1 | grep -o '[0-9]\{6\}')
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"admin","name":"sneaky"}' \
	--send "{\"type\":\"pair\",\"code\":\"$CODE\",\"id\":2}" --until paired --timeout 5 >"$T/sneak.msgs" 2>&1
r=""
grep -q '"type":"paired".*"role":"remote"' "$T/sneak.msgs" || r="paired as: $(grep -o '"role":"[a-z]*"' "$T/sneak.msgs" | tr '\n' ' ')"
[ -n "$r" ] || ! tok list | grep -q ' admin .*sneaky' || r="an admin token was made by pairing"
check pair-no-admin "$r"
kill "$CW" 2>/dev/null

# ---- the cookie goes with the daemon
stop_daemon "$DPID"
r=""
[ ! -e "$ST/admin.cookie" ] || r="the cookie outlived the daemon"
adm status >"$T/gone.out" 2>&1
rc=$?
[ -n "$r" ] || [ "$rc" = 1 ] || r="admin status with no daemon: exit $rc"
[ -n "$r" ] || grep -q "admin.cookie: No such file\|no running daemon" "$T/gone.out" || r="said: $(cat "$T/gone.out")"
check cookie-removed "$r"

adm bogus >/dev/null 2>"$T/usage.err"
rc=$?
check usage "$([ "$rc" = 2 ] && grep -q 'unknown command "bogus"' "$T/usage.err" || echo "exit $rc: $(cat "$T/usage.err")")"

