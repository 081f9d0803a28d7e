#!/bin/bash
# tokens.sh — `smartofficed tokens list|add|revoke` end to end, on a real
# state directory:
#  - list on a fresh directory says "no tokens" and makes nothing;
#  - add prints the token alone on the first line of stdout (43 characters
#    of base64url), then "open: URL#token=TOKEN" for a display (/) and a
#    remote (/remote/), nothing more for an observer, and warns on stderr
#    that the token is shown only once;
#  - the file is mode 0600 (even under umask 000) and holds the token's
#    SHA-256, never the token;
#  - list prints a table ID ROLE CREATED NAME with one row per token;
#  - revoke ID says "revoked ID" and the row is gone; an unknown id exits 1;
#  - usage errors exit 2 with a message and print nothing on stdout; --help
#    exits 0;
#  - a file that others may read (0644) and a file with a bad line are
#    refused (exit 1) with "PATH: mode 0644: ..." and "PATH:LINE: ...";
#  - 20 adds at once lose none (the writers' lock).
# The binary is one variable: tests/tools/tokens-cli until smartofficed
# itself hands "tokens" over (then TOKENS_CLI=$BUILD/smartofficed).
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

TOKENS_CLI=${TOKENS_CLI:-$BUILD/smartofficed}

need "$TOKENS_CLI"

S=$T/st                        # made by the first add
FILE=$S/tokens

# tok NAME ARGS...: runs "$TOKENS_CLI --state-dir $S tokens ARGS"; stdout in
# NAME.out, stderr in NAME.err, status in RC.
tok() {
	local name=$1
	shift
	"$TOKENS_CLI" --state-dir "$S" tokens "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
out() { cat "$T/$1.out"; }
err1() { head -3 "$T/$1.err" | tr '\n' ' '; }

B64_43='^[A-Za-z0-9_-]{43}$'
TAB=$'\t'

# ---- list on nothing
tok list0 list
r=""
[ "$RC" = 0 ] || r="exit status $RC: $(err1 list0)"
[ -n "$r" ] || [ "$(out list0)" = "no tokens" ] || r="stdout \"$(out list0)\", want \"no tokens\""
[ -n "$r" ] || [ ! -e "$FILE" ] || r="list made $FILE"
check list-empty "$r"

# ---- add: one of each role
tok add_d add --role display --name "Wall display"
r=""
TD=$(head -1 "$T/add_d.out")
[ "$RC" = 0 ] || r="exit status $RC: $(err1 add_d)"
[ -n "$r" ] || [[ $TD =~ $B64_43 ]] || r="first line \"$TD\" is not 43 characters of base64url"
[ -n "$r" ] || [[ $(sed -n 2p "$T/add_d.out") =~ ^open:\ https?://[^/]+/#token=$TD$ ]] ||
	r="second line \"$(sed -n 2p "$T/add_d.out")\", want \"open: http://HOST:PORT/#token=$TD\""
[ -n "$r" ] || [ "$(wc -l <"$T/add_d.out")" = 2 ] || r="$(wc -l <"$T/add_d.out") lines on stdout, want 2"
[ -n "$r" ] || grep -q 'shown only once' "$T/add_d.err" || r="no \"shown only once\" warning on stderr: $(err1 add_d)"
check add-display "$r"

tok add_r add --role remote --name "Tablet 3"
r=""
TR=$(head -1 "$T/add_r.out")
[ "$RC" = 0 ] || r="exit status $RC: $(err1 add_r)"
[ -n "$r" ] || [[ $TR =~ $B64_43 ]] || r="first line \"$TR\" is not a token"
[ -n "$r" ] || [[ $(sed -n 2p "$T/add_r.out") =~ ^open:\ https?://[^/]+/remote/#token=$TR$ ]] ||
	r="second line \"$(sed -n 2p "$T/add_r.out")\", want \"open: http://HOST:PORT/remote/#token=$TR\""
[ -n "$r" ] || [ "$TR" != "$TD" ] || r="the same token twice"
check add-remote "$r"

tok add_o add --role=observer --name=logger
r=""
TO=$(head -1 "$T/add_o.out")
[ "$RC" = 0 ] || r="exit status $RC: $(err1 add_o)"
[ -n "$r" ] || [[ $TO =~ $B64_43 ]] || r="first line \"$TO\" is not a token"
[ -n "$r" ] || [ "$(wc -l <"$T/add_o.out")" = 1 ] || r="$(wc -l <"$T/add_o.out") lines on stdout, want 1 (no URL for an observer)"
check add-observer "$r"

# ---- the file
r=""
[ "$(stat -c %a "$FILE" 2>/dev/null)" = 600 ] || r="mode $(stat -c %a "$FILE" 2>&1), want 600"
for t in "$TD" "$TR" "$TO"; do
	[ -n "$r" ] || ! grep -qF -- "$t" "$FILE" || r="the token $t itself is in the file"
	h=$(printf '%s' "$t" | sha256sum | cut -c1-64)
	[ -n "$r" ] || grep -qE "^[0-9a-f]{8}$TAB$h$TAB(display|remote|observer)$TAB" "$FILE" || r="no line with SHA-256 $h"
done
check file-hashed-0600 "$r"

# ---- list
tok list3 list
r=""
[ "$RC" = 0 ] || r="exit status $RC: $(err1 list3)"
[ -n "$r" ] || [[ $(head -1 "$T/list3.out") =~ ^ID\ +ROLE\ +CREATED\ +NAME$ ]] || r="header \"$(head -1 "$T/list3.out")\""
[ -n "$r" ] || [ "$(tail -n +2 "$T/list3.out" | grep -cE '^[0-9a-f]{8}  (display|remote|observer) +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z  .')" = 3 ] ||
	r="want 3 rows ID ROLE CREATED NAME, got: $(tr '\n' '|' <"$T/list3.out")"
[ -n "$r" ] || grep -qE '^[0-9a-f]{8}  remote  .*Z  Tablet 3$' "$T/list3.out" || r="no row for the remote \"Tablet 3\": $(tr '\n' '|' <"$T/list3.out")"
check list "$r"

# ---- revoke
RID=$(awk '$2 == "remote" { print $1 }' "$T/list3.out")
tok revoke revoke "$RID"
r=""
[ "$RC" = 0 ] || r="exit status $RC: $(err1 revoke)"
[ -n "$r" ] || [ "$(out revoke)" = "revoked $RID" ] || r="stdout \"$(out revoke)\", want \"revoked $RID\""
tok list2 list
[ -n "$r" ] || [ "$(tail -n +2 "$T/list2.out" | wc -l)" = 2 ] || r="$(tail -n +2 "$T/list2.out" | wc -l) rows after the revoke, want 2"
[ -n "$r" ] || ! grep -q "^$RID " "$T/list2.out" || r="$RID is still listed"
h=$(printf '%s' "$TR" | sha256sum | cut -c1-64)
[ -n "$r" ] || ! grep -q "$h" "$FILE" || r="the revoked token's hash is still in the file"
check revoke "$r"

tok revoke2 revoke "$RID"
r=""
[ "$RC" = 1 ] || r="exit status $RC, want 1"
[ -n "$r" ] || grep -q "no token with id $RID" "$T/revoke2.err" || r="stderr: $(err1 revoke2)"
[ -n "$r" ] || [ ! -s "$T/revoke2.out" ] || r="stdout: $(out revoke2)"
check revoke-unknown "$r"

# ---- usage
r=""
usage_case() { # WHAT ARGS...: exit 2, a message, nothing on stdout
	local what=$1
	shift
	tok usage "$@"
	if [ "$RC" != 2 ]; then
		r+="${r:+; }$what: exit status $RC, want 2"
	elif [ ! -s "$T/usage.err" ]; then
		r+="${r:+; }$what: no message"
	elif [ -s "$T/usage.out" ]; then
		r+="${r:+; }$what: stdout \"$(out usage)\""
	fi
}
usage_case "no command"
usage_case "unknown command" frobnicate
usage_case "add without --role" add --name x
usage_case "add without --name" add --role remote
usage_case "add, unknown role" add --role root --name x
usage_case "add, --role without value" add --name x --role
usage_case "add, tab in the name" add --role remote --name "$(printf 'a\tb')"
usage_case "add, 65-byte name" add --role remote --name "$(printf '%065d' 0)"
usage_case "add, stray argument" add --role remote --name x extra
usage_case "revoke without id" revoke
usage_case "list with an argument" list all
check usage-errors "$r"
tok list_after_usage list
[ "$(tail -n +2 "$T/list_after_usage.out" | wc -l)" = 2 ] && pass usage-changed-nothing ||
	fail usage-changed-nothing "rows now: $(tr '\n' '|' <"$T/list_after_usage.out")"

tok help --help
r=""
[ "$RC" = 0 ] || r="exit status $RC"
[ -n "$r" ] || grep -q 'tokens add --role display|remote|observer|tv|admin --name NAME' "$T/help.out" || r="no usage on stdout: $(head -2 "$T/help.out" | tr '\n' ' ')"
check help "$r"

# ---- a file others may read; a bad line
chmod 644 "$FILE"
tok open list
r=""
[ "$RC" = 1 ] || r="exit status $RC, want 1"
[ -n "$r" ] || grep -qF "$FILE: mode 0644: must not be readable by others (chmod 600)" "$T/open.err" || r="stderr: $(err1 open)"
tok open_add add --role remote --name x
[ -n "$r" ] || [ "$RC" = 1 ] || r="add on a 0644 file: exit status $RC, want 1"
[ -n "$r" ] || [ "$(stat -c %a "$FILE")" = 644 ] || r="add changed the mode it refused"
check mode-0644-refused "$r"
chmod 600 "$FILE"

n=$(wc -l <"$FILE")
cp "$FILE" "$T/tokens.good"
printf '0123abcd\tnot-a-hash\tremote\t2026-01-01T00:00:00Z\tx\n' >>"$FILE"
tok badline list
r=""
[ "$RC" = 1 ] || r="exit status $RC, want 1"
[ -n "$r" ] || grep -qF "$FILE:$((n + 1)): bad sha256" "$T/badline.err" || r="no \"$FILE:$((n + 1)): bad sha256\": $(err1 badline)"
check bad-line-refused "$r"
cp "$T/tokens.good" "$FILE"

# ---- umask 000
S2=$T/st2
(umask 000 && "$TOKENS_CLI" --state-dir "$S2" tokens add --role display --name u >"$T/umask.out" 2>"$T/umask.err")
RC=$?
r=""
[ "$RC" = 0 ] || r="exit status $RC: $(err1 umask)"
[ -n "$r" ] || [ "$(stat -c %a "$S2/tokens")" = 600 ] || r="mode $(stat -c %a "$S2/tokens"), want 600"
[ -n "$r" ] || [ "$(stat -c %a "$S2")" = 700 ] || r="state directory mode $(stat -c %a "$S2"), want 700"
check umask-000 "$r"

# ---- 20 writers at once
S3=$T/st3
pids=()
for i in $(seq 1 20); do
	"$TOKENS_CLI" --state-dir "$S3" tokens add --role remote --name "device $i" >"$T/par$i.out" 2>"$T/par$i.err" &
	pids+=("$!")
done
r=""
for p in "${pids[@]}"; do wait "$p" || r="an add failed"; done
"$TOKENS_CLI" --state-dir "$S3" tokens list >"$T/par.list" 2>&1
[ -n "$r" ] || [ "$(grep -c ' device [0-9]*$' "$T/par.list")" = 20 ] || r="$(grep -c ' device [0-9]*$' "$T/par.list") of 20 tokens listed"
[ -n "$r" ] || [ "$(cat "$T"/par*.out | grep -cE "$B64_43")" = 20 ] || r="not 20 tokens printed"
check concurrent-adds "$r"
