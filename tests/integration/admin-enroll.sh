#!/bin/bash
# admin-enroll.sh — a guided face enrollment through the running daemon's
# room camera (`smartofficed admin enroll`, the enroll message; docs/faces.md
# "Enrollment through the daemon"), on a replayed camera (15 fps) in which
# s1 of ORL looks straight, to one side, then the other, over and over:
#  - admin enroll s1 says the poses as they come ("look straight at the
#    camera", "straight 1 of 3", "now slowly turn your head to your left",
#    ...), exits 0 with "enrolled s1"; the face store then verifies s1's
#    other photos and not another person's; a trusted remote got the enroll
#    events (started ... done), a public display none of them;
#  - the daemon uses the new enrollment at once: private mode asked for on
#    the remote verifies s1 (mode private) with no restart;
#  - the refusals: no room camera, a bad name, a second enrollment while
#    one runs (bad-request, saying which runs), enroll from a paired remote
#    or a public display (unauthorized); enroll-cancel ends the running one
#    (the command line says "failed: cancelled", exit 1; nothing written),
#    and so does Ctrl-C on the command line's admin enroll;
#    and with none running is a bad-request.
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

ORL=${ORL_DIR:-$SRC/../shared/data/faces/orl}
need "$DAEMON" "$WSCLIENT" "$ORL/s1/1.pgm"
# (not ST: wait_exit and stop_daemon set ST to an exit status)
SD=$T/state
adm() { "$DAEMON" --state-dir "$SD" admin "$@"; }
tok() { "$DAEMON" --state-dir "$SD" tokens "$@"; }

tok add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
tok add --role admin --name desk >"$T/adm.tok" 2>/dev/null
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$(head -1 "$T/tab.tok")\"}"
H_ADM="{\"type\":\"hello\",\"role\":\"admin\",\"name\":\"desk\",\"token\":\"$(head -1 "$T/adm.tok")\"}"
H_PUB='{"type":"hello","role":"display","name":"kiosk"}'

# The room camera: s1 straight (photos 1, 3), turned one way (2, 5), the
# other (4, 6), 1 s each photo, a 6 s cycle, 120 s in all.
mkdir -p "$T/cam"
k=0
for _ in $(seq 1 20); do for i in 1 3 2 5 4 6; do for _ in $(seq 1 15); do
	cp "$ORL/s1/$i.pgm" "$T/cam/$(printf %06d $k).pgm"
	k=$((k + 1))
done; done; done

# ---- no room camera
start_daemon nocam -o audio=none || { fail start-nocam "$START_ERROR"; exit 1; }
adm enroll s1 >"$T/nocam.cli" 2>&1
rc=$?
check no-camera "$([ "$rc" = 1 ] && grep -q 'bad-request: no room camera runs (camera_room is not set)' "$T/nocam.cli" ||
	echo "exit $rc: $(cat "$T/nocam.cli")")"
stop_daemon "$DPID"

# ---- the room camera
start_daemon live -o audio=none -o "camera_room=images:$T/cam@15" -o private_face=s1 --events-stdout ||
	{ fail start "$START_ERROR"; exit 1; }
client wall --send "$H_PUB" --timeout 100
client tab --send "$H_TAB" --timeout 100

adm enroll ../x >"$T/badname.cli" 2>&1
rc=$?
check bad-name "$([ "$rc" = 1 ] && grep -q "bad-request: enroll needs name: 1-63 characters" "$T/badname.cli" ||
	echo "exit $rc: $(cat "$T/badname.cli")")"

# (each client ends at the reply it waits for)
ask() { local f=$1 h=$2 m=$3 u=$4; "$WSCLIENT" --port "$PORT" --send "$h" --send "$m" --until "$u" --timeout 5 >"$T/$f.msgs" 2>&1; }
ask rem "$H_TAB" '{"type":"enroll","name":"kim","id":2}' error
ask pub "$H_PUB" '{"type":"enroll","name":"kim","id":2}' error
ask pub2 "$H_PUB" '{"type":"enroll-cancel","id":3}' error
code() { grep "\"id\":$2[,}]" "$T/$1.msgs" | grep -o '"code":"[a-z-]*"' | head -1 | cut -d'"' -f4; }
r=""
[ "$(code rem 2)" = unauthorized ] || r="a remote's enroll: $(code rem 2)"
[ -n "$r" ] || [ "$(code pub 2)" = unauthorized ] || r="a public enroll: $(code pub 2)"
[ -n "$r" ] || [ "$(code pub2 3)" = unauthorized ] || r="a public enroll-cancel: $(code pub2 3)"
[ -n "$r" ] || ! grep -q 'enroll kim' "$T/live.err" || r="an enrollment of kim started"
check not-admin "$r"

# A second one while one runs, then the first cancelled.
adm enroll s9 >"$T/first.cli" 2>&1 &
FIRST=$!
CHILD_PIDS+=("$FIRST")
wait_for "$T/first.cli" 'look straight at the camera' 10
adm enroll s2 >"$T/second.cli" 2>&1
rc=$?
check second-refused "$([ "$rc" = 1 ] && grep -q 'bad-request: an enrollment of s9 is running' "$T/second.cli" ||
	echo "exit $rc: $(cat "$T/second.cli")")"
ask cancel "$H_ADM" '{"type":"enroll-cancel","id":2}' ok
wait_exit "$FIRST" 10
r=""
[ "$ST" = 1 ] || r="the cancelled enroll: exit $ST"
[ -n "$r" ] || grep -q '^failed: cancelled$' "$T/first.cli" || r="it said: $(tail -2 "$T/first.cli")"
[ -n "$r" ] || [ ! -e "$SD/faces/s9.face" ] || r="the cancelled enrollment was written"
[ -n "$r" ] || ! grep -q 'enroll s2 started' "$T/live.err" || r="the refused second one started"
check cancel "$r"
[ -z "$r" ] || sed 's/^/    /' "$T/first.cli"
ask cancel2 "$H_ADM" '{"type":"enroll-cancel","id":2}' error
check cancel-none "$([ "$(code cancel2 2)" = bad-request ] && grep -q 'no enrollment is running' "$T/cancel2.msgs" ||
	echo "$(cut -c1-200 "$T/cancel2.msgs")")"

# Ctrl-C on the command line cancels its enrollment in the daemon (it
# was left running there): the next one is not refused.
"$DAEMON" --state-dir "$SD" admin enroll s8 >"$T/int.cli" 2>&1 &   # its own pid, not a subshell's
INTR=$!
CHILD_PIDS+=("$INTR")
r=""
wait_for "$T/int.cli" 'look straight at the camera' 10 || r="no first pose: $(cat "$T/int.cli")"
kill -INT "$INTR"
wait_exit "$INTR" 10
[ -n "$r" ] || [ "$ST" = 1 ] || r="the interrupted enroll: exit $ST"
[ -n "$r" ] || grep -q 'interrupted: cancelling the enrollment' "$T/int.cli" || r="it said: $(tail -3 "$T/int.cli" | tr '\n' ' ')"
[ -n "$r" ] || grep -q '^failed: cancelled$' "$T/int.cli" || r="no cancelled line: $(tail -3 "$T/int.cli" | tr '\n' ' ')"
[ -n "$r" ] || [ ! -e "$SD/faces/s8.face" ] || r="the interrupted enrollment was written"
[ -n "$r" ] || grep -q 'face enrollment of s8 cancelled by admin "command line"' "$T/live.err" ||
	r="the daemon did not cancel it: $(grep 's8' "$T/live.err" | tail -2 | tr '\n' ' ')"
check interrupt-cancels "$r"

# ---- the enrollment
adm enroll s1 >"$T/enroll.cli" 2>&1
rc=$?
r=""
[ "$rc" = 0 ] || r="exit $rc: $(tail -3 "$T/enroll.cli")"
for w in '^look straight at the camera$' '^straight 1 of 3$' '^straight 3 of 3$' \
	'^now slowly turn your head to your left$' '^left 3 of 3$' '^now to your right$' '^right 3 of 3$' \
	'^enrolled s1: [0-9]+ images, descriptor embedding$'; do
	[ -n "$r" ] || grep -qE "$w" "$T/enroll.cli" || r="no line $w"
done
[ -n "$r" ] || [ "$(stat -c %a "$SD/faces/s1.face" 2>&1)" = 600 ] || r="store file: $(stat -c %a "$SD/faces/s1.face" 2>&1)"
check enroll "$r"
sed 's/^/    /' "$T/enroll.cli"

"$DAEMON" --state-dir "$SD" face verify --name s1 "$ORL"/s1/{7,8,9,10}.pgm "$ORL/s4/1.pgm" >"$T/verify.out" 2>&1
check verifies "$(m=$(grep -c '"match":true' "$T/verify.out"); [ "$m" -eq 4 ] && ! tail -1 "$T/verify.out" | grep -q '"match":true' ||
	echo "$m of s1's 4 photos matched; s4: $(tail -1 "$T/verify.out")")"

r=""
for s in started progress pose done; do
	grep -q "\"type\":\"enroll\".*\"state\":\"$s\"" "$T/tab.msgs" || r="$r no $s event;"
done
[ -n "$r" ] || grep -q '"type":"enroll".*"state":"done".*"name":"s1".*"unlocks":true' "$T/tab.msgs" ||
	r="the done event: $(grep '"state":"done"' "$T/tab.msgs" | head -1)"
[ -n "$r" ] || grep -q '"type":"enroll".*"state":"pose".*"pose":"left".*"say":"now slowly turn your head to your left"' "$T/tab.msgs" ||
	r="no left pose event: $(grep '"state":"pose"' "$T/tab.msgs" | head -1)"
[ -n "$r" ] || ! grep -q '"type":"enroll"' "$T/wall.msgs" || r="a public display got enroll events"
check events "$r"

# ---- the daemon verifies with it, no restart
ask priv "$H_TAB" '{"type":"select","command":"private-mode","id":1}' ok
r=""
wait_for "$T/live.out" '"type":"mode".*"mode":"private"' 30 || r="no mode private: $(grep -o '"face":"[a-z]*"[^}]*' "$T/live.out" | tail -2)"
check private-mode "$r"
stop_daemon "$DPID"
