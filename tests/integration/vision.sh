#!/bin/bash
# vision.sh — the room camera through the real daemon (--video-file):
#  - hand-raise clips rendered by $BUILD/tools/make-clips (the quick set):
#    engage, then cursor events (x, y in 0..1, state move/press/release),
#    then disengage, then the camera's end; engage engage_s after the hand
#    is up (truth.tsv) within a tolerance, disengage after it comes down;
#    t never goes back; exit 0;
#  - the no-raise clips of the set (typing, touching the face, scratching
#    the head, waving at chest height, walking past, idle): no engage;
#  - bad input: a file that is not a video, and an empty folder: exit 1,
#    the path named in the message, nothing on stdout;
#  - private mode asked for from a paired remote while a still photo of the
#    enrolled face (ORL s1) is held to the camera: never "mode private";
#    the verification fails.  The same request in front of a "live" s1
#    (photos of s1 not used for enrollment, a head turn and back) gives
#    "mode private" (face-verified): the photo case is not passing only
#    because nothing ever can.
# Frames for the face checks are composed here from the ORL photos (PGM,
# with od and awk).
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

CLIPS_TOOL=$BUILD/tools/make-clips
ORL=${ORL:-$SRC/../shared/data/faces/orl}
[ -d "$ORL" ] || ORL=/work/shared/data/faces/orl
MODEL=$SRC/models/blazeface/face_detection_front_128x128_barracuda.onnx
need "$DAEMON" "$CLIPS_TOOL" "$WSCLIENT" "$ORL/s1/1.pgm" "$ORL/s1/8.pgm" "$ORL/s1/6.pgm" "$MODEL"

ENGAGE_S=3            # hand_engage_s (the default)
ENGAGE_EARLY=0.5      # engage may come this much before engage_s after "up" ...
ENGAGE_LATE=0.7       # ... or this much after (measured: +0.07 s on 000-raise)
DISENGAGE_LATE=3.5    # disengage within this of the hand going down (2 s + filter)
VOPTS=(-o "face_model=$MODEL")

# ------------------------------------------------------------------ clips

"$CLIPS_TOOL" "$T/clips" --set quick --list >/dev/null 2>"$T/clips.err" ||
	{ fail prerequisites "make-clips --list: $(cat "$T/clips.err")"; exit 1; }

# render NAME: renders one clip of the quick set into $T/clips/NAME.
render() {
	"$CLIPS_TOOL" "$T/clips" --set quick --clip "$1" >/dev/null 2>"$T/clips.err" &&
		[ -s "$T/clips/$1/frames.tsv" ]
}

# truth_time CLIPDIR PHASE [AFTER]: the first frame time of PHASE (after
# AFTER) in truth.tsv; empty when none.
truth_time() {
	awk -F'\t' -v ph="$2" -v after="${3:--1}" 'NR > 1 && $10 == ph && $1 > after { print $1; exit }' "$1/truth.tsv"
}

# gesture_check OUTFILE: checks the event stream of a raise clip; sets
# GC_ERR to the first problem (empty when it holds), ENG_T, DIS_T, NCUR.
# Not to be run in $(...).
gesture_check() {
	local f=$1 line ty t last="" state x y phase=0 n=0
	ENG_T="" DIS_T="" NCUR=0 GC_ERR=""
	while IFS= read -r line; do
		n=$((n + 1))
		ty=$(jtype "$line") || { GC_ERR="line $n has no type"; return; }
		t=$(jget "$line" t) || { GC_ERR="line $n ($ty) has no t"; return; }
		if [ -n "$last" ] && awk -v a="$t" -v b="$last" 'BEGIN { exit !(a < b) }'; then
			GC_ERR="line $n ($ty): t $t before $last"; return
		fi
		last=$t
		case $ty in
		engage)
			[ "$phase" = 0 ] || { GC_ERR="engage at $t after phase $phase"; return; }
			phase=1 ENG_T=$t ;;
		cursor)
			[ "$phase" = 1 ] || { GC_ERR="cursor at $t outside an engagement"; return; }
			state=$(jget "$line" state)
			case $state in move | press | release) ;; *) GC_ERR="cursor state \"$state\""; return ;; esac
			x=$(jget "$line" x) && y=$(jget "$line" y) || { GC_ERR="cursor at $t without x, y"; return; }
			awk -v x="$x" -v y="$y" 'BEGIN { exit !(x >= 0 && x <= 1 && y >= 0 && y <= 1) }' ||
				{ GC_ERR="cursor at $t: x $x, y $y outside 0..1"; return; }
			NCUR=$((NCUR + 1)) ;;
		disengage)
			[ "$phase" = 1 ] || { GC_ERR="disengage at $t without engage"; return; }
			phase=2 DIS_T=$t ;;
		camera)
			[ "$(jget "$line" state)" = end ] || { GC_ERR="camera $(jget "$line" state) at $t"; return; }
			phase=3 ;;
		*)
			GC_ERR="unexpected event $ty at $t"; return ;;
		esac
	done <"$f"
	[ "$phase" = 3 ] || GC_ERR="the stream does not end with the camera's end (phase $phase)"
}

# ---- raises: 640x480 (15 and 30 fps, mirrored), 1280x720, other-hand select
mapfile -t rows < <(tail -n +2 "$T/clips/manifest.tsv")
for row in "${rows[@]}"; do
	IFS=$'\t' read -r clip scenario _ w h fps _ expect mirrored <<<"$row"
	[ "$expect" = 1 ] || continue
	name=raise-$clip
	if ! render "$clip"; then fail "$name" "make-clips: $(cat "$T/clips.err")"; continue; fi
	mir=no
	[ "$mirrored" = 1 ] && mir=yes
	sel=dwell
	[ "$scenario" = raise-other ] && sel=other-hand
	run_daemon "$name" --video-file "$T/clips/$clip" "${VOPTS[@]}" -o camera_mirrored=$mir -o hand_select=$sel
	rc=$(cat "$T/$name.rc")
	dir=$T/clips/$clip
	t_up=$(truth_time "$dir" up)
	t_lower=$(truth_time "$dir" lower "$t_up")
	gesture_check "$T/$name.out"
	r=$GC_ERR
	if [ "$rc" != 0 ]; then
		r="exit status $rc: $(tail -2 "$T/$name.err" | tr '\n' ' ')"
	elif [ -z "$r" ] && [ -z "$ENG_T" ]; then
		r="no engage (hand up at $t_up s)"
	elif [ -z "$r" ] && ! awk -v e="$ENG_T" -v u="$t_up" -v s=$ENGAGE_S -v a=$ENGAGE_EARLY -v b=$ENGAGE_LATE \
		'BEGIN { exit !(e >= u + s - a && e <= u + s + b) }'; then
		r="engage at $ENG_T s, the hand up at $t_up s (want $ENGAGE_S s later, -$ENGAGE_EARLY/+$ENGAGE_LATE)"
	elif [ -z "$r" ] && [ "$NCUR" -lt 10 ]; then
		r="only $NCUR cursor events"
	elif [ -z "$r" ] && [ -z "$DIS_T" ]; then
		r="no disengage (hand down at $t_lower s)"
	elif [ -z "$r" ] && ! awk -v d="$DIS_T" -v l="$t_lower" -v b=$DISENGAGE_LATE \
		'BEGIN { exit !(d >= l && d <= l + b) }'; then
		r="disengage at $DIS_T s, the hand down at $t_lower s"
	fi
	check "$name" "$r"
	note "$clip (${w}x$h@$fps): up $t_up engage $ENG_T, $NCUR cursors, lower $t_lower disengage $DIS_T;" \
		"$(grep -o 'vision: .*' "$T/$name.err" | tail -1)"
	rm -rf "$dir"
done

# ---- no raise: no engage (nor any cursor)
for row in "${rows[@]}"; do
	IFS=$'\t' read -r clip scenario _ _ _ _ _ expect mirrored <<<"$row"
	[ "$expect" = 0 ] || continue
	name=noraise-$clip
	if ! render "$clip"; then fail "$name" "make-clips: $(cat "$T/clips.err")"; continue; fi
	mir=no
	[ "$mirrored" = 1 ] && mir=yes
	run_daemon "$name" --video-file "$T/clips/$clip" "${VOPTS[@]}" -o camera_mirrored=$mir
	rc=$(cat "$T/$name.rc")
	if [ "$rc" != 0 ]; then
		fail "$name" "exit status $rc: $(tail -2 "$T/$name.err" | tr '\n' ' ')"
	elif grep -qE '"type":"(engage|cursor)"' "$T/$name.out"; then
		# raise-short is a raise held too briefly: no engage either
		fail "$name" "$scenario gave: $(grep -m1 -E '"type":"(engage|cursor)"' "$T/$name.out")"
	elif ! grep -q '"type":"camera".*"state":"end"' "$T/$name.out"; then
		fail "$name" "no camera end event: $(summary "$T/$name.out")"
	else
		pass "$name"
	fi
	rm -rf "$T/clips/$clip"
done

# ------------------------------------------------------------------ bad input

# refused NAME PATH PATTERN: --video-file PATH exits 1 naming PATH, the
# message matching PATTERN, nothing on stdout.
refused() { refused_run "$1" "$2" "$3" --video-file "$2" "${VOPTS[@]}"; }
printf 'RIFF....AVI LIST this is not a video\n' >"$T/corrupt.avi"
head -c 200000 /dev/urandom >"$T/noise.mp4"
mkdir -p "$T/empty"
refused corrupt-video "$T/corrupt.avi" 'not a decodable video|cannot open'
refused noise-video "$T/noise.mp4" 'not a decodable video|cannot open'
refused empty-folder "$T/empty" 'no image files'
refused missing-video "$T/no-such.avi" 'No such file|cannot open|not a decodable'

# ------------------------------------------------------------------ faces

# compose OUT PHOTO SCALE CX CY: a 640x480 grey PGM (background 120) with
# the 92x112 ORL photo scaled by the integer SCALE, centred at CX, CY.
compose() {
	local out=$1 photo=$2 s=$3 cx=$4 cy=$5
	{ tail -c $((92 * 112)) "$photo" | od -An -v -tu1 -w92; } |
	LC_ALL=C awk -v s="$s" -v cx="$cx" -v cy="$cy" '
	{ for (i = 1; i <= NF; i++) px[NR - 1, i - 1] = $i }
	END {
		W = 640; H = 480; pw = 92 * s; ph = 112 * s
		x0 = cx - int(pw / 2); y0 = cy - int(ph / 2)
		for (v = 1; v < 256; v++) ch[v] = sprintf("%c", v)
		printf "P5\n%d %d\n255\n", W, H
		bg = ""; for (x = 0; x < W; x++) bg = bg ch[120]
		for (y = 0; y < H; y++) {
			if (y < y0 || y >= y0 + ph) { printf "%s", bg; continue }
			row = ""; py = int((y - y0) / s)
			for (x = 0; x < W; x++) {
				if (x < x0 || x >= x0 + pw) v = 120
				else { v = px[py, int((x - x0) / s)]; if (v < 1) v = 1 }
				row = row ch[v]
			}
			printf "%s", row
		}
	}' >"$out"
}

# Enroll s1 from 1..5.
"$DAEMON" --state-dir "$T/state" "${VOPTS[@]}" face enroll --name s1 "$ORL"/s1/{1,2,3,4,5}.pgm \
	>"$T/enroll.out" 2>"$T/enroll.err"
check enroll "$(grep -q '"enrolled":"s1"' "$T/enroll.out" || echo "face enroll: $(cat "$T/enroll.out" "$T/enroll.err" | tr '\n' ' ')")"

FPS=15
# still: s1/1 held still for 12 s
mkdir -p "$T/still"
compose "$T/still/000000.pgm" "$ORL/s1/1.pgm" 2 320 230
for k in $(seq 1 $((12 * FPS - 1))); do cp "$T/still/000000.pgm" "$T/still/$(printf %06d "$k").pgm"; done
# live: s1/8 (not enrolled) moving; a head turn (s1/6) at 2.0-2.6 s; back
mkdir -p "$T/live" "$T/parts"
for i in 0 1 2 3 4 5 6 7; do
	compose "$T/parts/front$i.pgm" "$ORL/s1/8.pgm" 2 $((310 + (i < 4 ? i : 7 - i) * 6)) $((228 + i % 3 * 3))
done
compose "$T/parts/turned.pgm" "$ORL/s1/6.pgm" 2 322 230
for k in $(seq 0 $((12 * FPS - 1))); do
	if [ "$k" -ge $((2 * FPS)) ] && [ "$k" -lt $((2 * FPS + 9)) ]; then src=turned; else src=front$((k % 8)); fi
	cp "$T/parts/$src.pgm" "$T/live/$(printf %06d "$k").pgm"
done

"$DAEMON" --state-dir "$T/state" tokens add --role remote --name tablet >"$T/tab.tok" 2>"$T/tab.err"
TAB=$(head -1 "$T/tab.tok")
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$TAB\"}"

# private_run NAME DIR: the daemon in real time on DIR; a paired remote
# asks for private mode as soon as it listens; waits for the end.
private_run() {
	local name=$1 dir=$2
	if ! start_daemon "$name" --video-file "$dir" --events-stdout --exit-at-eof "${VOPTS[@]}" \
		-o private_face=s1 -o face_verify_timeout_s=6 -o face_every=1; then
		fail "$name" "$START_ERROR"
		return 1
	fi
	"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","command":"private-mode","id":1}' \
		--until ok --timeout 5 >"$T/$name.msgs" 2>&1
	wait_exit "$DPID" 30
	[ "$ST" = timeout ] && stop_daemon "$DPID"
	[ "$ST" = 0 ] || { fail "$name" "exit status $ST: $(tail -2 "$T/$name.err" | tr '\n' ' ')"; return 1; }
	return 0
}

if private_run still-photo "$T/still"; then
	r=""
	grep -q '"mode":"private"' "$T/still-photo.out" && r="a still photo unlocked private mode: $(summary "$T/still-photo.out")"
	[ -z "$r" ] && ! grep -q '"face":"failed"\|"state":"failed"' "$T/still-photo.out" &&
		r="no failed verification: $(summary "$T/still-photo.out")"
	check still-photo "$r"
	note "still photo: $(summary "$T/still-photo.out")"
fi
if private_run live-person "$T/live"; then
	r=""
	grep -q '"type":"face".*"face":"verified"' "$T/live-person.out" || r="no face verified: $(summary "$T/live-person.out")"
	[ -z "$r" ] && ! grep -q '"type":"mode".*"mode":"private"' "$T/live-person.out" &&
		r="no mode private: $(summary "$T/live-person.out")"
	check live-person "$r"
	note "live person: $(summary "$T/live-person.out")"
fi

# The second factor (private_confirm = remote): the face passes, then a
# paired remote must confirm before the mode changes.
if start_daemon live-confirm --video-file "$T/live" --events-stdout --exit-at-eof "${VOPTS[@]}" \
	-o private_face=s1 -o face_verify_timeout_s=6 -o face_every=1 -o private_confirm=remote; then
	"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","command":"private-mode","id":1}' \
		--until ok --timeout 5 >"$T/live-confirm.msgs" 2>&1
	r=""
	if ! wait_for "$T/live-confirm.out" '"type":"verify".*"state":"confirm"' 10; then
		r="no confirmation asked: $(summary "$T/live-confirm.out")"
	elif grep -q '"mode":"private"' "$T/live-confirm.out"; then
		r="private before the remote confirmed: $(summary "$T/live-confirm.out")"
	else
		"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"confirm","accept":true,"id":2}' \
			--until ok --timeout 5 >"$T/live-confirm2.msgs" 2>&1
		wait_for "$T/live-confirm.out" '"mode":"private","reason":"face-verified\+remote"' 5 ||
			r="no private mode after the confirmation: $(summary "$T/live-confirm.out")"
	fi
	check live-confirm "$r"
	wait_exit "$DPID" 30
	if [ "$ST" = timeout ]; then stop_daemon "$DPID"; fi
else
	fail live-confirm "$START_ERROR"
fi

# ---- --record: what the camera and the microphone gave is kept, and the
# recording replays to the same gestures
if render 000-raise && [ -f "$SRC/devices/demo/session.wav" ]; then
	sox -R "$SRC/devices/demo/session.wav" "$T/rec-audio.wav" trim 0 3
	run_daemon record --video-file "$T/clips/000-raise" --audio-file "$T/rec-audio.wav" --record "$T/rec" "${VOPTS[@]}"
	r=""
	[ "$(cat "$T/record.rc")" = 0 ] || r="exit $(cat "$T/record.rc"): $(tail -2 "$T/record.err" | tr '\n' ' ')"
	nf=$(wc -l <"$T/clips/000-raise/frames.tsv")
	[ -n "$r" ] || [ "$(wc -l <"$T/rec/room/frames.tsv" 2>/dev/null)" = "$nf" ] ||
		r="$(wc -l <"$T/rec/room/frames.tsv" 2>/dev/null) frames recorded of $nf"
	[ -n "$r" ] || awk -v d="$(soxi -D "$T/rec/audio.wav" 2>/dev/null || echo 0)" 'BEGIN { exit !(d > 2.9 && d < 3.1) }' ||
		r="audio.wav lasts $(soxi -D "$T/rec/audio.wav" 2>&1), want 3 s"
	[ -n "$r" ] || [ "$(stat -c %a "$T/rec")" = 700 ] || r="recording folder mode $(stat -c %a "$T/rec")"
	check record "$r"
	run_daemon replay-record --video-file "$T/rec/room" "${VOPTS[@]}"
	a=$(grep -o '"type":"engage","seq":[0-9]*,"t":[0-9.]*' "$T/record.out" | grep -o '[0-9.]*$')
	b=$(grep -o '"type":"engage","seq":[0-9]*,"t":[0-9.]*' "$T/replay-record.out" | grep -o '[0-9.]*$')
	check record-replays "$([ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { exit !(a - b < 0.2 && b - a < 0.2) }' ||
		echo "engage at ${a:-never} live, ${b:-never} from the recording")"
	run_daemon record-twice --video-file "$T/clips/000-raise" --record "$T/rec" "${VOPTS[@]}"
	check record-refuses-old "$([ "$(cat "$T/record-twice.rc")" = 1 ] && grep -q "rec" "$T/record-twice.err" ||
		echo "recording into a used folder: exit $(cat "$T/record-twice.rc")")"
else
	fail record "cannot render 000-raise ($(cat "$T/clips.err")) or no demo session"
fi
