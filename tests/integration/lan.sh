#!/bin/bash
# lan.sh — what a newcomer setting the daemon up for the office's LAN runs
# into (issue 10, item 6), against the real daemon:
#  - every page folder of the web root (remote/, ...) and every mounted
#    folder (js/, documents/public/) answers its name without the slash
#    with a 301 to NAME/, and NAME/ serves the folder's index.html;
#  - a websocket upgrade from a foreign Origin gets "403 Forbidden" (as
#    docs/protocol.md says), the page's own origin gets 101;
#  - log lines carry the local time, ISO 8601 with milliseconds and the
#    offset (checked under TZ=Asia/Seoul against the clock), and none under
#    the journal (JOURNAL_STREAM: "<6>" and the message, as before);
#  - TLS with tls_cert/tls_key and a self-signed certificate made here by
#    openssl: wss:// through wsclient --tls checking the certificate (and
#    refused without it: the check is real), https:// pages (the redirect
#    says https), plain ws:// refused, STATE_DIR/url and `tokens add` say
#    https://; a missing key file or tls_cert alone is refused at start
#    with the file named.
# Raw HTTP goes through bash's /dev/tcp and `openssl s_client`: no curl.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT" "$SRC/ui-bridge/web/index.html"
command -v openssl >/dev/null || { fail prerequisites "openssl is not installed (Debian package openssl)"; exit 1; }

# raw PORT < REQUEST: sends the request (CRLF lines) over plain TCP, prints
# the reply's status line and headers (CR removed), up to the blank line.
raw() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		cat >&3
		timeout 5 cat <&3
	) 2>/dev/null | tr -d '\r' | sed '/^$/q'
}
# get PORT PATH: GET PATH over plain HTTP (headers only).
get() { printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$2" "$1" | raw "$1"; }
upgrade() { # PORT ORIGIN
	printf 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: smartoffice\r\nOrigin: %s\r\n\r\n' "$1" "$2" | raw "$1"
}

TZ=Asia/Seoul start_daemon d -o audio=none || { fail start "$START_ERROR"; exit 1; }

# ---- 1. folders without the slash
r=""
pages=""
for f in "$SRC"/ui-bridge/web/*/index.html; do
	[ -f "$f" ] || continue
	pages+=" $(basename "$(dirname "$f")")"
done
[ -n "$pages" ] || r="no page folder in $SRC/ui-bridge/web"
note "page folders:$pages; mounts: js documents/public"
for p in $pages js documents/public; do
	h=$(get "$PORT" "/$p")
	status=$(head -1 <<<"$h")
	loc=$(grep -i '^location:' <<<"$h" | sed 's/^[^:]*: *//')
	[[ $status =~ ^HTTP/1\.[01]\ 301 ]] || { r+=" /$p: \"$status\", want 301"; continue; }
	[ "$loc" = "http://127.0.0.1:$PORT/$p/" ] || r+=" /$p: Location \"$loc\""
done
check redirect-folders "$r"
r=""
for p in $pages; do
	http_get "$PORT" "/$p/" "$T/$p.hdr" "$T/$p.body"
	head -1 "$T/$p.hdr" | grep -q ' 200' || { r+=" /$p/: $(head -1 "$T/$p.hdr")"; continue; }
	cmp -s "$T/$p.body" "$SRC/ui-bridge/web/$p/index.html" || r+=" /$p/ is not $p/index.html"
done
check folder-index "$r"

# ---- 2. foreign Origin: 403
h=$(upgrade "$PORT" "http://evil.example")
r=""
[[ $(head -1 <<<"$h") =~ ^HTTP/1\.[01]\ 403 ]] || r="foreign origin: \"$(head -1 <<<"$h")\", want 403"
wait_for "$T/d.err" 'origin http://evil.example is not allowed' 2 || r+=" (not logged)"
check origin-403 "$r"
h=$(upgrade "$PORT" "http://127.0.0.1:$PORT")
check origin-own-101 "$([[ $(head -1 <<<"$h") =~ ^HTTP/1\.1\ 101 ]] || echo "own origin: \"$(head -1 <<<"$h")\", want 101")"

# ---- 3. timestamps
line=$(grep -m1 'listening; dashboards' "$T/d.err")
note "log line: $line"
r=""
re='^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):[0-9]{2}\.[0-9]{3}\+09:00 smartofficed: info: listening; dashboards'
if [[ $line =~ $re ]]; then
	# the stamp is Seoul time: UTC + 9 h, within a minute of now
	stamp_s=$(TZ=Asia/Seoul date -d "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:${BASH_REMATCH[3]}" +%s)
	now=$(date +%s)
	[ $((now - stamp_s)) -ge -60 ] && [ $((now - stamp_s)) -le 120 ] || r="stamp is $((now - stamp_s)) s from now"
else
	r="not \"YYYY-MM-DDTHH:MM:SS.mmm+09:00 smartofficed: info: ...\": $line"
fi
if [ -z "$r" ] && grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}[+-][0-9]{2}:[0-9]{2} smartofficed: ' "$T/d.err"; then
	r="a line without a stamp: $(grep -vE '^[0-9]{4}-' "$T/d.err" | head -1)"
fi
check log-timestamps "$r"
stop_daemon "$DPID"

JOURNAL_STREAM=8:1234 start_daemon j -o audio=none || { fail journal-start "$START_ERROR"; exit 1; }
stop_daemon "$DPID"
r=""
grep -q '^<6>listening; dashboards' "$T/j.err" || r="no \"<6>listening; dashboards\": $(head -2 "$T/j.err" | tr '\n' ' ')"
check log-journal-unchanged "$r"

# ---- 4. TLS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost >"$T/openssl.log" 2>&1 ||
	{ fail tls-cert "openssl req: $(tail -2 "$T/openssl.log" | tr '\n' ' ')"; exit 1; }
"$DAEMON" --port 0 --state-dir "$T/state" -o audio=none -o tls_cert="$T/cert.pem" -o tls_key="$T/key.pem" \
	>"$T/tls.out" 2>"$T/tls.err" &
TPID=$!
DAEMON_PIDS+=("$TPID")
wait_for "$T/tls.err" 'listening; dashboards: https://' 15 || { fail tls-start "$(tail -3 "$T/tls.err" | tr '\n' ' ')"; exit 1; }
TPORT=$(sed -n 's#.*listening; dashboards: https://[^/]*:\([0-9][0-9]*\)/.*#\1#p' "$T/tls.err" | head -1)
pass tls-start

"$WSCLIENT" --port "$TPORT" --tls --ca "$T/cert.pem" --until hello --timeout 10 >"$T/wss.msgs" 2>"$T/wss.err"
rc=$?
check tls-wss-hello "$([ "$rc" = 0 ] && grep -q '"type":"hello"' "$T/wss.msgs" || echo "status $rc: $(tr '\n' ' ' <"$T/wss.err")")"
"$WSCLIENT" --port "$TPORT" --tls --until hello --timeout 5 >"$T/wss-noca.msgs" 2>"$T/wss-noca.err"
rc=$?
check tls-cert-checked "$([ "$rc" != 0 ] && ! grep -q hello "$T/wss-noca.msgs" || echo "a self-signed certificate passed without --ca (status $rc)")"
"$WSCLIENT" --port "$TPORT" --until hello --timeout 5 >"$T/ws-plain.msgs" 2>"$T/ws-plain.err"
rc=$?
check tls-plain-refused "$([ "$rc" != 0 ] && ! grep -q hello "$T/ws-plain.msgs" || echo "plain ws:// on the TLS port got a hello")"

https_get() { # PATH: status line and headers over TLS, the certificate checked
	printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$1" "$TPORT" |
		timeout 10 openssl s_client -quiet -verify_return_error -CAfile "$T/cert.pem" \
			-connect "127.0.0.1:$TPORT" -servername localhost 2>/dev/null | tr -d '\r' | sed '/^$/q'
}
h=$(https_get /)
check tls-https-page "$([[ $(head -1 <<<"$h") =~ ^HTTP/1\.1\ 200 ]] || echo "GET / over TLS: \"$(head -1 <<<"$h")\"")"
h=$(https_get /remote)
loc=$(grep -i '^location:' <<<"$h" | sed 's/^[^:]*: *//')
check tls-redirect-https "$([ "$loc" = "https://127.0.0.1:$TPORT/remote/" ] || echo "Location \"$loc\"")"
r=""
[ "$(head -1 "$T/state/url" 2>/dev/null)" = "https://127.0.0.1:$TPORT" ] || r="STATE_DIR/url: $(head -1 "$T/state/url" 2>&1)"
"$DAEMON" --state-dir "$T/state" tokens add --role display --name lan-wall >"$T/tok.out" 2>"$T/tok.err"
[ -n "$r" ] || grep -qx "open: https://127.0.0.1:$TPORT/#token=[A-Za-z0-9_-]*" "$T/tok.out" || r="tokens add: $(tr '\n' ' ' <"$T/tok.out")"
check tls-url "$r"
kill -TERM "$TPID"
wait_exit "$TPID" 30	# an ASan build's exit takes more than 5 s
check tls-stop "$([ "$ST" = 0 ] || echo "exit status $ST")"

run_daemon tls-nokey -o audio=none -o tls_cert="$T/cert.pem" -o tls_key="$T/missing.pem"
r=""
[ "$(cat "$T/tls-nokey.rc")" = 1 ] || r="exit status $(cat "$T/tls-nokey.rc"), want 1"
grep -q "tls_key $T/missing.pem: No such file" "$T/tls-nokey.err" || r+=" no message naming the key: $(tail -1 "$T/tls-nokey.err")"
check tls-missing-key "$r"
run_daemon tls-certonly -o audio=none -o tls_cert="$T/cert.pem"
r=""
[ "$(cat "$T/tls-certonly.rc")" = 1 ] || r="exit status $(cat "$T/tls-certonly.rc"), want 1"
grep -q 'tls_cert is set but tls_key is not' "$T/tls-certonly.err" || r+=" no message: $(tail -1 "$T/tls-certonly.err")"
check tls-cert-alone "$r"
