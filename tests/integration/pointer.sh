#!/bin/bash
# pointer.sh — the hand cursor as a real pointer (pointer = ..., docs/gestures.md)
# through the real daemon, the cursor scripted with --events-file:
#  - pointer = file:PATH: the device appears at engage, moves in pixels of
#    pointer_width x pointer_height, clicks on a press/release, releases a
#    held button at disengage and goes; a second engage makes it again;
#  - the events still reach the daemon's clients (stdout) unchanged;
#  - pointer = uinput: where /dev/uinput opens, the daemon logs the device
#    it made at engage; where it does not, the daemon says why in one line
#    (naming /dev/uinput) and goes on without it: same events, exit 0.
#    The test says which of the two paths it ran;
#  - a bad pointer value and a screen out of range are refused at start.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

need "$DAEMON"

cat >"$T/ev.jsonl" <<'EOF'
{"t":0.5,"type":"engage"}
{"t":0.6,"type":"cursor","x":0.0,"y":0.0,"state":"move"}
{"t":0.7,"type":"cursor","x":0.5,"y":0.5,"state":"move"}
{"t":0.8,"type":"cursor","x":0.5,"y":0.5,"state":"move"}
{"t":1.0,"type":"cursor","x":0.25,"y":0.75,"state":"press"}
{"t":1.0,"type":"cursor","x":0.25,"y":0.75,"state":"release"}
{"t":1.5,"type":"cursor","x":1.0,"y":1.0,"state":"press"}
{"t":2.0,"type":"disengage","reason":"hand down"}
{"t":3.0,"type":"engage"}
{"t":3.1,"type":"cursor","x":0.1,"y":0.2,"state":"move"}
{"t":3.5,"type":"disengage"}
EOF
COMMON=(--events-file "$T/ev.jsonl" -o audio=none -o speak=no -o cue=no)

# ---- the file row: the mapping and the device's life
run_daemon file "${COMMON[@]}" -o pointer="file:$T/p.tsv" -o pointer_width=1280 -o pointer_height=720
expect_eq file-exit "$(cat "$T/file.rc")" 0 "exit status ($(tail -2 "$T/file.err" | tr '\n' ' '))"
printf '%s\n' \
	$'0.500\tappear\t1280\t720' \
	$'0.600\tmove\t0\t0' \
	$'0.700\tmove\t640\t360' \
	$'1.000\tmove\t320\t539' \
	$'1.000\tpress\t320\t539' \
	$'1.000\trelease\t320\t539' \
	$'1.500\tmove\t1279\t719' \
	$'1.500\tpress\t1279\t719' \
	$'2.000\trelease\t1279\t719' \
	$'2.000\tdisappear' \
	$'3.000\tappear\t1280\t720' \
	$'3.100\tmove\t128\t144' \
	$'3.500\tdisappear' >"$T/p.want"
if [ ! -f "$T/p.tsv" ]; then
	fail file-events "no $T/p.tsv"
elif ! diff -u "$T/p.want" "$T/p.tsv" >"$T/p.diff"; then
	fail file-events "the pointer's events differ: $(tr '\n' '|' <"$T/p.diff")"
else
	pass file-events
fi
run_daemon plain "${COMMON[@]}"
check file-same-client-events "$(cmp -s <(sed 's/"seq":[0-9]*,//' "$T/plain.out") <(sed 's/"seq":[0-9]*,//' "$T/file.out") ||
	echo "clients got other events with the pointer on: $(summary "$T/file.out") vs $(summary "$T/plain.out")")"
check file-cursor-events "$([ "$(grep -c '"type":"cursor"' "$T/file.out")" = 7 ] ||
	echo "$(grep -c '"type":"cursor"' "$T/file.out") cursor events on stdout, want 7")"

# ---- the live row, or its refusal
run_daemon live "${COMMON[@]}" -o pointer=uinput
expect_eq live-exit "$(cat "$T/live.rc")" 0 "exit status ($(tail -2 "$T/live.err" | tr '\n' ' '))"
check live-same-client-events "$(cmp -s <(sed 's/"seq":[0-9]*,//' "$T/plain.out") <(sed 's/"seq":[0-9]*,//' "$T/live.out") ||
	echo "clients got other events: $(summary "$T/live.out")")"
if grep -q 'pointer uinput:' "$T/live.err"; then
	note "ran the refusal path: $(grep 'pointer uinput:' "$T/live.err" | head -1)"
	check refusal-one-line "$([ "$(grep -c 'pointer uinput:\|/dev/uinput' "$T/live.err")" = 1 ] ||
		echo "want one line about /dev/uinput: $(grep '/dev/uinput' "$T/live.err" | tr '\n' '|')")"
	check refusal-says-why "$(grep 'pointer uinput:' "$T/live.err" | grep -qE '/dev/uinput(: | does not exist)' ||
		echo "the line does not say what is wrong with /dev/uinput")"
	# (-c first: a redirection to a missing path would create a file)
	check refusal-truthful "$(if [ -c /dev/uinput ] && (exec 9<>/dev/uinput) 2>/dev/null; then
		echo "/dev/uinput opens here, yet the daemon refused it"; fi)"
else
	note "ran the live path: /dev/uinput opened"
	check live-device-made "$(grep -qE 'pointer: .*/dev/input/event[0-9]+' "$T/live.err" ||
		echo "no log line naming the device's /dev/input/event node: $(tail -3 "$T/live.err" | tr '\n' ' ')")"
fi

# ---- bad values are refused at start
refused_run bad-pointer 'pointer' 'expected off, uinput or file:PATH' "${COMMON[@]}" -o pointer=mouse
refused_run bad-width 'pointer_width' 'out of range' "${COMMON[@]}" -o pointer=uinput -o pointer_width=0
