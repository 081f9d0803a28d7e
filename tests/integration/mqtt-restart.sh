#!/bin/bash
# mqtt-restart.sh — the broker dies mid-session (SIGKILL, then later a clean
# SIGTERM) and comes back on the same port:
#  - the daemon goes on locally (its own events on stdout, the cursor script
#    played while the broker is away), says so in the log, reconnects with
#    back-off and says how many buffered trusted messages it sent;
#  - every trusted command is carried out exactly once: one sent before the
#    crash, one published right after each restart (before the daemon is
#    back: the broker keeps it in the daemon's session for it);
#  - a trusted wall with a kept session gets every trusted event of the run,
#    in order, none missing (those decided while the broker was away come
#    from the daemon's buffer);
#  - the retained public screen is there again after the restart.
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"
. "$SRC/tests/lib-mqtt.sh"
need "$DAEMON"

broker_start a
st=$T/state
mkdir -p "$st"
tok=$(new_token "$st" remote ops-tablet)
[ -n "$tok" ] || { fail tokens "tokens add gave no token"; exit 1; }

# While the broker is away (from about 3 s to 8 s): trusted cursor events.
cat >"$T/ev.jsonl" <<'EOF'
{"t":5.0,"type":"engage"}
{"t":5.2,"type":"cursor","x":0.25,"y":0.5,"state":"move"}
{"t":5.4,"type":"cursor","x":0.30,"y":0.5,"state":"move"}
{"t":5.6,"type":"disengage"}
EOF

wall() { # NAME: the wall's kept session (same client id each time)
	msub a "$1" -u wall -c -i wall-keep -q 1 -t smartoffice/mayor/trusted/events -t smartoffice/mayor/trusted/replies
	WALLPID=$SUBPID
}
wall w1.sub
sleep 0.3
mapfile -t mo < <(mqtt_opts a mayor)
if ! start_daemon d --events-file "$T/ev.jsonl" -o audio=none -o speak=no -o cue=no --events-stdout \
	--state-dir "$st" "${mo[@]}"; then
	fail start "$START_ERROR"
	exit 1
fi
wait_for "$T/d.err" 'mqtt: connected' 5 || { fail connected "not connected: $(tail -2 "$T/d.err")"; exit 1; }

# publish ID CONTENT: QoS 1 from the commander, retried until the broker takes it.
publish() {
	for _ in $(seq 1 50); do
		mpub a -u ops -q 1 -t smartoffice/mayor/command -m "$(select_cmd "$1" "$2" "$tok")" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "publish-$1" "the broker never took command $1"
}
publish c1 air-quality
wait_for "$T/w1.sub" '"id":"c1"' 5 && pass before-crash || fail before-crash "no reply to c1"
sleep 1.5                          # the broker's autosave (1 s) has the sessions

broker_stop a KILL
kill "$WALLPID" 2>/dev/null
wait_for "$T/d.err" 'mqtt: lost the broker' 5 && pass lost-logged ||
	fail lost-logged "no \"lost the broker\" line: $(tail -2 "$T/d.err" | tr '\n' ' ')"
sleep 5                            # the cursor script plays meanwhile
alive "$DPID" && grep -q '"type":"disengage"' "$T/d.out" && pass works-locally ||
	fail works-locally "the daemon did not go on without the broker: $(summary "$T/d.out")"

broker_restart a
publish c2 transportation          # before the daemon is back
wall w2.sub
if wait_for "$T/d.err" 'mqtt: reconnected' 40; then
	pass reconnected
	note "$(grep -m1 'mqtt: reconnected' "$T/d.err" | sed 's/.*mqtt: //')"
else
	fail reconnected "no \"reconnected\" line: $(tail -2 "$T/d.err" | tr '\n' ' ')"
fi
grep -m1 'mqtt: reconnected' "$T/d.err" | grep -qE ' [1-9][0-9]* buffered trusted messages sent, 0 dropped' &&
	pass buffer-flushed || fail buffer-flushed "$(grep -m1 'mqtt: reconnected' "$T/d.err")"
wait_for "$T/w2.sub" '"id":"c2"' 10 && pass command-after-kill ||
	fail command-after-kill "no reply to c2 (published right after the restart)"

# the clean way down: SIGTERM (the broker saves its sessions), same again
sleep 1.5
broker_stop a TERM
kill "$WALLPID" 2>/dev/null
wait_for "$T/d.err" 'mqtt: lost the broker' 5 || true
sleep 1
broker_restart a
publish c3 prices
wall w3.sub
wait_for "$T/w3.sub" '"id":"c3"' 40 && pass command-after-term ||
	fail command-after-term "no reply to c3: $(tail -2 "$T/d.err" | tr '\n' ' ')"
sleep 1
late=$(mosquitto_sub -h 127.0.0.1 -p "${MQTT_PORT[a]}" -t smartoffice/mayor/public/state -C 1 -W 5)
expect_eq retained-after-restart "$(jget "$late" screen)" prices "public screen after the restart"
stop_daemon "$DPID"
kill "$WALLPID" 2>/dev/null

# every command exactly once
for c in air-quality transportation prices; do
	expect_eq "once-$c" "$(grep -c "\"type\":\"navigate\".*\"content\":\"$c\"" "$T/d.out")" 1 "navigates to $c"
done
# every trusted event reached the wall, in order, across the two crashes
sed -n 's#^smartoffice/mayor/trusted/events ##p' "$T/w1.sub" "$T/w2.sub" "$T/w3.sub" >"$T/wall.events"
want=$(grep -o '"seq":[0-9]*' "$T/d.out" | tr '\n' ' ')
got=$(grep -o '"seq":[0-9]*' "$T/wall.events" | tr '\n' ' ')
if [ -z "$want" ]; then
	fail trusted-events-all "the daemon printed no event"
else
	expect_eq trusted-events-all "$got" "$want" "seqs the wall got"
fi
