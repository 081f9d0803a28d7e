#!/bin/bash
# limits.sh — the connection options of the configuration on the real
# daemon (ws_max_clients, ws_hello_s; docs/protocol.md "Limits"):
#  - with ws_max_clients = 2 and two clients that said hello, a third
#    connection is refused (no upgrade), and the two stay;
#  - one of them leaves, a client connects and says nothing: once it has
#    been silent past ws_hello_s, a new client makes room by closing it
#    (1008 "no hello") and gets its own hello;
#  - --print-config shows the values in force.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

noise_wav "$T/noise.wav" 40
opts=(-o ws_max_clients=2 -o ws_hello_s=1 -o ws_ping_s=0 -o ws_idle_s=0)
r=""
"$DAEMON" "${opts[@]}" --print-config >"$T/print" 2>&1 || r="--print-config failed: $(tail -1 "$T/print")"
[ -n "$r" ] || grep -qx 'ws_max_clients = 2' "$T/print" || r="no 'ws_max_clients = 2' in --print-config"
[ -n "$r" ] || grep -qx 'ws_hello_s = 1' "$T/print" || r="no 'ws_hello_s = 1' in --print-config"
check print-config "$r"

if ! start_daemon d "${opts[@]}" --audio-file "$T/noise.wav"; then
	fail start "$START_ERROR"
	exit 1
fi
hello='{"type":"hello","role":"display"}'
client c1 --send "$hello" --timeout 30; C1=$CPID
client c2 --send "$hello" --timeout 30; C2=$CPID
wait_for "$T/c1.msgs" '"type":"hello"' 5 && wait_for "$T/c2.msgs" '"type":"hello"' 5 ||
	{ fail two-clients "no hello: $(cat "$T/c1.cerr" "$T/c2.cerr" | tr '\n' ' ')"; exit 1; }
pass two-clients
sleep 1.5	# both are past ws_hello_s, but they said hello: they are kept

"$WSCLIENT" --port "$PORT" --timeout 3 >"$T/c3.msgs" 2>"$T/c3.cerr"
rc=$?
r=""
[ "$rc" = 2 ] || r="the third client's status is $rc (want 2, refused): $(tr '\n' ' ' <"$T/c3.cerr")"
[ -n "$r" ] || ! grep -q '"type":"hello"' "$T/c3.msgs" || r="the third client got a hello"
[ -n "$r" ] || { kill -0 "$C1" && kill -0 "$C2"; } 2>/dev/null || r="a client that said hello was closed to make room"
check third-refused "$r"

# Room for one: a client that says nothing, then one more.
kill "$C2" 2>/dev/null; wait "$C2" 2>/dev/null
sleep 0.5
"$WSCLIENT" --port "$PORT" --timeout 20 >"$T/c4.msgs" 2>"$T/c4.cerr" &
C4=$!
CHILD_PIDS+=("$C4")
wait_for "$T/c4.msgs" '"type":"hello"' 5 || { fail silent-client "no hello for c4: $(tr '\n' ' ' <"$T/c4.cerr")"; exit 1; }
sleep 1.5	# past ws_hello_s without a hello of its own
client c5 --send "$hello" --timeout 10 --until hello; C5=$CPID
wait "$C4"; rc4=$?
wait "$C5"; rc5=$?
r=""
[ "$rc4" = 3 ] || r="the silent client's status is $rc4 (want 3: closed by the server)"
[ -n "$r" ] || grep -q 'no hello' "$T/c4.cerr" || r="the silent client's close gave no \"no hello\" reason: $(tr '\n' ' ' <"$T/c4.cerr")"
[ -n "$r" ] || [ "$rc5" = 0 ] || r="the new client's status is $rc5 (want 0, a hello): $(tr '\n' ' ' <"$T/c5.cerr")"
check silent-client-makes-room "$r"

stop_daemon "$DPID" TERM
