#!/bin/bash
# clients.sh — roles, tokens, pairing, select, per-client privacy, origin,
# rate limit, documents and the remote voice stream of docs/protocol.md v2,
# against the real daemon (60 s of noise in real time: nothing is heard, so
# every event comes from what the clients do) with real websocket clients.
#
# Every error path of v2 gets its error code checked; and the one promise
# that matters most: a public client never receives a private id, the
# private mode, or the words of a private command, while a trusted one does.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT"

noise_wav "$T/noise.wav" 60
STATE=$T/state
mkdir -p "$STATE/docs/public" "$STATE/docs/private"
printf '%%PDF-1.4\n%% public\n' >"$STATE/docs/public/briefing.pdf"
printf '%%PDF-1.4\n%% private\n' >"$STATE/docs/private/budget-plan.pdf"

# tokens made from the command line, before the daemon starts
"$DAEMON" --state-dir "$STATE" tokens add --role display --name wall >"$T/wall.tok" 2>"$T/wall.err"
expect_eq tokens-add-exit "$?" 0 "exit status of tokens add"
WALL=$(head -1 "$T/wall.tok")
"$DAEMON" --state-dir "$STATE" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
TAB=$(head -1 "$T/tab.tok")
"$DAEMON" --state-dir "$STATE" tokens add --role observer --name logger >"$T/obs.tok" 2>/dev/null
OBS=$(head -1 "$T/obs.tok")
check token-format "$([[ $WALL =~ ^[A-Za-z0-9_-]{43}$ ]] || echo "token \"$WALL\" is not 43 base64url characters")"
check tokens-file-0600 "$([ "$(stat -c %a "$STATE/tokens")" = 600 ] || echo "mode $(stat -c %a "$STATE/tokens")")"
check tokens-file-hashed "$(grep -qF "$WALL" "$STATE/tokens" && echo "the token itself is in the file")"
"$DAEMON" --state-dir "$STATE" tokens list >"$T/list.out" 2>&1
check tokens-list "$(for n in wall tablet logger; do grep -q "$n" "$T/list.out" || echo "no $n in: $(tr '\n' ' ' <"$T/list.out")"; done)"

if ! start_daemon d --audio-file "$T/noise.wav" -o private_unlock=voice -o ws_rate=5 -o ws_burst=10 \
	-o documents_dir="$STATE/docs"; then
	fail start "$START_ERROR"
	exit 1
fi

# err_of FILE CODE: the first error line with that code, or nothing.
err_of() { grep -m1 "\"type\":\"error\",\"code\":\"$2\"" "$1"; }

N=0
# refused NAME CODE WSCLIENT-ARGS...: the connection's messages end with a
# ping; an error with CODE must come, and the ping is still answered.
refused() {
	local name=$1 code=$2 r=""
	shift 2
	N=$((N + 1))
	"$WSCLIENT" --port "$PORT" "$@" --send "{\"type\":\"ping\",\"id\":$((N + 1000))}" \
		--until pong --timeout 5 >"$T/$name.msgs" 2>"$T/$name.cerr" || r="wsclient exit $?: $(tr '\n' ' ' <"$T/$name.cerr")"
	[ -n "$r" ] || [ -n "$(err_of "$T/$name.msgs" "$code")" ] ||
		r="no $code error; got: $(cut -c1-80 "$T/$name.msgs" | tr '\n' ' ')"
	check "$name" "$r"
}

H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$TAB\"}"
H_OBS="{\"type\":\"hello\",\"role\":\"observer\",\"name\":\"logger\",\"token\":\"$OBS\"}"

refused unpaired-select      unauthorized --send '{"type":"hello","role":"remote"}' --send '{"type":"select","content":"transportation","id":1}'
refused no-hello-select      unauthorized --send '{"type":"select","content":"transportation"}'
refused observer-select      unauthorized --send "$H_OBS" --send '{"type":"select","content":"transportation"}'
refused bad-token            bad-token    --send '{"type":"hello","role":"display","token":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'
refused select-no-member     bad-request  --send "$H_TAB" --send '{"type":"select"}'
refused select-both          bad-request  --send "$H_TAB" --send '{"type":"select","content":"main","command":"next"}'
refused select-unknown       unknown-content --send "$H_TAB" --send '{"type":"select","content":"no-such-screen"}'
refused select-private-public denied      --send "$H_TAB" --send '{"type":"select","content":"approval-documents"}'
refused pair-wrong-code      bad-pairing-code --send '{"type":"pair","code":"000000"}'
refused pair-no-code         bad-request  --send '{"type":"pair"}'
refused pair-name-control    bad-request  --send '{"type":"pair-request","name":"tab\nlet"}'
refused pair-name-long       bad-request  --send "{\"type\":\"pair-request\",\"name\":\"$(printf '%065d' 0)\"}"
refused audio-unpaired       unauthorized --send '{"type":"audio-start","rate":16000,"format":"s16le"}'
refused audio-bad-rate       bad-request  --send "$H_TAB" --send '{"type":"audio-start","rate":44100,"format":"s16le"}'
refused audio-end-no-start   bad-request  --send "$H_TAB" --send '{"type":"audio-end"}'
refused binary-no-stream     binary-not-supported --send "$H_TAB" --send-binary
# a token speaks for its own role: an observer's token claiming "display"
refused observer-as-display  unauthorized --send "{\"type\":\"hello\",\"role\":\"display\",\"token\":\"$OBS\"}" --send '{"type":"select","content":"transportation"}'

# the unpaired select reached nobody: an observer connected all along saw
# no navigate (checked below with the whole run's observer log)

# ---- views: a public display, a trusted display (the wall), an observer
client pub --send '{"type":"hello","role":"display","name":"kiosk"}' --timeout 300
client wall --send "{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}" --timeout 300   # the whole test (ended by cleanup); ASan runs are slow
wait_for "$T/pub.msgs" '"view":"public"' 5 && wait_for "$T/wall.msgs" '"view":"trusted"' 5 ||
	fail views-connected "the displays did not get their hello"

# the trusted remote: public content, private mode, a private screen, back
"$WSCLIENT" --port "$PORT" --send "$H_TAB" \
	--send '{"type":"select","content":"air-quality","id":1}' \
	--send '{"type":"select","command":"private-mode","id":2}' \
	--send '{"type":"select","content":"approval-documents","id":3}' \
	--send '{"type":"select","command":"next","id":4}' \
	--send '{"type":"select","command":"public-mode","id":5}' \
	--until never --timeout 3 >"$T/tab.msgs" 2>&1
oks=$(grep -c '"type":"ok"' "$T/tab.msgs")
expect_eq remote-select-ok "$oks" 5 "ok replies to 5 selects"

wait_for "$T/wall.msgs" '"source":"policy"' 5 || true
# trusted: everything
for want in '"content":"air-quality"' '"mode":"private"' '"content":"approval-documents"' '"command":"next"' \
	'"mode":"public"' '"source":"policy"' 'private/budget-plan.pdf'; do
	grep -qF "$want" "$T/wall.msgs" || fail "trusted-sees-${want//[^a-z]/}" "no $want in the wall's messages"
done
pass trusted-sees-all
# public: public content and commands; nothing private
for want in '"content":"air-quality"' '"command":"next"' 'public/briefing.pdf'; do
	grep -qF "$want" "$T/pub.msgs" || fail "public-sees-${want//[^a-z]/}" "no $want in the kiosk's messages"
done
leaks=$(grep -E 'approval-documents|video-conference|"mode":"private"|private-mode|public-mode|budget-plan|"type":"mode"|"type":"denied"' "$T/pub.msgs" | cut -c1-100)
check public-sees-nothing-private "${leaks:+leaked: $leaks}"
# seq gaps are allowed, order is not broken
check public-seq-increasing "$(grep -o '"seq":[0-9]*' "$T/pub.msgs" | cut -d: -f2 | awk 'NR > 1 && $1 <= p { print "seq " $1 " after " p } { p = $1 }')"

# ---- documents over HTTP: public free, private with a valid token only
http_get "$PORT" /documents/public/briefing.pdf "$T/h1" "$T/b1"
check doc-public "$(head -1 "$T/h1" | grep -q ' 200' || head -1 "$T/h1")"
http_get "$PORT" /documents/private/budget-plan.pdf "$T/h2" "$T/b2"
check doc-private-no-token "$(head -1 "$T/h2" | grep -q ' 403' || echo "$(head -1 "$T/h2"), want 403")"
http_get "$PORT" "/documents/private/budget-plan.pdf?token=AAAA" "$T/h3" "$T/b3"
check doc-private-bad-token "$(head -1 "$T/h3" | grep -q ' 403' || echo "$(head -1 "$T/h3"), want 403")"
http_get "$PORT" "/documents/private/budget-plan.pdf?token=$WALL" "$T/h4" "$T/b4"
check doc-private-token "$(head -1 "$T/h4" | grep -q ' 200' && grep -q '% private' "$T/b4" || echo "$(head -1 "$T/h4"), body $(head -c 40 "$T/b4")")"
http_get "$PORT" "/documents/private/..%2Ftokens?token=$WALL" "$T/h5" "$T/b5"
check doc-traversal "$(grep -q "$(cut -f2 "$STATE/tokens" | grep -v '^#' | head -1)" "$T/b5" && echo "the tokens file was served")"

# ---- pairing end to end: request, code on the trusted wall only, pair, select
client newtab --send '{"type":"hello","role":"remote","name":"tablet 2"}' \
	--send '{"type":"pair-request","name":"tablet 2","id":7}' --until never --timeout 3
NEW_PID=$CPID
wait_for "$T/wall.msgs" '"type":"pairing","code":"[0-9]{6}"' 5 || fail pairing-shown "no pairing code on the wall"
CODE=$(grep -o '"type":"pairing","code":"[0-9]*"' "$T/wall.msgs" | tail -1 | grep -o '[0-9]\{6\}')
check pairing-not-public "$(grep -q '"type":"pairing"' "$T/pub.msgs" && echo "the kiosk got the code")"
check pairing-qr "$(grep -q '"qr":\["[01]\{21,\}"' "$T/wall.msgs" || echo "no QR rows in the pairing message")"
check pair-pending "$(wait_for "$T/newtab.msgs" '"type":"pair-pending","expires":[0-9]+,"id":7' 3 || echo "no pair-pending reply")"
"$WSCLIENT" --port "$PORT" --send '{"type":"hello","role":"remote","name":"tablet 2"}' \
	--send "{\"type\":\"pair\",\"code\":\"$CODE\",\"id\":8}" \
	--send '{"type":"select","content":"prices","id":9}' --until ok --timeout 5 >"$T/paired.msgs" 2>&1
l=$(grep '"type":"paired"' "$T/paired.msgs")
NEWTOK=$(jget "$l" token)
check paired "$([[ $NEWTOK =~ ^[A-Za-z0-9_-]{43}$ ]] || echo "no token in: $(cut -c1-120 "$T/paired.msgs" | tr '\n' ' ')")"
check paired-select "$(grep -q '"type":"ok","id":9' "$T/paired.msgs" || echo "the select after pairing was not ok")"
check pair-code-once "$("$WSCLIENT" --port "$PORT" --send "{\"type\":\"pair\",\"code\":\"$CODE\"}" --until error --timeout 3 2>/dev/null | grep -q bad-pairing-code || echo "the code worked twice")"
wait_for "$T/wall.msgs" '"type":"pairing","code":null' 3 && pass pairing-hidden || fail pairing-hidden "the wall was not told to hide the code"
check paired-token-stored "$(grep -q "tablet 2" "$STATE/tokens" || echo "no entry for tablet 2")"

# ---- revoke from the command line: the live client falls back to public
client revoked --send "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"$NEWTOK\"}" --until never --timeout 6
wait_for "$T/revoked.msgs" '"view":"trusted"' 3 || fail revoke-before "the new token was not trusted"
TID=$(jget "$l" token_id)
"$DAEMON" --state-dir "$STATE" tokens revoke "$TID" >"$T/revoke.out" 2>&1
expect_eq revoke-exit "$?" 0 "tokens revoke $TID"
wait_for "$T/revoked.msgs" '"view":"public"' 4 && pass revoke-live || fail revoke-live "the connected client stayed trusted"
refused revoked-token bad-token --send "{\"type\":\"hello\",\"role\":\"remote\",\"token\":\"$NEWTOK\"}"

# ---- the remote's voice button: 16 kHz PCM over the websocket, no wake word
say_cmd() { # TEXT OUT.raw: TEXT spoken, 16 kHz mono s16le, with 0.5 s of quiet around
	flite -voice slt -t "$1" -o "$T/say.wav" 2>/dev/null || espeak-ng -w "$T/say.wav" "$1"
	sox -R "$T/say.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/say16.wav" pad 0.5 0.8
	noise_wav "$T/bed.wav" "$(soxi -D "$T/say16.wav")" -55
	sox -R -m "$T/say16.wav" "$T/bed.wav" -t raw -r 16000 -c 1 -b 16 -e signed-integer -L "$2"
}
say_cmd "show me the air quality" "$T/air.raw"
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"audio-start","rate":16000,"format":"s16le","id":30}' \
	--send-binary-file "$T/air.raw" --send '{"type":"audio-end","id":31}' --until recognized --timeout 15 \
	>"$T/voice.msgs" 2>"$T/voice.cerr"
l=$(grep '"type":"recognized"' "$T/voice.msgs")
check remote-voice-ready "$(grep -q '"type":"audio-ready","id":30' "$T/voice.msgs" || echo "no audio-ready: $(cut -c1-80 "$T/voice.msgs" | tr '\n' ' ')")"
check remote-voice-recognized "$([ "$(jget "$l" result) $(jget "$l" content)" = "command air-quality" ] || echo "got: ${l:-nothing}")"
check remote-voice-reply-id "$(grep -q ',"id":31}$' <<<"$l" || echo "recognized does not carry the audio-end id: $l")"
wait_for "$T/wall.msgs" '"source":"remote-voice"' 5 && pass remote-voice-navigates || fail remote-voice-navigates "no navigate with source remote-voice on the wall"
# Its t is on the daemon's clock, as every other event's: never before the
# wall's event just before it, and close to a tap made right after.
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","content":"prices","id":35}' --until ok --timeout 5 >/dev/null 2>&1
wait_for "$T/wall.msgs" '"content":"prices"' 5
t_rv=$(jget "$(grep '"type":"navigate".*"source":"remote-voice"' "$T/wall.msgs" | tail -1)" t)
t_before=$(jget "$(grep -B1 '"type":"intent".*"source":"remote-voice"' "$T/wall.msgs" | tail -2 | head -1)" t)
t_tap=$(jget "$(grep '"content":"prices"' "$T/wall.msgs" | tail -1)" t)
check remote-voice-clock "$(awk -v a="${t_before:-x}" -v v="${t_rv:-x}" -v b="${t_tap:-x}" \
	'BEGIN { if (a == "x" || v == "x" || b == "x" || v + 0 < a + 0 || b + 0 < v + 0 || b - v > 10) exit 1 }' ||
	echo "t: event before $t_before, remote voice $t_rv, tap after $t_tap")"
"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"audio-start","rate":16000,"format":"s16le","id":40}' \
	--send '{"type":"audio-start","rate":16000,"format":"s16le","id":41}' --send '{"type":"audio-end","id":42}' \
	--until recognized --timeout 15 >"$T/busy.msgs" 2>&1
check remote-voice-busy "$(grep -q '"code":"busy".*"id":41' "$T/busy.msgs" || echo "a second audio-start was not refused as busy")"

# ---- origin allow-list (default: the daemon's own pages only)
"$WSCLIENT" --port "$PORT" --origin "http://evil.example" --count 1 --timeout 3 >"$T/evil.msgs" 2>&1
check origin-refused "$(grep -q hello "$T/evil.msgs" && echo "a page from evil.example connected")"
"$WSCLIENT" --port "$PORT" --origin "http://127.0.0.1" --count 1 --timeout 3 >"$T/self.msgs" 2>&1
check origin-self "$(grep -q hello "$T/self.msgs" || echo "the daemon's own origin was refused")"
"$WSCLIENT" --port "$PORT" --origin "" --count 1 --timeout 3 >"$T/noorigin.msgs" 2>&1
check origin-none "$(grep -q hello "$T/noorigin.msgs" || echo "a client without Origin was refused")"
# DNS rebinding: Origin and Host agree, but on somebody else's name
"$WSCLIENT" --port "$PORT" --origin "http://evil.example:$PORT" --host-header "evil.example:$PORT" --count 1 --timeout 3 >"$T/rebind.msgs" 2>&1
check origin-rebinding "$(grep -q hello "$T/rebind.msgs" && echo "a page of evil.example (re-pointed at us) connected")"

# ---- rate limit (ws_rate 5, burst 10): 30 pings at once
args=()
for i in $(seq 1 30); do args+=(--send "{\"type\":\"ping\",\"id\":$i}"); done
"$WSCLIENT" --port "$PORT" "${args[@]}" --until never --timeout 2 >"$T/rate.msgs" 2>&1
pongs=$(grep -c '"type":"pong"' "$T/rate.msgs")
check rate-limited "$([ -n "$(err_of "$T/rate.msgs" rate-limited)" ] && [ "$pongs" -ge 10 ] && [ "$pongs" -lt 20 ] ||
	echo "$pongs pongs of 30, rate-limited error: $(err_of "$T/rate.msgs" rate-limited || echo none)")"
note "rate limit: $pongs of 30 pings answered at once"

# ---- the observer saw no navigate from the refused selects
check unpaired-broadcast-nothing "$(grep -q '"content":"transportation"' "$T/pub.msgs" "$T/wall.msgs" && echo "an unauthorized select reached a display")"

if alive "$DPID"; then pass still-running; else fail still-running "the daemon exited: $(tail -2 "$T/d.err" | tr '\n' ' ')"; fi
stop_daemon "$DPID" TERM
expect_eq sigterm-exit "$ST" 0 "exit status on SIGTERM"
