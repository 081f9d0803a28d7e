#!/bin/bash
# websocket.sh — the daemon replaying in real time (a wake+command file
# with 3 s of lead-in, so that clients connect first) with two websocket
# clients (wsclient) connected at once:
#  - each gets hello first: version 2, server smartofficed, screen main,
#    mode public, view public, the public content entries and controls;
#  - then exactly the events the daemon printed on stdout, byte for byte:
#    wake, intent air-quality, navigate air-quality;
#  - real time gives the same events (same t) as --no-realtime;
#  - GET / over HTTP is the page of ui-bridge/web (index.html);
#  - the daemon exits 0 at the end of the file (--exit-at-eof) with clients
#    connected.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

SPEECH=$CORPUS/0002-wake-command-air-quality.wav    # flite-rms: "hey seoul. display the air quality"
need "$DAEMON" "$WSCLIENT" "$SPEECH"

# A client that says nothing is a public display: public entries only, and
# the controls without the two that change the privacy mode.
n_content=$(catalogue_kinds "$SRC/models/catalogue.json" | grep -c ' public$')
n_controls=$(( $(catalogue_kinds "$SRC/models/catalogue.json" | grep -c ' control$') - 2 ))

lead_in "$SPEECH" "$T/ws.wav" 3

# the reference: the same file as fast as possible
# (on the PocketSphinx engine, which decodes this input reliably: this test
# is about the websocket, not about recognition)
run_daemon ref --audio-file "$T/ws.wav" -o engine=pocketsphinx
ref=$(summary "$T/ref.out")
if [ "$ref" != "wake intent:air-quality navigate:air-quality" ] || [ "$(cat "$T/ref.rc")" != 0 ]; then
	fail reference "the --no-realtime run of the test input gave [$ref], exit $(cat "$T/ref.rc"): the input is unusable"
	exit 1
fi
pass reference

if ! start_daemon live --audio-file "$T/ws.wav" --events-stdout --exit-at-eof -o engine=pocketsphinx; then
	fail start "$START_ERROR"
	exit 1
fi
client c1 --until navigate --timeout 20; c1=$CPID
client c2 --until navigate --timeout 20; c2=$CPID
if wait_for "$T/c1.msgs" '"type":"hello"' 2.5 && wait_for "$T/c2.msgs" '"type":"hello"' 2.5; then
	pass clients-connected
else
	fail clients-connected "no hello within 2.5 s of the daemon listening: $(cat "$T/c1.cerr" "$T/c2.cerr" | tr '\n' ' ')"
fi

# the page, while the daemon runs
http_get "$PORT" / "$T/index.hdr" "$T/index.body"
status=$(head -1 "$T/index.hdr")
if [[ $status != HTTP/1.?" 200"* ]]; then
	fail http-index "GET /: \"$status\""
elif ! cmp -s "$T/index.body" "$SRC/ui-bridge/web/index.html"; then
	fail http-index "GET / is not ui-bridge/web/index.html ($(wc -c <"$T/index.body") bytes)"
elif ! grep -qi '^content-type: text/html' "$T/index.hdr"; then
	fail http-index "GET /: no text/html content-type"
else
	pass http-index
fi
http_get "$PORT" /nonexistent.html "$T/missing.hdr" "$T/missing.body"
status=$(head -1 "$T/missing.hdr")
[[ $status == HTTP/1.?" 404"* ]] && pass http-404 || fail http-404 "GET /nonexistent.html: \"$status\""

wait_exit "$c1" 20; st1=$ST
wait_exit "$c2" 20; st2=$ST
expect_eq client1-exit "$st1" 0 "wsclient --until navigate status ($(tr '\n' ' ' <"$T/c1.cerr"))"
expect_eq client2-exit "$st2" 0 "wsclient --until navigate status ($(tr '\n' ' ' <"$T/c2.cerr"))"
wait_exit "$DPID" 20
expect_eq daemon-exit "$ST" 0 "exit status at the end of the file"

# hello
for c in c1 c2; do
	hello=$(head -1 "$T/$c.msgs")
	r=""
	[ "$(jtype "$hello")" = hello ] || r="first message is not hello: ${hello:0:80}"
	[ -n "$r" ] || [ "$(jget "$hello" version)" = 2 ] || r="version $(jget "$hello" version), want 2"
	[ -n "$r" ] || [ "$(jget "$hello" server)" = smartofficed ] || r="server \"$(jget "$hello" server)\""
	[ -n "$r" ] || [ "$(jget "$hello" screen)" = main ] || r="screen \"$(jget "$hello" screen)\", want main"
	[ -n "$r" ] || [ "$(jget "$hello" mode)" = public ] || r="mode \"$(jget "$hello" mode)\", want public"
	n=$(grep -o '"ko":"[^"]*","privacy":"' <<<"$hello" | wc -l)
	[ -n "$r" ] || [ "$n" = "$n_content" ] || r="$n catalogue entries, want $n_content"
	n=$(grep -o '{"id":"[^"]*","en":"[^"]*"}' <<<"$hello" | wc -l)
	[ -n "$r" ] || [ "$n" = "$n_controls" ] || r="$n controls, want $n_controls"
	[ -n "$r" ] || grep -q '{"id":"air-quality","en":"Air quality","ko":"대기환경","privacy":"public"}' <<<"$hello" ||
		r="no air-quality entry (public, with its en and ko names)"
	[ -n "$r" ] || ! grep -qE 'approval-documents|video-conference|private-mode' <<<"$hello" ||
		r="the public hello names private content"
	[ -n "$r" ] || [ "$(jget "$hello" view)" = public ] || r="view \"$(jget "$hello" view)\", want public"
	[ -n "$r" ] || [ "$(grep -c '"type":"hello"' "$T/$c.msgs")" = 1 ] || r="more than one hello"
	check "hello-$c" "$r"
done
note "hello: $n_content content entries, $n_controls controls"

# the events, byte for byte as on stdout
for c in c1 c2; do
	tail -n +2 "$T/$c.msgs" >"$T/$c.events"
	if [ ! -s "$T/live.out" ]; then
		fail "events-$c" "the daemon printed no events on stdout"
	elif cmp -s "$T/$c.events" "$T/live.out"; then
		pass "events-$c"
	else
		fail "events-$c" "client got [$(summary "$T/$c.events")], stdout has [$(summary "$T/live.out")]"
	fi
done
expect_eq live-events "$(summary "$T/live.out")" "wake intent:air-quality navigate:air-quality" "events in real time"
check live-invariants "$(invariants "$T/live.out")"
if cmp -s "$T/live.out" "$T/ref.out"; then
	pass realtime-equals-fast
else
	fail realtime-equals-fast "real time: $(tr '\n' ' ' <"$T/live.out"); --no-realtime: $(tr '\n' ' ' <"$T/ref.out")"
fi
