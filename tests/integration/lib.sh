# lib.sh — helpers for the integration tests; sourced by every
# tests/integration/*.sh, which tests/run-integration runs each in a fresh
# temporary directory (the current directory) with these set:
#   SRC      the source tree          BUILD   the build directory (absolute)
#   CORPUS   the generated speech corpus (manifest.tsv, session.wav, ...)
#
# A test prints one line per check, "PASS name" or "FAIL name: reason"
# (through pass/fail below), and may print other lines starting with two
# spaces (measured figures, diagnostics).  Only bash, coreutils, grep, sed,
# awk and sox are used: neither jq nor python3 is needed here.

# shellcheck disable=SC2034  # START_ERROR, WAITED, ST, PORT, DPID, CPID: read by the tests
set -u

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$SRC/build}
CORPUS=${CORPUS:-$BUILD/corpus}
DAEMON=$BUILD/smartofficed
WSCLIENT=$BUILD/tools/wsclient
T=$PWD                       # this test's own temporary directory
TEST=$(basename "$0" .sh)    # prefix of the check names
mkdir -p "$T/state"

# ------------------------------------------------------------------ checks

pass() { printf 'PASS %s/%s\n' "$TEST" "$1"; }
fail() { printf 'FAIL %s/%s: %s\n' "$TEST" "$1" "$2"; }
note() { printf '  %s\n' "$*"; }

# check NAME REASON: passes when REASON is empty, else fails with it.
check() { if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi; }

# expect_eq NAME GOT WANT [WHAT]
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "${4:-value}: got \"$2\", want \"$3\""; fi
}

# need FILE...: fails the check "prerequisites" (and the test) when a file
# the test needs is not there, so that nothing is skipped silently.
need() {
	local f missing=""
	for f in "$@"; do [ -e "$f" ] || missing+=" $f"; done
	if [ -n "$missing" ]; then
		fail prerequisites "missing:$missing"
		exit 1
	fi
}

# ------------------------------------------------------------------ JSON
# The daemon prints compact JSON (jansson, JSON_COMPACT): every member as
# "key":value with no spaces.  These read top-level members of such lines;
# good enough for events, replies and hello (whose nested arrays hold no
# member named like a top-level one that the tests read).

# jget LINE KEY: the value of member KEY (strings without their quotes and
# with \" and \\ undone; numbers, true/false/null as written); empty and
# status 1 when absent.
jget() {
	local line=$1 key=$2 v
	if [[ $line =~ [{,]\"$key\":\"(([^\"\\]|\\.)*)\" ]]; then
		v=${BASH_REMATCH[1]}
		v=${v//\\\"/\"}
		v=${v//\\\\/\\}
		printf '%s' "$v"
	elif [[ $line =~ [{,]\"$key\":(-?[0-9][0-9.eE+-]*|true|false|null) ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
	else
		return 1
	fi
}

# jtype LINE: the "type" member.
jtype() { jget "$1" type; }

# types FILE: the types of the JSON lines of FILE, space-separated.
types() {
	local line out=""
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		out+="${out:+ }$(jtype "$line")"
	done <"$1"
	printf '%s' "$out"
}

# summary FILE: one word per event, e.g. "wake intent:air-quality
# navigate:air-quality"; for reading in failure messages.
summary() {
	local line ty id out=""
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		ty=$(jtype "$line")
		id=$(jget "$line" content || jget "$line" command || jget "$line" mode || jget "$line" reason || true)
		out+="${out:+ }$ty${id:+:$id}"
	done <"$1"
	printf '%s' "${out:-(no events)}"
}

# ------------------------------------------------------------------ events

# invariants FILE: checks the event stream of one daemon run (the JSON lines
# of --events-stdout).  Prints nothing when it holds, else the first
# violation:
#  - every line is a JSON object with a string "type", integer "seq" and
#    numeric "t";
#  - seq is 1, 2, 3, ... (one run, increasing by one);
#  - t never decreases;
#  - every navigate (source voice), denied, command and mode comes directly
#    after the intent that caused it, at the same t, about the same id;
#    a navigate with source "policy" comes directly after a mode event;
#  - each wake gets exactly one decision (intent or rejected) before the
#    next wake, and no decision comes without a wake.
invariants() {
	local file=$1 line n=0 ty seq t src prev_ty="" prev_t="" prev_line="" last_t=""
	local id iid awaiting=0
	while IFS= read -r line; do
		n=$((n + 1))
		if [[ ! $line =~ ^\{.*\}$ ]]; then
			echo "line $n is not a JSON object: ${line:0:80}"; return
		fi
		ty=$(jtype "$line") || { echo "line $n has no \"type\": ${line:0:80}"; return; }
		seq=$(jget "$line" seq) || { echo "line $n ($ty) has no \"seq\""; return; }
		t=$(jget "$line" t) || { echo "line $n ($ty) has no \"t\""; return; }
		[[ $seq =~ ^[0-9]+$ ]] || { echo "line $n: seq \"$seq\" is not an integer"; return; }
		[[ $t =~ ^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] || { echo "line $n: t \"$t\" is not a number"; return; }
		[ "$seq" = "$n" ] || { echo "line $n ($ty): seq $seq, want $n"; return; }
		if [ -n "$last_t" ] && awk -v a="$t" -v b="$last_t" 'BEGIN { exit !(a < b) }'; then
			echo "seq $seq ($ty): t $t is before the previous event's $last_t"; return
		fi
		last_t=$t
		case $ty in
		navigate | denied | command | mode)
			src=$(jget "$line" source || true)
			if [ "$ty" = navigate ] && [ "$src" = policy ]; then
				[ "$prev_ty" = mode ] || { echo "seq $seq: navigate (policy) not directly after a mode event"; return; }
			else
				[ "$prev_ty" = intent ] || { echo "seq $seq: $ty not directly after its intent (after ${prev_ty:-nothing})"; return; }
				[ "$t" = "$prev_t" ] || { echo "seq $seq: $ty at t $t, its intent at $prev_t"; return; }
				iid=$(jget "$prev_line" content || jget "$prev_line" command)
				case $ty in
				navigate) id=$(jget "$line" content) ;;
				denied) id=$(jget "$line" content || jget "$line" command) ;;
				command) id=$(jget "$line" command) ;;
				mode) id=$(jget "$line" mode); id=$id-mode ;;
				esac
				[ "$id" = "$iid" ] || { echo "seq $seq: $ty about \"$id\" after an intent about \"$iid\""; return; }
			fi
			;;
		wake)
			[ "$awaiting" = 0 ] || { echo "seq $seq: a second wake before the first one's decision"; return; }
			awaiting=1
			;;
		intent | rejected)
			[ "$awaiting" = 1 ] || { echo "seq $seq: $ty without a wake before it"; return; }
			awaiting=0
			;;
		*)
			echo "seq $seq: unknown event type \"$ty\""; return
			;;
		esac
		prev_ty=$ty prev_t=$t prev_line=$line
	done <"$file"
	[ "$awaiting" = 0 ] || echo "the last wake got no decision (intent or rejected)"
}

# ------------------------------------------------------------------ daemon

DAEMON_PIDS=()
CHILD_PIDS=()

# run_daemon NAME ARGS...: one replay run in the foreground:
#   smartofficed --no-realtime --events-stdout --exit-at-eof --port 0 ...
# stdout in NAME.out, stderr in NAME.err, exit status in NAME.rc.  Gives up
# (status 124) after 120 s.
run_daemon() {
	local name=$1 rc
	shift
	timeout -k 5 120 "$DAEMON" --no-realtime --events-stdout --exit-at-eof --port 0 \
		--state-dir "$T/state" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	echo "$rc" >"$T/$name.rc"
	return 0
}

# refused_run NAME PATH PATTERN ARGS...: run_daemon NAME ARGS must exit 1
# with a message naming PATH and matching the extended regex PATTERN, and
# print no event (bad input is refused before anything is replayed).
refused_run() {
	local name=$1 path=$2 pat=$3 rc err
	shift 3
	run_daemon "$name" "$@"
	rc=$(cat "$T/$name.rc")
	err=$(tr '\n' ' ' <"$T/$name.err")
	if [ "$rc" != 1 ]; then
		fail "$name" "exit status $rc, want 1 ($err)"
	elif ! grep -qF -- "$path" "$T/$name.err"; then
		fail "$name" "no message naming $path: $err"
	elif ! grep -qE -- "$pat" "$T/$name.err"; then
		fail "$name" "message does not say /$pat/: $err"
	elif [ -s "$T/$name.out" ]; then
		fail "$name" "events on stdout: $(head -1 "$T/$name.out")"
	else
		pass "$name"
	fi
}

# start_daemon NAME ARGS...: starts smartofficed in the background with
# --port 0 (stdout NAME.out, stderr NAME.err) and waits until it listens:
# the "listening; dashboards: http://ADDR:PORT/" line on stderr.  Sets
# DPID and PORT.  Status 1 (reason in START_ERROR) if it exits first or
# does not listen within 15 s.
start_daemon() {
	local name=$1
	shift
	START_ERROR=""
	PORT=""
	"$DAEMON" --port 0 --state-dir "$T/state" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	DPID=$!
	DAEMON_PIDS+=("$DPID")
	for _ in $(seq 1 300); do
		PORT=$(sed -n 's#.*listening; dashboards: http://[^/]*:\([0-9][0-9]*\)/.*#\1#p' "$T/$name.err" | head -1)
		[ -z "$PORT" ] || return 0
		if ! kill -0 "$DPID" 2>/dev/null; then
			wait "$DPID"
			START_ERROR="exited with status $? before listening: $(tail -2 "$T/$name.err" | tr '\n' ' ')"
			return 1
		fi
		sleep 0.05
	done
	START_ERROR="no \"listening; dashboards\" line within 15 s"
	return 1
}

# alive PID: the process is still running (and not a zombie).
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# wait_exit PID SECONDS: waits up to SECONDS for our child PID to end.
# Sets ST to its exit status, or to "timeout" (leaving it running) if it is
# still running then, and WAITED to the seconds it took.  Not to be run in
# $(...): only this shell can collect its children's status.
wait_exit() {
	local pid=$1 limit=$2 t0 t1
	t0=$(date +%s.%N)
	while alive "$pid"; do
		t1=$(date +%s.%N)
		if awk -v a="$t0" -v b="$t1" -v l="$limit" 'BEGIN { exit !(b - a > l) }'; then
			WAITED=$limit
			ST=timeout
			return
		fi
		sleep 0.02
	done
	t1=$(date +%s.%N)
	WAITED=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	wait "$pid"
	ST=$?
}

# stop_daemon PID [SIGNAL]: sends SIGNAL (TERM) and waits up to 5 s; sets
# ST to the exit status or "timeout" (then kills it), WAITED to the time.
stop_daemon() {
	local pid=$1 sig=${2:-TERM}
	kill -s "$sig" "$pid" 2>/dev/null
	wait_exit "$pid" 5
	if [ "$ST" = timeout ]; then
		kill -s KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
}

# wait_for FILE PATTERN SECONDS: waits until a line of FILE matches the
# extended regex PATTERN; status 1 on timeout.
wait_for() {
	local file=$1 pat=$2 n
	n=$(awk -v s="$3" 'BEGIN { print int(s * 20) }')
	while [ "$n" -gt 0 ]; do
		grep -qE -- "$pat" "$file" 2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# client NAME ARGS...: runs wsclient --port $PORT ARGS in the background
# (stdout NAME.msgs, stderr NAME.cerr); sets CPID.
client() {
	local name=$1
	shift
	"$WSCLIENT" --port "$PORT" "$@" >"$T/$name.msgs" 2>"$T/$name.cerr" &
	CPID=$!
	CHILD_PIDS+=("$CPID")
}

# Everything this test started is ended when it ends, by process id.
cleanup() {
	local p
	for p in "${CHILD_PIDS[@]}" "${DAEMON_PIDS[@]}"; do
		if kill -0 "$p" 2>/dev/null; then
			kill -s TERM "$p" 2>/dev/null
		fi
	done
}
trap cleanup EXIT

# http_get PORT PATH HEADERS BODY: GET http://127.0.0.1:PORT/PATH; the
# status line and headers (CRLF removed) go to HEADERS, the body to BODY.
# With curl when there is one, else (or with IT_NO_CURL=1) through bash's
# /dev/tcp (HTTP/1.0).
http_get() {
	local port=$1 path=$2 hdr=$3 body=$4
	if [ -z "${IT_NO_CURL:-}" ] && command -v curl >/dev/null; then
		curl -s --max-time 5 -D "$hdr.raw" -o "$body" "http://127.0.0.1:$port$path"
	else
		(
			exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
			printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
			timeout 5 cat <&3
		) >"$body.raw"
		# headers end at the first empty line (text only: no NUL bytes)
		local raw
		raw=$(LC_ALL=C; cat "$body.raw"; echo x)
		raw=${raw%x}
		printf '%s\n' "${raw%%$'\r\n\r\n'*}" >"$hdr.raw"
		printf '%s' "${raw#*$'\r\n\r\n'}" >"$body"
		rm -f "$body.raw"
	fi
	tr -d '\r' <"$hdr.raw" >"$hdr"
	rm -f "$hdr.raw"
}

# ------------------------------------------------------------------ audio

# noise_wav OUT SECONDS [DB]: pink noise at about DB dBFS RMS (default
# -50), 16 kHz mono 16-bit; deterministic.
noise_wav() {
	sox -R -n -r 16000 -c 1 -b 16 -e signed-integer "$1" synth "$2" pinknoise \
		gain -n -3 gain "$(awk -v d="${3:--50}" 'BEGIN { print d + 16 }')" 2>/dev/null
}

# lead_in IN OUT SECONDS: IN with SECONDS of silence before it, the whole
# laid over a low pink-noise bed (a microphone never gives digital silence).
lead_in() {
	local len
	sox -R "$1" "$T/.lead.wav" pad "$3" 0
	len=$(soxi -D "$T/.lead.wav")
	noise_wav "$T/.bed.wav" "$len" -55
	sox -R -m "$T/.lead.wav" "$T/.bed.wav" -b 16 "$2"
	rm -f "$T/.lead.wav" "$T/.bed.wav"
}

# ------------------------------------------------------------------ catalogue

# catalogue_kinds FILE: one line "ID KIND" per entry of a catalogue, KIND
# being public, private (content) or control (books are not entries).
catalogue_kinds() {
	jq -r '(.content[] | "\(.id) \(.privacy)"), (.controls[] | "\(.id) control")' "$1"
}
