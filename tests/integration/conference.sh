#!/bin/bash
# conference.sh — conference rooms and department calls (issue 10 item 2,
# docs/conference.md) through the real daemon (audio off, the bundled
# models/office.json) and real websocket clients:
#  - the trusted hello carries the rooms and departments without a URI;
#    a public one carries neither;
#  - conference open → picker, select → selected (no URL), start → started
#    with the room's join URL, end → ended; a second end is refused;
#  - call video/voice to a department named or found by the context (a
#    disaster event), the contact URI in the event;
#  - refusals: untrusted and observer senders, an unknown room, an unknown
#    department, a context no department answers for, a department without
#    the URI the call needs (missing-uri), a bad action, no office file;
#  - a public display connected all along never gets a conference or call
#    event, a join URL or a contact URI;
#  - a bad office file stops the start-up with file:line (and -n says so).
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON" "$WSCLIENT" "$SRC/models/office.json"

STATE=$T/state
"$DAEMON" --state-dir "$STATE" tokens add --role display --name wall >"$T/wall.tok" 2>/dev/null
"$DAEMON" --state-dir "$STATE" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
"$DAEMON" --state-dir "$STATE" tokens add --role observer --name watcher >"$T/obs.tok" 2>/dev/null
WALL=$(head -1 "$T/wall.tok"); TAB=$(head -1 "$T/tab.tok"); OBS=$(head -1 "$T/obs.tok")
if [ -z "$WALL" ] || [ -z "$TAB" ] || [ -z "$OBS" ]; then
	fail prerequisites "tokens add gave no tokens"
	exit 1
fi

if ! start_daemon d -o audio=none -o log_level=info; then
	fail start "$START_ERROR"
	exit 1
fi
client wall --send "{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}" \
	--until never --timeout 120
WALLPID=$CPID
client kiosk --send '{"type":"hello","role":"display","name":"kiosk"}' --until never --timeout 120
KIOSKPID=$CPID
wait_for "$T/wall.msgs" '"view":"trusted"' 5 && wait_for "$T/kiosk.msgs" '"type":"hello"' 5 ||
	{ fail clients "the wall or the kiosk got no hello"; exit 1; }

N=0
# ask TOKEN ROLE COUNT MSG: one client says hello (with TOKEN, may be ""),
# sends MSG and reads COUNT messages after the hello it gets on connecting; sets R to its reply to MSG (the
# line with "id":7) and OUT to the file of everything it got.
ask() {
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
# expect_reply NAME TYPE [CODE]: R is of TYPE (and error CODE).
expect_reply() {
	local got
	got="$(jtype "$R")${3:+/$(jget "$R" code)}"
	expect_eq "$1" "$got" "$2${3:+/$3}" "reply ($(printf '%s' "$R" | cut -c1-160))"
}
# wall_event NAME PATTERN: the wall got an event matching PATTERN.
wall_event() {
	if wait_for "$T/wall.msgs" "$2" 3; then pass "$1"; else
		fail "$1" "the wall got no event like /$2/: $(tail -2 "$T/wall.msgs" | cut -c1-200 | tr '\n' ' ')"; fi
}

# ---- hellos
HW=$(grep -m1 '"type":"hello".*"view":"trusted"' "$T/wall.msgs")
HK=$(grep -m1 '"type":"hello"' "$T/kiosk.msgs")
[[ $HW == *'"office":{"rooms":[{"id":"mayor-room"'* && $HW == *'"departments":[{"id":"disaster-response"'* ]] &&
	pass hello-trusted-office || fail hello-trusted-office "no rooms and departments: $(printf '%s' "$HW" | cut -c1-200)"
[[ $HW != *'meet.jit.si'* && $HW != *'tel:'* && $HW != *'sip:'* ]] &&
	pass hello-trusted-no-uri || fail hello-trusted-no-uri "the hello gives URIs before anything starts"
[[ $HK != *'"office"'* && $HK != *'"conference"'* && $HK != *'"briefing"'* && $HK != *'meet.jit.si'* ]] &&
	pass hello-public-none || fail hello-public-none "the public hello has office data: $(printf '%s' "$HK" | cut -c1-200)"

# ---- who may ask
ask "" remote 2 '{"type":"conference","action":"open"}'
expect_reply untrusted-conference error unauthorized
ask "" display 2 '{"type":"call","kind":"video","department":"disaster-response"}'
expect_reply untrusted-call error unauthorized
ask "$OBS" observer 2 '{"type":"conference","action":"open"}'
expect_reply observer-conference error unauthorized

# ---- the conference: open, select, start, end
ask "$TAB" remote 3 '{"type":"conference","action":"open"}'
expect_reply open ok
wall_event open-picker '"type":"conference".*"state":"picker".*"rooms":\[\{"id":"mayor-room"'
ask "$TAB" remote 2 '{"type":"conference","action":"select","room":"nowhere"}'
expect_reply select-unknown error unknown-content
ask "$TAB" remote 2 '{"type":"conference","action":"bogus"}'
expect_reply bad-action error bad-request
ask "$TAB" remote 2 '{"type":"conference","action":"start"}'
expect_reply start-nothing-selected error bad-request
ask "$WALL" display 3 '{"type":"conference","action":"select","room":"situation-room"}'
expect_reply select ok
wall_event selected '"type":"conference".*"state":"selected".*"source":"tap".*"room":\{"id":"situation-room"'
if grep '"state":"selected"' "$T/wall.msgs" | grep -q 'https://'; then
	fail selected-no-url "the selected event has the URL"; else pass selected-no-url; fi
ask "$TAB" remote 3 '{"type":"conference","action":"start","source":"hand"}'
expect_reply start ok
wall_event started '"type":"conference".*"state":"started".*"source":"hand".*"url":"https://meet.jit.si/smartoffice-demo-situation-room"'
# A client connecting now is told what runs (with the URL: it is trusted).
ask "$TAB" remote 1 '{"type":"ping"}'
grep '"view":"trusted"' "$OUT" | grep -q '"conference":{"state":"started".*situation-room' &&
	pass hello-running || fail hello-running "a new trusted hello does not say what runs: $(grep -o '"conference":{[^}]*' "$OUT")"
ask "$TAB" remote 3 '{"type":"conference","action":"end"}'
expect_reply end ok
wall_event ended '"type":"conference".*"state":"ended".*"room":"situation-room"'
ask "$TAB" remote 2 '{"type":"conference","action":"end"}'
expect_reply end-again error bad-request

# ---- calls
ask "$TAB" remote 3 '{"type":"call","kind":"voice","context":"disaster-safety"}'
expect_reply call-voice-context ok
wall_event call-voice '"type":"call".*"state":"started".*"kind":"voice".*"department":\{"id":"disaster-response".*"uri":"tel:\+82-2-120","context":"disaster-safety"'
ask "$TAB" remote 3 '{"type":"call","kind":"video","department":"urban-planning","context":"city-projects"}'
expect_reply call-video ok
wall_event call-video-ended-first '"type":"call".*"state":"ended".*"department":"disaster-response"'
wall_event call-video '"type":"call".*"state":"started".*"kind":"video".*"uri":"https://meet.jit.si/smartoffice-demo-urban-planning"'
ask "$TAB" remote 3 '{"type":"call","action":"end"}'
expect_reply call-end ok
ask "$TAB" remote 2 '{"type":"call","kind":"video","department":"transport"}'
expect_reply missing-uri error missing-uri
[[ $(jget "$R" message) == *'"transport" has no video URI'* ]] && pass missing-uri-says ||
	fail missing-uri-says "$(jget "$R" message)"
ask "$TAB" remote 2 '{"type":"call","kind":"voice","department":"nobody"}'
expect_reply call-unknown error unknown-content
ask "$TAB" remote 2 '{"type":"call","kind":"voice"}'
expect_reply call-no-context error unknown-content
[[ $(jget "$R" message) == *'"main"'* ]] && pass call-context-is-screen ||
	fail call-context-is-screen "the context is not the screen shown: $(jget "$R" message)"
ask "$TAB" remote 2 '{"type":"call","kind":"fax","department":"transport"}'
expect_reply call-bad-kind error bad-request

# ---- the public display saw none of it
sleep 0.5
if grep -qE '"type":"(conference|call)"|meet\.jit\.si|tel:|sip:' "$T/kiosk.msgs"; then
	fail public-never "the kiosk got: $(grep -E 'conference|call|meet|tel:|sip:' "$T/kiosk.msgs" | head -1 | cut -c1-200)"
else
	pass public-never
fi
grep -q 'conference: room situation-room started by hand' "$T/d.err" &&
	pass log-line || fail log-line "no log line for the started room"
# The pages may frame the office's conference origin, and only it.
http_get "$PORT" / "$T/csp.h" "$T/csp.b"
grep -qi "^content-security-policy: default-src 'none'; .*frame-src https://meet.jit.si; frame-ancestors 'none'" "$T/csp.h" &&
	grep -qi '^x-frame-options: deny' "$T/csp.h" && pass csp-frame-src ||
	fail csp-frame-src "$(grep -i 'content-security\|x-frame' "$T/csp.h" | tr '\n' ' ')"
stop_daemon "$DPID"
expect_eq exit "$ST" 0 "exit status"

# ---- no office file: the daemon runs, conference is refused with what to do
if start_daemon noff -o audio=none -o office=; then
	ask "$TAB" remote 2 '{"type":"conference","action":"open"}'
	expect_reply no-office error unknown-content
	[[ $(jget "$R" message) == *'set office'* ]] && pass no-office-says || fail no-office-says "$(jget "$R" message)"
	http_get "$PORT" / "$T/csp2.h" "$T/csp2.b"
	grep -qi "^content-security-policy: default-src 'none'" "$T/csp2.h" && ! grep -qi 'frame-src' "$T/csp2.h" &&
		pass csp-no-office || fail csp-no-office "$(grep -i 'content-security' "$T/csp2.h")"
	stop_daemon "$DPID"
else
	fail no-office "$START_ERROR"
fi

# ---- a bad office file: refused at start-up, at its line
printf '{\n  "rooms": [\n    { "id": "r", "ko": "회의", "en": "R", "url": "http://meet.example.org/r" }\n  ]\n}\n' >"$T/bad.json"
refused_run bad-office "$T/bad.json:3:" 'rooms "r": "url" must be an https://' -o audio=none -o office="$T/bad.json"
"$DAEMON" -n --state-dir "$STATE" -o office="$T/bad.json" >"$T/n.out" 2>"$T/n.err"
rc=$?
[ "$rc" = 1 ] && grep -q "$T/bad.json:3:" "$T/n.err" && pass check-mode ||
	fail check-mode "smartofficed -n: status $rc, $(head -2 "$T/n.err" | tr '\n' ' ')"
# ---- voice: "private mode", "disaster safety", then "video call" calls the
# department of the disaster event (flite's voice, as the browser tests')
command -v flite >/dev/null || { fail prerequisites "flite is not installed (tools/install-deps)"; exit 1; }
# spoken OUT WORDS: "hey seoul." then WORDS, 16 kHz mono, 1.2 s of silence either side
spoken() {
	flite -voice rms -t "hey seoul." -o "$T/w.raw.wav" && flite -voice rms -t "$2" -o "$T/c.raw.wav" &&
	sox -R "$T/w.raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/w.wav" pad 0 0.6 &&
	sox -R "$T/c.raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$T/c.wav" &&
	sox -R -n -r 16000 -c 1 -b 16 "$T/g.wav" trim 0 1.2 &&
	sox -R "$T/g.wav" "$T/w.wav" "$T/c.wav" "$T/g.wav" "$1"
}
spoken "$T/v1.wav" "private mode." && spoken "$T/v2.wav" "disaster safety." && spoken "$T/v3.wav" "video call." ||
	{ fail prerequisites "flite or sox failed"; exit 1; }
sox -R "$T/v1.wav" "$T/v2.wav" "$T/v3.wav" "$T/voice.wav"
run_daemon voice --audio-file "$T/voice.wav" -o private_unlock=voice -o speak=no -o cue=no -o log_level=info
EV=$(grep -E '"type":"(navigate|mode|call)"' "$T/voice.out" | sed 's/"seq":[0-9]*,"t":[0-9.]*,//' | tr '\n' ' ')
[[ $EV == *'"mode":"private"'*'"content":"disaster-safety"'*'"content":"video-conference"'*'"type":"call","state":"started","source":"voice","kind":"video","department":{"id":"disaster-response"'*'"context":"disaster-safety"'* ]] &&
	pass voice-video-call || fail voice-video-call "events: $(printf '%s' "$EV" | cut -c1-400)"
grep -q 'conference: video call to disaster-response (from disaster-safety) by voice' "$T/voice.err" &&
	pass voice-call-log || fail voice-call-log "no log line"
# The same words on a screen no department answers for: the picker only;
# and in public mode the private video-conference screen is refused.
sox -R "$T/v1.wav" "$T/v3.wav" "$T/voice2.wav"
run_daemon voice2 --audio-file "$T/voice2.wav" -o private_unlock=voice -o speak=no -o cue=no
grep -q '"content":"video-conference"' "$T/voice2.out" && ! grep -q '"type":"call"' "$T/voice2.out" &&
	pass voice-no-department || fail voice-no-department "$(grep -E 'navigate|call' "$T/voice2.out" | head -2 | tr '\n' ' ')"
run_daemon voice3 --audio-file "$T/v3.wav" -o private_unlock=voice -o speak=no -o cue=no
grep -q '"type":"denied","content":"video-conference"\|"content":"video-conference","reason"' "$T/voice3.out" && ! grep -q '"type":"call"' "$T/voice3.out" &&
	pass voice-public-no-call || fail voice-public-no-call "$(grep -E 'denied|call' "$T/voice3.out" | head -2 | tr '\n' ' ')"

# ---- SIGHUP: a changed file is read again; a broken one keeps the rooms
cp "$SRC/models/office.json" "$T/office.json"
if start_daemon hup -o audio=none -o log_level=info -o office="$T/office.json"; then
	sed -i 's/"mayor-room"/"council-room"/' "$T/office.json"
	kill -HUP "$DPID"
	wait_for "$T/hup.err" 'reloaded' 5
	ask "$TAB" remote 2 '{"type":"conference","action":"select","room":"council-room"}'
	expect_reply reload-new-room ok
	printf '{ "rooms": [ { "id": "x" } ] }\n' >"$T/office.json"
	kill -HUP "$DPID"
	wait_for "$T/hup.err" 'keeping the running rooms' 5 && pass reload-bad-logged ||
		fail reload-bad-logged "$(tail -2 "$T/hup.err" | tr '\n' ' ')"
	grep -q "$T/office.json:1: rooms \"x\": \"ko\" is missing" "$T/hup.err" && pass reload-bad-line ||
		fail reload-bad-line "$(grep office.json "$T/hup.err" | tail -1)"
	ask "$TAB" remote 2 '{"type":"conference","action":"select","room":"council-room"}'
	expect_reply reload-bad-keeps ok
	stop_daemon "$DPID"
else
	fail hup "$START_ERROR"
fi
kill "$WALLPID" "$KIOSKPID" 2>/dev/null || true
