#!/bin/bash
# trust.sh — the tokens file changing under a running daemon (audio off),
# with a trusted wall display connected the whole time (issue 12):
#  - a bad line, then a mode too open (0644): the file is "unreadable", not
#    a revocation: the wall stays trusted (no new hello), the log says
#    "unreadable" and never "revoked", and a tablet's token still makes a
#    new connection trusted meanwhile;
#  - the file good again: "readable again" in the log, nothing changes for
#    the wall;
#  - a real revocation (`tokens revoke`) demotes the tablet at once, and
#    only it;
#  - the file removed (every token gone: the wall falls back to public),
#    then put back: the wall, still connected, is trusted again.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

STATE=$T/state
FILE=$STATE/tokens
"$DAEMON" --state-dir "$STATE" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
WALL=$(head -1 "$T/wall.tok")
"$DAEMON" --state-dir "$STATE" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
TAB=$(head -1 "$T/tab.tok")
TAB_ID=$(awk -F'\t' '$5 == "tablet" { print $1 }' "$FILE")
if [ -z "$WALL" ] || [ -z "$TAB" ] || [ -z "$TAB_ID" ]; then
	fail prerequisites "tokens add gave no tokens"
	exit 1
fi

if ! start_daemon d -o audio=none -o log_level=info; then
	fail start "$START_ERROR"
	exit 1
fi
H_WALL="{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}"
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$TAB\"}"
client wall --send "$H_WALL" --until never --timeout 60
if ! wait_for "$T/wall.msgs" '"view":"trusted"' 5; then
	fail wall-trusted "the wall's token did not make it trusted: $(cut -c1-100 "$T/wall.msgs" | tr '\n' ' ')"
	exit 1
fi
pass wall-trusted

# views FILE: the views of the hellos FILE got, in order.
views() { grep '"type":"hello"' "$1" | grep -o '"view":"[a-z]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//'; }
# wait_views FILE WANT SECONDS: until FILE's hellos are WANT.
wait_views() {
	local n
	n=$(awk -v s="$3" 'BEGIN { print int(s * 20) }')
	while [ "$n" -gt 0 ]; do
		[ "$(views "$1")" = "$2" ] && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}
# settle: the daemon looks at the file once a second.
settle() { sleep 2.5; }

# still_trusted NAME WHY: the wall kept its one trusted hello, no "revoked"
# in the log, and a tablet connecting now is trusted too.
still_trusted() {
	local r=""
	[ "$(views "$T/wall.msgs")" = "public trusted" ] || r="the wall's hellos: $(views "$T/wall.msgs"), want \"public trusted\""
	[ -n "$r" ] || ! grep -q 'revoked' "$T/d.err" || r="the log says revoked: $(grep -m1 revoked "$T/d.err")"
	if [ -z "$r" ]; then
		"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"ping","id":5}' --until pong --timeout 5 \
			>"$T/$1.msgs" 2>&1
		[ "$(views "$T/$1.msgs")" = "public trusted" ] || r="a tablet connecting now got: $(views "$T/$1.msgs")"
	fi
	check "$1" "$r"
}

# ---- a bad line: unreadable, not revoked
cp "$FILE" "$T/tokens.good"
printf 'not a token line\n' >>"$FILE"
settle
check bad-line-logged "$(grep -q "tokens: .*unreadable" "$T/d.err" || echo "no \"unreadable\" in the log: $(grep tokens "$T/d.err" | tail -2 | tr '\n' ' ')")"
still_trusted bad-line-keeps-trust

# ---- good again
cp "$T/tokens.good" "$FILE"
chmod 600 "$FILE"
settle
check readable-again-logged "$(grep -q "tokens: .*readable again" "$T/d.err" || echo "no \"readable again\" in the log")"
still_trusted good-again-keeps-trust

# ---- too open
chmod 644 "$FILE"
settle
check too-open-logged "$(grep -c "tokens: .*unreadable" "$T/d.err" | grep -q '^2$' || echo "want a second \"unreadable\" line: $(grep tokens "$T/d.err" | tail -2 | tr '\n' ' ')")"
still_trusted too-open-keeps-trust
chmod 600 "$FILE"
settle

# ---- a real revocation: the tablet only
client tab --send "$H_TAB" --until never --timeout 30
wait_for "$T/tab.msgs" '"view":"trusted"' 5 || fail tablet-trusted "the tablet was not trusted"
"$DAEMON" --state-dir "$STATE" tokens revoke "$TAB_ID" >/dev/null 2>&1
r=""
wait_views "$T/tab.msgs" "public trusted public" 4 ||
	r="the tablet's hellos after the revocation: $(views "$T/tab.msgs")"
[ -n "$r" ] || grep -q "token $TAB_ID revoked" "$T/d.err" || r="no \"token $TAB_ID revoked\" in the log"
[ -n "$r" ] || [ "$(views "$T/wall.msgs")" = "public trusted" ] || r="the wall changed too: $(views "$T/wall.msgs")"
check revoke-demotes "$r"

# ---- the file removed, then back: the wall is trusted again
mv "$FILE" "$T/tokens.away"
settle
expect_eq removed-demotes "$(views "$T/wall.msgs")" "public trusted public" "the wall's hellos with no tokens file"
mv "$T/tokens.away" "$FILE"
settle
expect_eq back-promotes "$(views "$T/wall.msgs")" "public trusted public trusted" "the wall's hellos with the file back"
check back-promotes-tablet-not "$([ "$(views "$T/tab.msgs")" = "public trusted public" ] || echo "the revoked tablet's hellos: $(views "$T/tab.msgs")")"

if alive "$DPID"; then pass still-running; else fail still-running "the daemon exited: $(tail -2 "$T/d.err" | tr '\n' ' ')"; fi
stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
