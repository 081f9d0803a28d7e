#!/bin/bash
# mqtt-rooms.sh — two daemons, two rooms (sites mayor and songpa), one broker:
#  - a trusted wall in the mayor's office follows songpa's trusted view
#    (and sees songpa's events only there);
#  - a command targets a site by its topic: songpa's command moves songpa
#    alone, mayor's moves mayor alone; a command naming another site in
#    its payload is refused;
#  - the mayor's private view (private mode, a private screen, the cursor)
#    reaches neither room's public topics: an anonymous "#" subscriber's
#    wire has none of it;
#  - one daemon's broker user cannot write the other room's topics (ACL).
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib-mqtt.sh"
LOAD=$BUILD/tools/mqtt-load
need "$DAEMON" "$LOAD"

broker_start a
mkdir -p "$T/st-mayor" "$T/st-songpa"
tm=$(new_token "$T/st-mayor" remote mayor-tablet)
ts=$(new_token "$T/st-songpa" remote songpa-tablet)
[ -n "$tm" ] && [ -n "$ts" ] || { fail tokens "tokens add gave no token"; exit 1; }
cat >"$T/ev.jsonl" <<'EOF'
{"t":2.5,"type":"engage"}
{"t":2.7,"type":"cursor","x":0.4,"y":0.6,"state":"move"}
{"t":2.9,"type":"disengage"}
EOF

"$LOAD" --port "${MQTT_PORT[a]}" --clients 1 --topic '#' --dump "$T/wire.bin" --hold 10 --rounds 0 \
	>"$T/wire.out" 2>&1 &
WIREPID=$!
CHILD_PIDS+=("$WIREPID")
msub a follow.sub -u wall -t 'smartoffice/songpa/trusted/events'
msub a songpa-public.sub -t 'smartoffice/songpa/public/#'
msub a replies.sub -u ops -t 'smartoffice/+/trusted/replies'
sleep 0.4

mapfile -t mo < <(mqtt_opts a mayor)
mapfile -t so < <(mqtt_opts a songpa)
common=(-o audio=none -o speak=no -o cue=no -o private_unlock=voice --events-stdout)
start_daemon mayor --events-file "$T/ev.jsonl" "${common[@]}" --state-dir "$T/st-mayor" "${mo[@]}" ||
	{ fail start-mayor "$START_ERROR"; exit 1; }
MPID=$DPID
start_daemon songpa "${common[@]}" --state-dir "$T/st-songpa" "${so[@]}" ||
	{ fail start-songpa "$START_ERROR"; exit 1; }
SPID=$DPID
wait_for "$T/mayor.err" 'mqtt: connected' 5 && wait_for "$T/songpa.err" 'mqtt: connected' 5 &&
	pass both-connected || fail both-connected "$(tail -1 "$T/mayor.err") / $(tail -1 "$T/songpa.err")"

cmd() { mpub a -u ops -q 1 -t "smartoffice/$1/command" -m "$(select_cmd "$2" "$3" "$4" "${5:-}")"; }
cmd songpa s1 air-quality "$ts"
cmd mayor m1 command:private-mode "$tm"
cmd mayor m2 approval-documents "$tm"
cmd songpa s2 prices "$ts" songpa            # names its own site: fine
cmd songpa s3 transportation "$ts" mayor     # names another site: refused
cmd songpa s4 main "$tm"                     # the mayor's token means nothing to songpa
# songpa's daemon user may not write the mayor's topics
mpub a -u smartoffice-songpa -q 1 -t smartoffice/mayor/public/events -m '{"type":"navigate","content":"forged"}'
mpub a -u smartoffice-songpa -q 1 -t smartoffice/mayor/command -m "$(select_cmd x1 prices "$tm")"
wait_for "$T/replies.sub" '"id":"s4"' 5 || true
sleep 3.5          # the mayor's cursor script (2.5-2.9 s)

# ---- each room did its own
expect_eq songpa-moved "$(grep -o '"content":"[a-z-]*"' "$T/songpa.out" | tr '\n' ' ')" \
	'"content":"air-quality" "content":"prices" ' "songpa's navigates"
expect_eq mayor-moved "$(grep '"type":"navigate"' "$T/mayor.out" | grep -o '"content":"[a-z-]*"' | tr '\n' ' ')" \
	'"content":"approval-documents" ' "the mayor's navigates"
grep -q '"id":"s3","code":"bad-request"' "$T/replies.sub" && pass wrong-site-refused ||
	fail wrong-site-refused "no bad-request for a command naming another site: $(grep s3 "$T/replies.sub")"
grep -q '"id":"s4","code":"unauthorized"' "$T/replies.sub" && pass other-rooms-token ||
	fail other-rooms-token "songpa took the mayor's token: $(grep s4 "$T/replies.sub")"
grep -q '"site":"songpa"' <<<"$(grep '"id":"s1"' "$T/replies.sub")" && pass reply-names-site ||
	fail reply-names-site "the reply does not name its site"

# ---- the wall follows songpa
got=$(sed -n 's#^smartoffice/songpa/trusted/events ##p' "$T/follow.sub")
want=$(cat "$T/songpa.out")
[ -n "$want" ] && [ "$got" = "$want" ] && pass wall-follows-songpa ||
	fail wall-follows-songpa "wall [$(summary "$T/follow.sub")] vs songpa [$(summary "$T/songpa.out")]"
grep -q approval-documents "$T/follow.sub" && fail wall-only-songpa "the mayor's events on songpa's topic" ||
	pass wall-only-songpa

# ---- nothing private on any public topic
wait_exit "$WIREPID" 12
leaks=""
for s in private approval-documents budget-plan '"cursor"' '"engage"' '"type":"mode"' trusted forged; do
	grep -qaF -- "$s" "$T/wire.bin" && leaks+=" [$s]"
done
[ -s "$T/wire.bin" ] || leaks+=" (nothing received: $(cat "$T/wire.out"))"
check public-wire-both-rooms "${leaks:+the public wire carries$leaks}"
grep -qaF 'smartoffice/songpa/public/events' "$T/wire.bin" && grep -qaF 'smartoffice/mayor/public/state' "$T/wire.bin" &&
	pass public-wire-has-both || fail public-wire-has-both "the anonymous viewer did not get both rooms' public topics"
grep -qE 'approval|mayor' "$T/songpa-public.sub" && fail no-crossing "the mayor's view on songpa's public topics" ||
	pass no-crossing
grep -q '"content":"prices"' "$T/mayor.out" && fail acl-cross-site "songpa's user commanded the mayor's room" ||
	pass acl-cross-site

stop_daemon "$MPID"
expect_eq exit-mayor "$ST" 0
stop_daemon "$SPID"
expect_eq exit-songpa "$ST" 0
