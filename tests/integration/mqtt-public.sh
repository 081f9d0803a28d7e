#!/bin/bash
# mqtt-public.sh — one daemon (site mayor) on a private mosquitto started
# here (files from `smartofficed mqtt setup`), driven by MQTT commands from
# a commander and a scripted motion cursor (--events-file):
#  - a public viewer (anonymous, subscribed to everything: "#") gets the
#    public events and the retained public hello, and not one byte of the
#    private view on the wire (raw socket bytes of tests/tools/mqtt-load),
#    while a trusted wall gets all of it (so the check can fail);
#  - the public events on MQTT are byte for byte what the daemon's own
#    websocket writes a public display;
#  - a late subscriber gets the current screen at once (retained), in its view;
#  - ACL: anonymous publish (commands, forged public events) and anonymous
#    subscribe to trusted topics get nothing through; a display may not
#    command; a wrong password is refused;
#  - the daemon's own sender check: a bad token, an observer's token;
#    a command sent twice with one id is carried out once; malformed
#    commands get an error reply.
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib-mqtt.sh"

LOAD=$BUILD/tools/mqtt-load
need "$DAEMON" "$LOAD" "$WSCLIENT"

broker_start a
st=$T/state
mkdir -p "$st"
tok=$(new_token "$st" remote ops-tablet)
obs=$(new_token "$st" observer logger)
[ -n "$tok" ] && [ -n "$obs" ] || { fail tokens "tokens add gave no token"; exit 1; }

# The cursor (trusted only) moves while the broker is watched.
cat >"$T/ev.jsonl" <<'EOF'
{"t":3.0,"type":"engage"}
{"t":3.2,"type":"cursor","x":0.25,"y":0.5,"state":"move"}
{"t":3.4,"type":"cursor","x":0.30,"y":0.5,"state":"move"}
{"t":3.6,"type":"disengage"}
EOF

# the viewers, before the daemon
"$LOAD" --port "${MQTT_PORT[a]}" --clients 1 --topic '#' --dump "$T/wire.bin" --hold 14 --rounds 0 \
	>"$T/wire.out" 2>&1 &
WIREPID=$!
CHILD_PIDS+=("$WIREPID")
msub a public.sub -t 'smartoffice/mayor/public/#'
msub a trusted.sub -u wall -t 'smartoffice/mayor/#'
msub a anon-trusted.sub -t 'smartoffice/mayor/trusted/#'
msub a replies.sub -u ops -t 'smartoffice/mayor/trusted/replies'
sleep 0.5

mapfile -t mo < <(mqtt_opts a mayor)
if ! start_daemon d --events-file "$T/ev.jsonl" -o audio=none -o speak=no -o cue=no \
	-o private_unlock=voice --events-stdout --state-dir "$st" "${mo[@]}"; then
	fail start "$START_ERROR"
	exit 1
fi
wait_for "$T/d.err" 'mqtt: connected to 127.0.0.1' 5 && pass connected ||
	fail connected "no \"mqtt: connected\" in the log: $(tail -2 "$T/d.err" | tr '\n' ' ')"
# a public display on the daemon's own websocket, for the byte comparison
client ws --timeout 10

cmd() { mpub a -u ops -q 1 -t smartoffice/mayor/command -m "$(select_cmd "$@")"; }
# The public websocket client compares with MQTT from the first command on:
# it must be connected first (a slow start, under ASan, took over 0.5 s).
wait_for "$T/ws.msgs" '"type":"hello"' 10 || fail ws-connected "no hello for the websocket client: $(cat "$T/ws.cerr")"
cmd c1 air-quality "$tok"
cmd c2 command:private-mode "$tok"
cmd c3 approval-documents "$tok"
cmd c3 approval-documents "$tok"          # the same id again: carried out once
cmd c4 transportation "$obs"              # an observer may not command
cmd c5 transportation not-a-token
mpub a -u ops -q 1 -t smartoffice/mayor/command -m '{"type":"select","content":"main"}'   # no id
mpub a -u ops -q 1 -t smartoffice/mayor/command -m 'not json'
# ACL: the broker drops these
mpub a -q 1 -t smartoffice/mayor/command -m "$(select_cmd x1 prices "$tok")"
mpub a -u wall -q 1 -t smartoffice/mayor/command -m "$(select_cmd x2 prices "$tok")"
mpub a -q 1 -t smartoffice/mayor/public/events -m '{"type":"navigate","content":"forged"}'
if mosquitto_pub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -u ops -P wrong -t x -m y 2>"$T/badpw.err"; then
	fail acl-bad-password "a wrong password was accepted"
else
	grep -qi 'not authori' "$T/badpw.err" && pass acl-bad-password ||
		fail acl-bad-password "refused, but not as unauthorised: $(cat "$T/badpw.err")"
fi
sleep 4        # the cursor script runs (3.0-3.6 s)
cmd c6 command:public-mode "$tok"
cmd c7 prices "$tok"
wait_for "$T/replies.sub" '"id":"c7"' 5 || true
sleep 1

# ---- what the daemon did
nav=$(grep -c '"type":"navigate"' "$T/d.out")
expect_eq executed-once "$(grep -c '"content":"approval-documents"' "$T/d.out")" 1 "approval-documents navigates"
grep -q '"content":"prices","source":"remote"' "$T/d.out" && ! grep -q '"id":"x' "$T/d.err" &&
	[ "$(grep -c '"content":"prices"' "$T/d.out")" = 1 ] && pass acl-anonymous-command ||
	fail acl-anonymous-command "prices navigated $(grep -c '"content":"prices"' "$T/d.out") times (want 1: c7 only)"
grep -q '"id":"x1"\|"id":"x2"' "$T/replies.sub" && fail acl-no-reply "a refused publisher's command got a reply" ||
	pass acl-no-reply
expect_eq reply-ok "$(grep -c '"type":"ok","id":"c1"' "$T/replies.sub")" 1 "ok replies to c1"
grep -q '"id":"c3","duplicate":true' "$T/replies.sub" && pass reply-duplicate ||
	fail reply-duplicate "no duplicate reply for c3: $(grep c3 "$T/replies.sub" | tr '\n' ' ')"
grep -q '"type":"error","id":"c4","code":"unauthorized"' "$T/replies.sub" && pass sender-observer ||
	fail sender-observer "no unauthorized reply for the observer's token: $(grep c4 "$T/replies.sub")"
grep -q '"type":"error","id":"c5","code":"unauthorized"' "$T/replies.sub" && pass sender-bad-token ||
	fail sender-bad-token "no unauthorized reply for a bad token"
[ "$(grep -c '"code":"bad-request"' "$T/replies.sub")" = 2 ] && pass malformed ||
	fail malformed "want 2 bad-request replies: $(grep bad-request "$T/replies.sub" | tr '\n' ' ')"
grep -q '"content":"transportation"' "$T/d.out" && fail refused-not-run "a refused command navigated" ||
	pass refused-not-run

# ---- the public view on the wire
wait_exit "$WIREPID" 15
[ -s "$T/wire.bin" ] || fail wire "the raw subscriber received nothing: $(cat "$T/wire.out")"
leaks=""
for s in private approval-documents video-conference 'Documents for approval' 'Video conference' \
	결재문서 화상회의 budget-plan night-bus-expansion '"cursor"' '"engage"' '"disengage"' \
	'"type":"mode"' trusted '"view":"trusted"'; do
	grep -qaF -- "$s" "$T/wire.bin" && leaks+=" [$s]"
done
check wire-no-private "${leaks:+the public wire carries$leaks}"
# ... while the same session's trusted view has them (the check can fail)
have=""
for s in approval-documents '"cursor"' '"type":"mode"' budget-plan; do
	grep -qaF -- "$s" "$T/trusted.sub" || have+=" [$s]"
done
check trusted-has-private "${have:+the trusted wall did not get$have}"
grep -qaF '"content":"air-quality"' "$T/wire.bin" && grep -qaF '"content":"prices"' "$T/wire.bin" &&
	pass wire-public-events || fail wire-public-events "no public navigate on the wire"
grep -qaF forged "$T/public.sub" && fail acl-anonymous-publish "a forged public event reached viewers" ||
	pass acl-anonymous-publish
[ ! -s "$T/anon-trusted.sub" ] && pass acl-anonymous-subscribe ||
	fail acl-anonymous-subscribe "an anonymous subscriber got trusted messages: $(head -c 200 "$T/anon-trusted.sub")"

# ---- the same texts as the daemon's public websocket
grep -v '"type":"hello"' "$T/ws.msgs" >"$T/ws.events"
sed -n 's#^smartoffice/mayor/public/events ##p' "$T/public.sub" >"$T/mqtt.events"
if [ ! -s "$T/ws.events" ]; then
	fail same-as-websocket "the public websocket client got no event"
elif cmp -s "$T/ws.events" "$T/mqtt.events"; then
	pass same-as-websocket
else
	fail same-as-websocket "websocket [$(summary "$T/ws.events")] vs MQTT [$(summary "$T/mqtt.events")]"
fi

# ---- retained: a late subscriber gets the screen at once, in its view
late=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -t smartoffice/mayor/public/state -C 1 -W 3)
expect_eq retained-public "$(jget "$late" screen)/$(jget "$late" view)" prices/public "late public subscriber"
late=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -u wall -P "$(cat "$(cred a wall)")" \
	-t smartoffice/mayor/trusted/state -C 1 -W 3)
expect_eq retained-trusted "$(jget "$late" screen)/$(jget "$late" view)/$(jget "$late" mode)" prices/trusted/public \
	"late trusted subscriber"
late=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -t smartoffice/mayor/status -C 1 -W 3)
expect_eq status-online "$late" '{"online":true}'

stop_daemon "$DPID"
expect_eq exit "$ST" 0 "exit status on SIGTERM"
late=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -t smartoffice/mayor/status -C 1 -W 3)
expect_eq status-offline "$late" '{"online":false}'
note "navigates: $nav; public events on MQTT: $(wc -l <"$T/mqtt.events"); wire bytes: $(wc -c <"$T/wire.bin")"
