#!/bin/bash
# protocol.sh — the client → server error paths of docs/protocol.md against
# the running daemon (replaying a 60 s noise file in real time, with
# ws_max_message = 1024).  For each bad message a fresh connection sends it
# and then {"type":"ping","id":N}; the replies must be exactly hello, one
# {"type":"error","code":CODE}, then {"type":"pong","id":N}: the error does
# not close the connection and the next message is answered.  Also: the
# size limit's edge, several errors on one connection, the client hello
# (answered with a hello), no subprotocol, another path (refused);
# and at the end the daemon still runs and exits 0 on SIGTERM.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

noise_wav "$T/noise.wav" 60
if ! start_daemon d --audio-file "$T/noise.wav" -o ws_max_message=1024; then
	fail start "$START_ERROR"
	exit 1
fi

# pad_msg BYTES: a ping with id 99, padded to exactly BYTES bytes.
pad_msg() { printf '{"type":"ping","id":99,"pad":"%s"}' "$(head -c $(($1 - 32)) /dev/zero | tr '\0' x)"; }
pad_msg 1024 >"$T/m1024"
pad_msg 1025 >"$T/m1025"
pad_msg 5000 >"$T/m5000"

N=0
# bad NAME CODE ID WSCLIENT-ARGS...: ID is the id the error must carry
# ("" for none).
bad() {
	local name=$1 code=$2 id=$3 r="" err pong
	shift 3
	N=$((N + 1))
	"$WSCLIENT" --port "$PORT" "$@" --send "{\"type\":\"ping\",\"id\":$N}" --until pong --timeout 5 \
		>"$T/$name.msgs" 2>"$T/$name.cerr"
	local st=$?
	err=$(sed -n 2p "$T/$name.msgs")
	pong=$(sed -n 3p "$T/$name.msgs")
	if [ "$st" != 0 ]; then
		r="wsclient exit $st ($(tr '\n' ' ' <"$T/$name.cerr")), got: $(tail -n +2 "$T/$name.msgs" | tr '\n' ' ')"
	elif [ "$(jtype "$(head -1 "$T/$name.msgs")")" != hello ]; then
		r="the first message is not hello"
	elif [ "$(jtype "$err")" != error ] || [ "$(jget "$err" code)" != "$code" ]; then
		r="got ${err:-nothing}, want an error with code $code"
	elif [ -z "$(jget "$err" message)" ]; then
		r="error without a message: $err"
	elif [ "$(jget "$err" id || true)" != "$id" ]; then
		r="error id \"$(jget "$err" id)\", want \"$id\": $err"
	elif [ "$pong" != "{\"type\":\"pong\",\"id\":$N}" ]; then
		r="after the error: got ${pong:-nothing}, want {\"type\":\"pong\",\"id\":$N}"
	elif [ "$(wc -l <"$T/$name.msgs")" != 3 ]; then
		r="$(wc -l <"$T/$name.msgs") messages, want 3 (hello, error, pong)"
	fi
	check "$name" "$r"
}

bad invalid-json          invalid-json  ""  --send 'nope'
bad invalid-json-empty    invalid-json  ""  --send ''
bad invalid-json-trailing invalid-json  ""  --send '{"type":"ping"} x'
bad invalid-json-dup-key  invalid-json  ""  --send '{"type":"ping","type":"ping"}'
bad invalid-json-nul      invalid-json  ""  --send '{"type":"ping","x":"a\u0000b"}'
bad not-an-object-array   not-an-object ""  --send '[1,2]'
bad not-an-object-string  not-an-object ""  --send '"ping"'
bad not-an-object-number  not-an-object ""  --send '42'
bad missing-type          missing-type  ""  --send '{"name":"x"}'
bad bad-type-number       bad-type      ""  --send '{"type":42}'
bad bad-type-empty        bad-type      ""  --send '{"type":""}'
bad bad-type-33-bytes     bad-type      ""  --send '{"type":"abcdefghijklmnopqrstuvwxyz0123456"}'
bad unknown-type-32-bytes unknown-type ""  --send '{"type":"abcdefghijklmnopqrstuvwxyz012345"}'
bad bad-id-string         bad-id        ""  --send '{"type":"ping","id":"7"}'
bad bad-id-float          bad-id        ""  --send '{"type":"ping","id":1.5}'
bad unknown-type          unknown-type  ""  --send '{"type":"no-such-type"}'
bad unknown-type-with-id  unknown-type  5   --send '{"type":"no-such-type","id":5}'
bad binary                binary-not-supported "" --send-binary
bad too-large             too-large     ""  --send-file "$T/m5000"
bad too-large-by-one      too-large     ""  --send-file "$T/m1025"

# exactly the limit is fine
"$WSCLIENT" --port "$PORT" --send-file "$T/m1024" --until pong --timeout 5 >"$T/limit.msgs" 2>&1
expect_eq at-the-limit "$(sed -n 2p "$T/limit.msgs")" '{"type":"pong","id":99}' "reply to a 1024-byte ping"

# many errors on one connection, each followed by a ping that is answered
"$WSCLIENT" --port "$PORT" --send 'nope' --send '{"type":"ping","id":101}' --send '[1]' \
	--send '{"type":"ping","id":102}' --send-binary --send '{"type":"ping","id":103}' \
	--send-file "$T/m5000" --send '{"type":"ping","id":104}' --send '{"type":"x","id":7}' \
	--send '{"type":"ping","id":105}' --count 11 --timeout 5 >"$T/many.msgs" 2>"$T/many.cerr"
got=$(tail -n +2 "$T/many.msgs" | while IFS= read -r l; do printf '%s ' "$(jtype "$l"):$(jget "$l" code || jget "$l" id)"; done)
expect_eq one-connection "${got% }" \
	"error:invalid-json pong:101 error:not-an-object pong:102 error:binary-not-supported pong:103 error:too-large pong:104 error:unknown-type pong:105" \
	"replies"

# the client hello (protocol v2): answered with a hello for that role and
# view; a v1-style hello with an unknown role is a bad request
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"observer","name":"test","id":9}' \
	--send '{"type":"ping","id":200}' --until pong --timeout 5 >"$T/chello.msgs" 2>&1
l=$(sed -n 2p "$T/chello.msgs")
expect_eq client-hello-answered "$(jtype "$l") $(jget "$l" role) $(jget "$l" view) $(grep -o '"id":9}$' <<<"$l")" \
	'hello observer public "id":9}' "reply to a client hello (its id last)"
bad hello-bad-role        bad-request   3   --send '{"type":"hello","role":"dashboard","id":3}'
bad hello-long-name       bad-request   ""  --send "{\"type\":\"hello\",\"role\":\"display\",\"name\":\"$(printf '%065d' 0)\"}"

# a ping without an id gets a pong without one
"$WSCLIENT" --port "$PORT" --send '{"type":"ping"}' --until pong --timeout 5 >"$T/noid.msgs" 2>&1
expect_eq ping-without-id "$(sed -n 2p "$T/noid.msgs")" '{"type":"pong"}' "reply"

# no Sec-WebSocket-Protocol: served anyway
"$WSCLIENT" --port "$PORT" --protocol "" --count 1 --timeout 5 >"$T/noproto.msgs" 2>&1
expect_eq no-subprotocol "$(jtype "$(head -1 "$T/noproto.msgs")")" hello "first message without a subprotocol"

# upgrades on another path are refused
"$WSCLIENT" --port "$PORT" --path /not-ws --count 1 --timeout 5 >"$T/path.msgs" 2>"$T/path.cerr"
st=$?
if [ "$st" = 0 ] || grep -q hello "$T/path.msgs"; then
	fail other-path-refused "a websocket on /not-ws was served (wsclient exit $st)"
else
	pass other-path-refused
fi

# still there, and a clean stop
if alive "$DPID"; then pass still-running; else wait "$DPID"; fail still-running "the daemon exited with status $?: $(tail -2 "$T/d.err" | tr '\n' ' ')"; fi
stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
awk -v w="$WAITED" 'BEGIN { exit !(w <= 2) }' && pass sigterm-within-2s || fail sigterm-within-2s "took $WAITED s"
