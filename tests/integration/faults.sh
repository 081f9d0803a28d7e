#!/bin/bash
# faults.sh — a full disk under the real daemon and the real `tokens add`
# (issue 12): the state directory is a 64 KiB tmpfs, filled to the last
# block with a running daemon and a trusted wall display on it:
#  - `tokens add` exits 1 and says "STATE/tokens: write: No space left on
#    device"; the tokens file is byte for byte the old one, no temporary
#    file is left, and `tokens list` still lists the old tokens;
#  - a remote pairing with the right code gets an error ("cannot store the
#    token"), the daemon logs the file and the reason, stays up, and the
#    wall stays trusted (a new connection with its token is trusted too);
#  - with room again, `tokens add` works and the running daemon trusts the
#    new token.
# Needs root for the mount; a mount that fails is a FAIL, not a skip.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

S=$T/state
MOUNTED=0
finish() {
	cleanup
	sleep 0.2
	[ "$MOUNTED" = 0 ] || umount "$S" 2>/dev/null || umount -l "$S"
}
trap finish EXIT

if ! out=$(mount -t tmpfs -o size=64k,mode=0700 tmpfs "$S" 2>&1); then
	fail mount "cannot mount a 64 KiB tmpfs on $S: $out (needs root)"
	exit 1
fi
MOUNTED=1
pass mount

tok() { # NAME ARGS...: smartofficed tokens ARGS; NAME.out, NAME.err, RC
	local name=$1
	shift
	"$DAEMON" --state-dir "$S" tokens "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
tok wall add --role display --name wall
WALL=$(head -1 "$T/wall.out")
tok tab1 add --role remote --name tab1
[ -n "$WALL" ] && [ "$RC" = 0 ] || { fail prerequisites "tokens add on the tmpfs: $(cat "$T/wall.err" "$T/tab1.err")"; exit 1; }

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

# ---- fill the file system to its last block
dd if=/dev/zero of="$S/filler" bs=4096 >/dev/null 2>&1
avail=$(df --output=avail -k "$S" | tail -1 | tr -d ' ')
check disk-full "$([ "$avail" = 0 ] || echo "$avail KiB still free after filling")"
before=$(sha256sum <"$S/tokens")

# ---- tokens add on the full disk
tok full add --role remote --name tablet
r=""
[ "$RC" = 1 ] || r="exit status $RC, want 1"
[ -n "$r" ] || grep -qF "$S/tokens: write: No space left on device" "$T/full.err" ||
	r="stderr does not say \"$S/tokens: write: No space left on device\": $(head -3 "$T/full.err" | tr '\n' ' ')"
[ -n "$r" ] || [ ! -s "$T/full.out" ] || r="a token printed on stdout: $(head -1 "$T/full.out")"
check add-full-refused "$r"
note "$(grep -F "$S/tokens" "$T/full.err" | head -1)"
check add-full-file-unchanged "$([ "$(sha256sum <"$S/tokens")" = "$before" ] || echo "the tokens file changed")"
check add-full-no-temporary "$(ls -A "$S" | grep '^\.tokens\.' | sed 's/^/left behind: /')"
tok list list
r=""
[ "$RC" = 0 ] || r="tokens list: exit status $RC: $(head -2 "$T/list.err" | tr '\n' ' ')"
[ -n "$r" ] || [ "$(grep -cE ' (wall|tab1)$' "$T/list.out")" = 2 ] || r="tokens list: $(tr '\n' '|' <"$T/list.out")"
[ -n "$r" ] || ! grep -q tablet "$T/list.out" || r="tokens list shows the token that was not stored"
check add-full-old-tokens-listed "$r"

# ---- pairing on the full disk: the daemon's own write
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"remote","name":"tablet"}' \
	--send '{"type":"pair-request","name":"tablet","id":1}' --until pair-pending --timeout 5 >"$T/req.msgs" 2>&1
wait_for "$T/wall.msgs" '"type":"pairing","code":"[0-9]{6}"' 3 || true
CODE=$(grep -o '"type":"pairing","code":"[0-9]*"' "$T/wall.msgs" | tail -1 | grep -o '[0-9]\{6\}')
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"remote","name":"tablet"}' \
	--send "{\"type\":\"pair\",\"code\":\"${CODE:-none}\",\"id\":2}" --until error --timeout 5 >"$T/pair.msgs" 2>&1
r=""
[ -n "$CODE" ] || r="the wall showed no code: $(grep -o '"type":"[a-z-]*"' "$T/req.msgs" | tr '\n' ' ')"
[ -n "$r" ] || grep -q '"message":"cannot store the token"' "$T/pair.msgs" ||
	r="the pair on a full disk got: $(cut -c1-160 "$T/pair.msgs" | tr '\n' ' ')"
[ -n "$r" ] || ! grep -q '"type":"paired"' "$T/pair.msgs" || r="paired without a stored token"
check pair-full-refused "$r"
sleep 0.3
check pair-full-logged "$(grep -qF "pairing: $S/tokens: write: No space left on device" "$T/d.err" ||
	echo "no \"pairing: $S/tokens: write: No space left on device\" in the log: $(grep pairing "$T/d.err" | tail -2 | tr '\n' ' ')")"
note "$(grep -F "pairing: $S/tokens" "$T/d.err" | head -1 | sed 's/^.*smartofficed: //')"
check pair-full-file-unchanged "$([ "$(sha256sum <"$S/tokens")" = "$before" ] || echo "the tokens file changed")"

# ---- the daemon kept its tokens: the wall was not demoted, and is trusted anew
sleep 1.2                               # the once-a-second look at the file
r=""
alive "$DPID" || r="the daemon exited: $(tail -2 "$T/d.err" | tr '\n' ' ')"
last=$(grep -o '"type":"hello","version":[0-9]*,"server":"[^"]*","role":"[a-z]*","view":"[a-z]*"' "$T/wall.msgs" | tail -1)
[ -n "$r" ] || [[ $last == *'"view":"trusted"' ]] || r="the wall was demoted: its last hello is $last"
[ -n "$r" ] || ! grep -qiE 'revoked|unreadable' "$T/d.err" || r="the log says: $(grep -iE 'revoked|unreadable' "$T/d.err" | head -1)"
# (the server's greeting is public; the second hello answers the token)
"$WSCLIENT" --port "$PORT" --send "$H_WALL" --count 2 --timeout 5 >"$T/wall2.msgs" 2>&1
[ -n "$r" ] || grep -q '"view":"trusted"' "$T/wall2.msgs" || r="a new connection with the wall's token is not trusted: $(head -c 200 "$T/wall2.msgs")"
check daemon-kept-tokens "$r"

# ---- room again
rm -f "$S/filler"
tok room add --role display --name lobby
NEW=$(head -1 "$T/room.out")
r=""
[ "$RC" = 0 ] || r="exit status $RC: $(head -2 "$T/room.err" | tr '\n' ' ')"
[ -n "$r" ] || [ "$(grep -cvE '^(#|$)' "$S/tokens")" = 3 ] || r="$(grep -cvE '^(#|$)' "$S/tokens") tokens in the file, want 3"
sleep 1.2
"$WSCLIENT" --port "$PORT" --send "{\"type\":\"hello\",\"role\":\"display\",\"name\":\"lobby\",\"token\":\"$NEW\"}" \
	--count 2 --timeout 5 >"$T/lobby.msgs" 2>&1
[ -n "$r" ] || grep -q '"view":"trusted"' "$T/lobby.msgs" || r="the daemon does not trust the token added with room again"
check add-after-room "$r"

stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
