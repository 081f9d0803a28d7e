#!/bin/bash
# signals.sh — SIGHUP, SIGTERM and SIGINT on a running daemon (a 60 s noise
# file in real time) with a websocket client connected the whole time:
#  - SIGHUP after the config was edited to name another catalogue (one more
#    screen, one renamed): the log says reloaded, the recognizer takes the
#    new grammar, and the same connection gets a second hello with the new
#    catalogue;
#  - SIGHUP with that catalogue broken (invalid JSON): the error as
#    file:line, "keeping the running configuration", no new hello, a new
#    client still gets the catalogue in force; likewise with a bad config
#    line (config file:line);
#  - the client stayed connected throughout; SIGTERM then exits 0 within
#    2 s; SIGINT too (a second daemon).
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT" "$SRC/models/catalogue.json"

n_content=$(catalogue_kinds "$SRC/models/catalogue.json" | grep -vc ' control$')
n_entries=$(catalogue_kinds "$SRC/models/catalogue.json" | wc -l)

cp "$SRC/models/catalogue.json" "$T/cat1.json"
# cat2: one more screen, the first content entry after "main" renamed
sed -e '0,/"id": "prices", "en": "Prices"/s//"id": "prices", "en": "Consumer prices"/' \
	-e 's/^\( *"content": \[\)$/\1\n    { "id": "test-screen", "en": "Test screen", "ko": "시험", "privacy": "public", "say": ["test screen"] },/' \
	"$T/cat1.json" >"$T/cat2.json"
if ! grep -q '"Consumer prices"' "$T/cat2.json" || ! grep -q '"test-screen"' "$T/cat2.json" ||
	! "$DAEMON" -n -o catalogue="$T/cat2.json" >/dev/null 2>"$T/cat2.err"; then
	fail prerequisites "could not make the edited catalogue: $(tr '\n' ' ' <"$T/cat2.err")"
	exit 1
fi
printf '# signals test\nlog_level = info\ncatalogue = %s\n' "$T/cat1.json" >"$T/d.conf"

noise_wav "$T/noise.wav" 60
if ! start_daemon d -c "$T/d.conf" --audio-file "$T/noise.wav"; then
	fail start "$START_ERROR"
	exit 1
fi
client c1 --count 99 --timeout 60; c1=$CPID
if ! wait_for "$T/c1.msgs" '"type":"hello"' 5; then
	fail client-connected "no hello: $(tr '\n' ' ' <"$T/c1.cerr")"
	exit 1
fi
pass client-connected

hellos() { grep -c '"type":"hello"' "$T/c1.msgs"; }
last_hello() { grep '"type":"hello"' "$T/c1.msgs" | tail -1; }
count() { grep -o "$1" <<<"$2" | wc -l; }

# ---- 1. config now names cat2; SIGHUP
printf '# signals test, edited\nlog_level = info\ncatalogue = %s\n' "$T/cat2.json" >"$T/d.conf"
kill -HUP "$DPID"
r=""
wait_for "$T/d.err" "reloaded: $((n_content + 1)) content screens" 5 || r="no \"reloaded: $((n_content + 1)) content screens\" in the log: $(tail -3 "$T/d.err" | tr '\n' ' ')"
check reload-logged "$r"
if wait_for "$T/c1.msgs" '"type":"hello".*"type":"hello"|Consumer prices' 5 && [ "$(hellos)" = 2 ]; then
	h=$(last_hello)
	r=""
	[ "$(count '"privacy":"' "$h")" = $((n_content + 1)) ] || r="$(count '"privacy":"' "$h") catalogue entries, want $((n_content + 1))"
	[ -n "$r" ] || grep -q '{"id":"test-screen","en":"Test screen"' <<<"$h" || r="no test-screen entry"
	[ -n "$r" ] || grep -q '{"id":"prices","en":"Consumer prices"' <<<"$h" || r="prices is not renamed"
	[ -n "$r" ] || [ "$(jget "$h" screen)" = main ] || r="screen \"$(jget "$h" screen)\""
	check second-hello "$r"
else
	fail second-hello "the client has $(hellos) hello(s), want 2; wsclient: $(tr '\n' ' ' <"$T/c1.cerr")"
fi
wait_for "$T/d.err" "recognizer reloaded with $((n_entries + 1)) entries" 5 && pass recognizer-reloaded ||
	fail recognizer-reloaded "no \"recognizer reloaded with $((n_entries + 1)) entries\" in the log"
alive "$c1" && pass client-stays-connected || fail client-stays-connected "wsclient ended: $(tr '\n' ' ' <"$T/c1.cerr")"

# ---- 2. the catalogue in force is broken; SIGHUP keeps it
cp "$T/cat2.json" "$T/cat2.good"
sed -i '5s/$/ oops,/' "$T/cat2.json"
kill -HUP "$DPID"
r=""
wait_for "$T/d.err" "reload: catalogue errors; keeping the running configuration" 5 ||
	r="no \"keeping the running configuration\" in the log: $(tail -3 "$T/d.err" | tr '\n' ' ')"
[ -n "$r" ] || grep -q "^$T/cat2.json:[0-9]*: " "$T/d.err" || r="no \"$T/cat2.json:LINE:\" error in the log"
check broken-catalogue-kept "$r"
sleep 1
expect_eq broken-catalogue-no-hello "$(hellos)" 2 "hellos on the connected client"
alive "$DPID" && pass broken-catalogue-still-running || fail broken-catalogue-still-running "the daemon is gone: $(tail -2 "$T/d.err" | tr '\n' ' ')"
"$WSCLIENT" --port "$PORT" --send '{"type":"ping","id":1}' --until pong --timeout 5 >"$T/c2.msgs" 2>&1
h=$(head -1 "$T/c2.msgs")
[ "$(count '"privacy":"' "$h")" = $((n_content + 1)) ] && [ "$(sed -n 2p "$T/c2.msgs")" = '{"type":"pong","id":1}' ] &&
	pass broken-catalogue-new-client || fail broken-catalogue-new-client "a new client got $(count '"privacy":"' "$h") entries (want $((n_content + 1))), then: $(sed -n 2p "$T/c2.msgs")"

# ---- 3. a bad configuration line; SIGHUP keeps the running configuration
cp "$T/cat2.good" "$T/cat2.json"
printf '# signals test, broken\nlog_level = info\ncatalogue = %s\nno_such_option = 1\n' "$T/cat2.json" >"$T/d.conf"
kill -HUP "$DPID"
r=""
wait_for "$T/d.err" "reload: configuration errors; keeping the running configuration" 5 ||
	r="no \"configuration errors; keeping the running configuration\" in the log"
[ -n "$r" ] || grep -q "^$T/d.conf:4: " "$T/d.err" || r="no \"$T/d.conf:4:\" error in the log"
check broken-config-kept "$r"
sleep 1
expect_eq broken-config-no-hello "$(hellos)" 2 "hellos on the connected client"

# ---- the client is still there; SIGTERM
alive "$c1" && pass client-connected-throughout || fail client-connected-throughout "wsclient ended: $(tr '\n' ' ' <"$T/c1.cerr")"
stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
awk -v w="$WAITED" 'BEGIN { exit !(w <= 2) }' && pass sigterm-within-2s || fail sigterm-within-2s "took $WAITED s"
note "SIGTERM: exited after $WAITED s"
wait_exit "$c1" 5
expect_eq client-sees-close "$ST" 3 "wsclient status when the daemon stops (3: closed by the server)"

# ---- SIGHUP between the wake phrase and the end of its command: the
# command is not lost, the recognizer is swapped after it (real time).
cmdfile=$(awk -F'\t' '$2 == "wake-command" && $4 == "flite-rms" { print $1; exit }' "$CORPUS/manifest.tsv")
cmdexp=$(awk -F'\t' -v f="$cmdfile" '$1 == f { print $3 }' "$CORPUS/manifest.tsv")
if [ -n "$cmdfile" ] && start_daemon d3 -v --events-stdout --exit-at-eof --audio-file "$CORPUS/$cmdfile"; then
	if wait_for "$T/d3.out" '"type":"wake"' 20; then
		kill -HUP "$DPID"
		wait_exit "$DPID" 30
		expect_eq hup-mid-command-exit "$ST" 0 "exit status"
		grep -q "\"type\":\"intent\".*\"$cmdexp\"" "$T/d3.out" && pass hup-mid-command-kept ||
			fail hup-mid-command-kept "the command said during the reload was lost: $(tr '\n' ' ' <"$T/d3.out")"
		grep -q "recognizer reloaded" "$T/d3.err" && pass hup-mid-command-reloaded ||
			fail hup-mid-command-reloaded "the recognizer was never reloaded"
	else
		fail hup-mid-command-kept "no wake in $cmdfile"
		stop_daemon "$DPID" TERM
	fi
else
	fail hup-mid-command-kept "${START_ERROR:-no flite-rms wake-command file in the corpus}"
fi

# ---- SIGINT
if start_daemon d2 --audio-file "$T/noise.wav"; then
	stop_daemon "$DPID" INT
	expect_eq sigint-exit "$ST" 0 "exit status on SIGINT"
	awk -v w="$WAITED" 'BEGIN { exit !(w <= 2) }' && pass sigint-within-2s || fail sigint-within-2s "took $WAITED s"
else
	fail sigint-exit "$START_ERROR"
fi
