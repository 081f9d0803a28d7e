#!/bin/bash
# tv.sh — the smart TV (issue 10 item 3, docs/conference.md) through the
# real daemon (audio off, the bundled briefing folder ui-bridge/briefing
# and models/office.json) and real websocket clients:
#  - `tokens add --role tv` prints the /tv/ page's link; hello role "tv"
#    with that token is trusted in role tv and lists the briefing folder;
#    without a token it is public and lists nothing;
#  - GET /briefing/NAME.pdf: 403 without a valid token, the PDF with one,
#    404 for a name outside the folder's rules;
#  - tv open by file name and by the words of a title ("open the budget
#    report"), next / previous / page, close; "meeting" starts the office's
#    tv_room on the TV;
#  - refusals: untrusted sender, an unknown document, a title that names
#    none or two, a page with nothing open, a bad page number, bad action;
#  - a public display connected all along never gets a tv or conference
#    event, a briefing link or a join URL.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT" "$SRC/ui-bridge/briefing/2026-budget-report.pdf" "$SRC/models/office.json"

STATE=$T/state
"$DAEMON" --state-dir "$STATE" tokens add --role tv --name lobby-tv >"$T/tv.tok" 2>"$T/tv.tokerr"
TV=$(head -1 "$T/tv.tok")
"$DAEMON" --state-dir "$STATE" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
TAB=$(head -1 "$T/tab.tok")
if [ -z "$TV" ] || [ -z "$TAB" ]; then
	fail prerequisites "tokens add gave no tokens: $(cat "$T/tv.tokerr")"
	exit 1
fi
grep -q "^open: http.*/tv/#token=$TV\$" "$T/tv.tok" && pass tokens-add-link ||
	fail tokens-add-link "no /tv/ link: $(sed -n 2p "$T/tv.tok")"

if ! start_daemon d -o audio=none -o log_level=info; then
	fail start "$START_ERROR"
	exit 1
fi
client tv --send "{\"type\":\"hello\",\"role\":\"tv\",\"name\":\"lobby\",\"token\":\"$TV\"}" --until never --timeout 120
TVPID=$CPID
client kiosk --send '{"type":"hello","role":"display","name":"kiosk"}' --until never --timeout 120
KIOSKPID=$CPID
wait_for "$T/tv.msgs" '"view":"trusted"' 5 && wait_for "$T/kiosk.msgs" '"type":"hello"' 5 ||
	{ fail clients "the TV or the kiosk got no hello: $(cut -c1-100 "$T/tv.msgs")"; exit 1; }

N=0
ask() {	# as conference.sh: TOKEN ROLE COUNT MSG → R (the reply), OUT
	local tok=$1 role=$2 count=$3 msg=$4 hello
	N=$((N + 1))
	OUT=$T/ask$N.msgs
	if [ -n "$tok" ]; then
		hello="{\"type\":\"hello\",\"role\":\"$role\",\"token\":\"$tok\"}"
	else
		hello="{\"type\":\"hello\",\"role\":\"$role\"}"
	fi
	"$WSCLIENT" --port "$PORT" --send "$hello" --send "${msg%\}},\"id\":7}" --count "$((count + 1))" \
		--timeout 5 >"$OUT" 2>"$T/ask$N.err"
	R=$(grep '"id":7' "$OUT" | head -1)
}
expect_reply() {
	local got
	got="$(jtype "$R")${3:+/$(jget "$R" code)}"
	expect_eq "$1" "$got" "$2${3:+/$3}" "reply ($(printf '%s' "$R" | cut -c1-160))"
}
tv_event() {
	if wait_for "$T/tv.msgs" "$2" 3; then pass "$1"; else
		fail "$1" "the TV got no event like /$2/: $(tail -2 "$T/tv.msgs" | cut -c1-200 | tr '\n' ' ')"; fi
}

# ---- hellos
HT=$(grep -m1 '"type":"hello".*"view":"trusted"' "$T/tv.msgs")
expect_eq hello-tv-role "$(jget "$HT" role)" tv "role"
[[ $HT == *'"briefing":[{"id":"2026-budget-report.pdf","title":"2026 budget report","url":"/briefing/2026-budget-report.pdf"}'* ]] &&
	pass hello-briefing || fail hello-briefing "$(printf '%s' "$HT" | grep -o '"briefing":[^]]*')"
ask "" tv 1 '{"type":"ping"}'
H=$(grep '"role":"tv"' "$OUT" | head -1)
[[ -n $H && $(jget "$H" view) == public && $H != *'"briefing"'* ]] && pass hello-tv-untrusted ||
	fail hello-tv-untrusted "a TV without a token: $(printf '%s' "$H" | cut -c1-160)"

# ---- the folder over HTTP: trusted only
http_get "$PORT" /briefing/city-briefing.pdf "$T/h1" "$T/b1"
grep -q '^HTTP/1.[01] 403' "$T/h1" && pass http-no-token || fail http-no-token "$(head -1 "$T/h1")"
http_get "$PORT" "/briefing/city-briefing.pdf?token=nottoken" "$T/h2" "$T/b2"
grep -q '^HTTP/1.[01] 403' "$T/h2" && pass http-bad-token || fail http-bad-token "$(head -1 "$T/h2")"
http_get "$PORT" "/briefing/city-briefing.pdf?token=$TV" "$T/h3" "$T/b3"
grep -q '^HTTP/1.[01] 200' "$T/h3" && cmp -s "$T/b3" "$SRC/ui-bridge/briefing/city-briefing.pdf" &&
	pass http-token || fail http-token "$(head -1 "$T/h3"), $(wc -c <"$T/b3") bytes"
# Not a PDF of the folder: nothing (the folder's README, a climb out).
http_get "$PORT" "/briefing/README.md?token=$TV" "$T/h4" "$T/b4"
grep -q '^HTTP/1.[01] 404' "$T/h4" && pass http-not-pdf || fail http-not-pdf "$(head -1 "$T/h4")"
http_get "$PORT" "/briefing/..%2F..%2F..%2Fmodels%2Foffice.json?token=$TV" "$T/h5" "$T/b5"
! grep -q '^HTTP/1.[01] 200' "$T/h5" && pass http-outside || fail http-outside "$(head -1 "$T/h5")"
# A climb into the private documents is still asked for a token.
http_get "$PORT" "/briefing/..%2Fdocuments%2Fprivate%2F2026-budget-plan.pdf" "$T/h6" "$T/b6"
grep -q '^HTTP/1.[01] 403' "$T/h6" && pass http-climb-no-token || fail http-climb-no-token "$(head -1 "$T/h6")"

# ---- who may ask
ask "" tv 2 '{"type":"tv","action":"open","document":"city-briefing.pdf"}'
expect_reply untrusted error unauthorized

# ---- documents and pages
ask "$TAB" remote 2 '{"type":"tv","action":"next"}'
expect_reply page-nothing-open error bad-request
ask "$TAB" remote 2 '{"type":"tv","action":"open","document":"secret.pdf"}'
expect_reply open-unknown error unknown-content
ask "$TAB" remote 2 '{"type":"tv","action":"open","title":"open the weather report"}'
expect_reply title-none error unknown-content
ask "$TAB" remote 2 '{"type":"tv","action":"open","title":"report"}'
expect_reply title-two error unknown-content
[[ $(jget "$R" message) == *'more than one'* ]] && pass title-two-says || fail title-two-says "$(jget "$R" message)"
ask "$TAB" remote 2 '{"type":"tv","action":"open"}'
expect_reply open-nothing error bad-request
ask "$TAB" remote 3 '{"type":"tv","action":"open","title":"open the budget report","source":"voice"}'
expect_reply open-title ok
tv_event open-title-event '"type":"tv".*"state":"document".*"source":"voice".*"document":\{"id":"2026-budget-report.pdf".*"page":1'
ask "$TV" tv 3 '{"type":"tv","action":"open","document":"city-briefing.pdf"}'
expect_reply open-doc ok
tv_event open-doc-event '"state":"document".*"source":"tv".*"city-briefing.pdf"'
ask "$TAB" remote 3 '{"type":"tv","action":"next"}'
expect_reply next ok
tv_event next-event '"type":"tv".*"state":"page".*"source":"remote".*"document":"city-briefing.pdf","page":2'
ask "$TAB" remote 3 '{"type":"tv","action":"next"}'
tv_event next-again '"state":"page".*"page":3'
ask "$TAB" remote 3 '{"type":"tv","action":"previous","source":"hand"}'
expect_reply previous ok
tv_event previous-event '"state":"page".*"source":"hand".*"page":2'
ask "$TAB" remote 2 '{"type":"tv","action":"page","page":0}'
expect_reply page-zero error bad-request
ask "$TAB" remote 2 '{"type":"tv","action":"page","page":"two"}'
expect_reply page-string error bad-request
ask "$TAB" remote 3 '{"type":"tv","action":"page","page":1}'
expect_reply page-one ok
ask "$TAB" remote 3 '{"type":"tv","action":"previous"}'
tv_event previous-stops '"state":"page".*"page":1,"seq"|"state":"page"[^}]*"page":1}'
ask "$TAB" remote 1 '{"type":"ping"}'
grep '"view":"trusted"' "$OUT" | grep -q '"tv":{"document":{"id":"city-briefing.pdf".*"page":1' &&
	pass hello-tv-state || fail hello-tv-state "a new hello does not say what the TV shows"
ask "$TAB" remote 2 '{"type":"tv","action":"zap"}'
expect_reply bad-action error bad-request

# ---- start the meeting: the office's tv_room, on the TV
ask "$TV" tv 3 '{"type":"tv","action":"meeting"}'
expect_reply meeting ok
tv_event meeting-event '"type":"conference".*"state":"started".*"room":\{"id":"briefing-room".*"url":"https://meet.jit.si/smartoffice-demo-briefing-room"\},"target":"tv"'
ask "$TAB" remote 3 '{"type":"conference","action":"end"}'
tv_event meeting-ended '"type":"conference".*"state":"ended".*"room":"briefing-room"'
ask "$TAB" remote 3 '{"type":"tv","action":"close"}'
expect_reply close ok
ask "$TAB" remote 2 '{"type":"tv","action":"next"}'
expect_reply closed-next error bad-request

# ---- the public display saw none of it
sleep 0.5
if grep -qE '"type":"(tv|conference)"|/briefing/|meet\.jit\.si' "$T/kiosk.msgs"; then
	fail public-never "the kiosk got: $(grep -E 'tv|conference|briefing|meet' "$T/kiosk.msgs" | head -1 | cut -c1-200)"
else
	pass public-never
fi
stop_daemon "$DPID"
expect_eq exit "$ST" 0 "exit status"

# ---- a meeting with no tv_room in the office file
printf '{ "rooms": [ { "id": "r", "ko": "회의", "en": "R", "url": "https://meet.example.org/r" } ] }\n' >"$T/notv.json"
if start_daemon notv -o audio=none -o office="$T/notv.json"; then
	ask "$TV" tv 2 '{"type":"tv","action":"meeting"}'
	expect_reply meeting-no-room error unknown-content
	[[ $(jget "$R" message) == *'tv_room'* ]] && pass meeting-no-room-says || fail meeting-no-room-says "$(jget "$R" message)"
	stop_daemon "$DPID"
else
	fail notv "$START_ERROR"
fi
kill "$TVPID" "$KIOSKPID" 2>/dev/null || true
