#!/bin/bash
# pairing.sh — a stranger guessing pairing codes cannot switch pairing off
# (issue 12), against the real daemon (audio off) with a trusted wall
# display showing the codes:
#  - wrong codes while no code is live are refused and not counted: a
#    newcomer still gets a code afterwards, and pairs with it;
#  - a stranger guessing wrong while codes are live is locked out after 10
#    (its further guesses get rate-limited, even the right code), but the
#    trusted wall can still start a pairing;
#  - a code killed by wrong guesses is hidden on the wall;
#  - however fast the wrong codes come, they take a line or two of log,
#    not one each.
# Everything here comes from 127.0.0.1, so "per source" is the unit test's
# (tests/unit/test_pairing.c); this checks the daemon's wiring.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

STATE=$T/state
"$DAEMON" --state-dir "$STATE" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
WALL=$(head -1 "$T/wall.tok")
[ -n "$WALL" ] || { fail prerequisites "tokens add gave no token"; exit 1; }
if ! start_daemon d -o audio=none -o log_level=info; then
	fail start "$START_ERROR"
	exit 1
fi
H_WALL="{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}"
client wall --send "$H_WALL" --until never --timeout 60
if ! wait_for "$T/wall.msgs" '"view":"trusted"' 5; then
	fail wall-trusted "the wall did not become trusted"
	exit 1
fi

N=0
# ws NAME ARGS...: one short connection (ends with a ping answered).
ws() {
	local name=$1
	shift
	N=$((N + 1))
	"$WSCLIENT" --port "$PORT" "$@" --send "{\"type\":\"ping\",\"id\":$((N + 1000))}" --until pong --timeout 5 \
		>"$T/$name.msgs" 2>"$T/$name.cerr"
}
# guesses CODE COUNT: --send arguments for COUNT pair messages with CODE.
guesses() {
	local i
	GUESS=()
	for i in $(seq 1 "$2"); do GUESS+=(--send "{\"type\":\"pair\",\"code\":\"$1\",\"id\":$i}"); done
}
# the code the wall shows now, and one that surely is not it
shown() { grep -o '"type":"pairing","code":"[0-9]*"' "$T/wall.msgs" | tail -1 | grep -o '[0-9]\{6\}'; }
other() { printf '%s%d' "${1:0:5}" $(((${1:5:1} + 1) % 10)); }
codes_shown() { grep -c '"type":"pairing","code":"[0-9]' "$T/wall.msgs"; }
hides() { grep -c '"type":"pairing","code":null' "$T/wall.msgs"; }

# ---- 1. guesses with no code live: refused, not counted
guesses 000000 30
ws nocode "${GUESS[@]}"
expect_eq no-code-refused "$(grep -c '"code":"bad-pairing-code"' "$T/nocode.msgs")" 30 "bad-pairing-code replies to 30 guesses"
ws newcomer --send '{"type":"hello","role":"remote","name":"tablet"}' --send '{"type":"pair-request","name":"tablet","id":7}'
check newcomer-gets-code "$(grep -q '"type":"pair-pending"' "$T/newcomer.msgs" || echo "no pair-pending after 30 guesses without a code: $(grep -o '"code":"[a-z-]*","message":"[^"]*"' "$T/newcomer.msgs" | head -1)")"
wait_for "$T/wall.msgs" '"type":"pairing","code":"[0-9]{6}"' 3 || true
CODE=$(shown)
ws paired --send '{"type":"hello","role":"remote","name":"tablet"}' --send "{\"type\":\"pair\",\"code\":\"${CODE:-none}\",\"id\":8}"
check newcomer-pairs "$(grep -q '"type":"paired"' "$T/paired.msgs" || echo "the shown code ${CODE:-(none)} did not pair: $(cut -c1-100 "$T/paired.msgs" | tr '\n' ' ')")"

# ---- 2. a stranger guessing at live codes: locked out after 10; the wall is not
r=""
for round in 1 2; do
	before=$(codes_shown)
	ws "wallreq$round" --send "$H_WALL" --send '{"type":"pair-request","name":"tablet","id":9}'
	grep -q '"type":"pair-pending"' "$T/wallreq$round.msgs" || r+="round $round: the wall's pair-request got no pair-pending; "
	for _ in $(seq 1 60); do [ "$(codes_shown)" -gt "$before" ] && break; sleep 0.05; done
	CODE=$(shown)
	h=$(hides)
	guesses "$(other "${CODE:-000000}")" 5
	ws "stranger$round" "${GUESS[@]}"
	wait_for "$T/wall.msgs" '"type":"pairing","code":null' 2 || true
	[ "$(hides)" -gt "$h" ] || r+="round $round: the wall kept showing the code killed by 5 wrong guesses; "
done
check live-code-killed-and-hidden "$r"
ws wallreq3 --send "$H_WALL" --send '{"type":"pair-request","name":"tablet","id":10}'
for _ in $(seq 1 60); do [ "$(shown)" != "$CODE" ] && break; sleep 0.05; done
CODE=$(shown)
guesses "$CODE" 3
ws locked "${GUESS[@]}"
check stranger-locked-out "$([ "$(grep -c '"code":"rate-limited"' "$T/locked.msgs")" = 3 ] && ! grep -q '"type":"paired"' "$T/locked.msgs" ||
	echo "after 10 wrong codes, 3 guesses (the right code) got: $(grep -o '"type":"[a-z-]*"\(,"code":"[a-z-]*"\)\?' "$T/locked.msgs" | tr '\n' ' ')")"
ws wallreq4 --send "$H_WALL" --send '{"type":"pair-request","name":"tablet","id":11}'
check wall-still-pairs "$(grep -q '"type":"pair-pending"' "$T/wallreq4.msgs" || echo "the trusted wall's pair-request got: $(grep -o '"code":"[a-z-]*","message":"[^"]*"' "$T/wallreq4.msgs" | head -1)")"

# ---- 3. the log: not a line per wrong code
sleep 0.5
n=$(grep -c 'pairing: wrong' "$T/d.err")
check log-rate-limited "$([ "$n" -le 2 ] || echo "$n \"pairing: wrong\" lines for 10 wrong codes in a few seconds")"
n=$(grep -c 'pairing: .*wrong codes from' "$T/d.err")
expect_eq lock-logged-once "$n" 1 "lock-out lines"

if alive "$DPID"; then pass still-running; else fail still-running "the daemon exited: $(tail -2 "$T/d.err" | tr '\n' ' ')"; fi
stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
