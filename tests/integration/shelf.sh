#!/bin/bash
# shelf.sh — the bookshelf camera and its door through the real daemon, in
# real time: the room camera replays a hand-raise clip with nobody raising
# a hand (--video-file), the shelf camera a clip of tests/tools/shelf-clips
# (--shelf-video-file, MJPG), the door its sensor's replay row
# (--events-file, the clip's door.jsonl); a trusted wall display (token)
# and a public display are connected with the real websocket client:
#  - a public book taken and put back: both displays get the door, the
#    `shelf` taken event (book, titles, content), the navigate to its
#    content (source shelf), the `shelf` returned event and the navigate
#    back to the screen before; stdout has the same;
#  - a private book (marker 13, approval-ledger -> approval-documents) in
#    public mode: the wall gets `shelf` taken with denied
#    private-content-in-public-mode and no navigate; the public display
#    gets nothing that names the book (id, titles, marker 13) and no
#    shelf taken/returned event at all;
#  - the same in private mode (a paired remote asks for it, unlock by
#    voice): the wall navigates to approval-documents, the public display
#    still gets nothing of it;
#  - bad input: a marker that is not in the catalogue (40) is warned about
#    once and never becomes an event while the known book next to it is
#    still taken; a shelf video that is cut short (a camera that vanishes
#    mid-take) ends the shelf replay with camera shelf end, exit 0, no
#    crash; a door sensor that is not there (no such GPIO chip) is said
#    lost, naming the chip, and the daemon runs on; a missing shelf video,
#    a bad door spec and a bad door line are refused with the path or
#    line named;
#  - --record keeps the shelf frames (DIR/shelf/, as the room camera's).
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

SHELF_TOOL=$BUILD/tools/shelf-clips
CLIPS_TOOL=$BUILD/tools/make-clips
need "$DAEMON" "$SHELF_TOOL" "$CLIPS_TOOL" "$WSCLIENT" /work/shared/data/shelf/shelves.jpeg

# ------------------------------------------------------------------ clips

"$SHELF_TOOL" "$T/pub" --set quick --clip quick-001-take-return >/dev/null 2>"$T/gen.err" &&
"$SHELF_TOOL" "$T/priv" --set quick --clip quick-001-take-return --take 13 >/dev/null 2>>"$T/gen.err" &&
"$SHELF_TOOL" "$T/unk" --set quick --clip quick-008-unknown >/dev/null 2>>"$T/gen.err" &&
"$CLIPS_TOOL" "$T/room" --set quick --clip 011-idle >/dev/null 2>>"$T/gen.err" ||
	{ fail prerequisites "clip generators: $(tail -2 "$T/gen.err" | tr '\n' ' ')"; exit 1; }
ROOM=$T/room/011-idle
[ -s "$ROOM/frames.tsv" ] || { fail prerequisites "no room clip in $ROOM"; exit 1; }
PUB=$T/pub/quick-001-take-return
PRIV=$T/priv/quick-001-take-return
UNK=$T/unk/quick-008-unknown
grep -q "taken	13" "$PRIV/truth.tsv" || { fail prerequisites "the private clip does not take marker 13"; exit 1; }

"$DAEMON" --state-dir "$T/state" tokens add --role display --name wall >"$T/wall.tok" 2>"$T/tok.err" &&
"$DAEMON" --state-dir "$T/state" tokens add --role remote --name tablet >"$T/tab.tok" 2>>"$T/tok.err" ||
	{ fail prerequisites "tokens add: $(cat "$T/tok.err")"; exit 1; }
WALL=$(head -1 "$T/wall.tok")
TAB=$(head -1 "$T/tab.tok")
H_WALL="{\"type\":\"hello\",\"role\":\"display\",\"name\":\"wall\",\"token\":\"$WALL\"}"
H_PUB='{"type":"hello","role":"display","name":"lobby"}'
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$TAB\"}"

# shelf_run NAME CLIPDIR [EXTRA_CLIENT_MESSAGES...]: the daemon in real time
# with the room clip, the shelf clip and its door; the wall and the public
# display listen until the daemon ends.  Sets ST.
shelf_run() {
	local name=$1 clip=$2 secs wpid ppid
	shift 2
	secs=$(awk '/^#/ { for (i = 1; i <= NF; i++) if ($i == "s,") print int($(i - 1)) + 15 }' "$clip/truth.tsv")
	# The clip's door opens at 0.5 s, before the clients are connected;
	# it closes again after the book is back (the clients see that one).
	cp "$clip/door.jsonl" "$T/$name.door"
	echo '{"t":9.5,"type":"door","state":"closed"}' >>"$T/$name.door"
	if ! start_daemon "$name" --video-file "$ROOM" --shelf-video-file "$clip/video.avi" \
		--events-file "$T/$name.door" --events-stdout --exit-at-eof -o speak=no -o cue=no \
		-o private_unlock=voice; then
		fail "$name" "$START_ERROR"
		return 1
	fi
	"$WSCLIENT" --port "$PORT" --send "$H_WALL" --timeout "${secs:-30}" >"$T/$name.wall" 2>&1 &
	wpid=$!
	"$WSCLIENT" --port "$PORT" --send "$H_PUB" --timeout "${secs:-30}" >"$T/$name.pub" 2>&1 &
	ppid=$!
	CHILD_PIDS+=("$wpid" "$ppid")
	for m in "$@"; do
		"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send "$m" --until ok --timeout 5 >>"$T/$name.tab" 2>&1
	done
	wait_exit "$DPID" 40
	[ "$ST" = timeout ] && stop_daemon "$DPID"
	wait "$wpid" "$ppid" 2>/dev/null
	return 0
}

# lines FILE TYPE [KEY VALUE]: the lines of TYPE (with KEY = VALUE).
lines() {
	local line
	while IFS= read -r line; do
		[ "$(jtype "$line" 2>/dev/null)" = "$2" ] || continue
		[ -z "${3:-}" ] || [ "$(jget "$line" "$3" 2>/dev/null)" = "$4" ] || continue
		printf '%s\n' "$line"
	done <"$1"
}

# ------------------------------------------------------------------ a public book

if shelf_run public "$PUB"; then
	expect_eq public-exit "$ST" 0 "exit status"
	for who in out wall pub; do
		f=$T/public.$who
		r=""
		tk=$(lines "$f" shelf event taken | head -1)
		rt=$(lines "$f" shelf event returned | head -1)
		[ -n "$(lines "$f" shelf event door | grep '"state":"closed"')" ] || r="no door closed event"
		[ -z "$r" ] && [ -z "$tk" ] && r="no shelf taken event"
		[ -z "$r" ] && [ "$(jget "$tk" book)" != seoul-2040-plan ] && r="taken book \"$(jget "$tk" book)\", want seoul-2040-plan"
		[ -z "$r" ] && [ "$(jget "$tk" content)" != city-projects ] && r="taken content \"$(jget "$tk" content)\""
		[ -z "$r" ] && ! grep -q '"ko":"2040 서울도시기본계획"' "$f" && r="no Korean title"
		[ -z "$r" ] && [ -z "$(lines "$f" navigate content city-projects | grep '"source":"shelf"')" ] &&
			r="no navigate to city-projects from the shelf"
		[ -z "$r" ] && [ -z "$rt" ] && r="no shelf returned event"
		[ -z "$r" ] && [ -z "$(lines "$f" navigate content main | grep '"source":"shelf"')" ] &&
			r="no navigate back to main"
		if [ -z "$r" ]; then
			# taken -> navigate -> returned -> navigate back, in that order
			order=$(grep -n '"event":"taken"\|"content":"city-projects","source":"shelf"\|"event":"returned"\|"content":"main","source":"shelf"' "$f" | cut -d: -f1 | tr '\n' ' ')
			[ "$(echo "$order" | wc -w)" = 4 ] && [ "$order" = "$(echo "$order" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ')" ] ||
				r="events out of order (lines $order)"
		fi
		check "public-book-$who" "$r"
	done
	tt=$(jget "$(lines "$T/public.out" shelf event taken | head -1)" t)
	note "taken at t $tt s (truth 3.80 s), returned at t $(jget "$(lines "$T/public.out" shelf event returned | head -1)" t) s (truth 7.45 s)"
	r=$(awk -v t="$tt" 'BEGIN { if (t < 3.3 || t > 4.8) print "taken at " t " s, truth 3.80 s" }')
	check public-book-timing "$r"
fi

# ------------------------------------------------------------------ a private book

if shelf_run private-public-mode "$PRIV"; then
	expect_eq private-public-mode-exit "$ST" 0 "exit status"
	tk=$(lines "$T/private-public-mode.wall" shelf event taken | head -1)
	r=""
	[ -z "$tk" ] && r="the wall got no shelf taken event: $(summary "$T/private-public-mode.wall")"
	[ -z "$r" ] && [ "$(jget "$tk" book)" != approval-ledger ] && r="book \"$(jget "$tk" book)\""
	[ -z "$r" ] && [ "$(jget "$tk" denied)" != private-content-in-public-mode ] && r="not denied: $tk"
	[ -z "$r" ] && [ -n "$(lines "$T/private-public-mode.wall" navigate content approval-documents)" ] &&
		r="navigated to the private screen in public mode"
	check private-book-public-mode-wall "$r"
	r=""
	grep -qE 'approval-ledger|결재 대장|Approval Ledger|approval-documents|"marker":13' "$T/private-public-mode.pub" &&
		r="the public display got the private book: $(grep -E 'approval|"marker":13' "$T/private-public-mode.pub" | head -1)"
	[ -z "$r" ] && [ -n "$(lines "$T/private-public-mode.pub" shelf event taken)$(lines "$T/private-public-mode.pub" shelf event returned)" ] &&
		r="the public display got a shelf taken/returned event"
	[ -z "$r" ] && [ -z "$(lines "$T/private-public-mode.pub" shelf event door | grep '"state":"closed"')" ] &&
		r="the public display did not get the door closing (was it connected?): $(summary "$T/private-public-mode.pub")"
	check private-book-public-display "$r"
fi

if shelf_run private-mode "$PRIV" '{"type":"select","command":"private-mode","id":1}'; then
	expect_eq private-mode-exit "$ST" 0 "exit status"
	r=""
	grep -q '"mode":"private"' "$T/private-mode.wall" || r="private mode did not start: $(summary "$T/private-mode.wall")"
	[ -z "$r" ] && [ -z "$(lines "$T/private-mode.wall" navigate content approval-documents | grep '"source":"shelf"')" ] &&
		r="the wall did not navigate to approval-documents: $(summary "$T/private-mode.wall")"
	[ -z "$r" ] && [ -n "$(jget "$(lines "$T/private-mode.wall" shelf event taken | head -1)" denied)" ] && r="denied in private mode"
	check private-book-private-mode-wall "$r"
	r=""
	grep -qE 'approval-ledger|결재 대장|Approval Ledger|approval-documents|"marker":13' "$T/private-mode.pub" &&
		r="the public display got the private book: $(grep -E 'approval|"marker":13' "$T/private-mode.pub" | head -1)"
	[ -z "$r" ] && [ -n "$(lines "$T/private-mode.pub" shelf event taken)" ] && r="the public display got a shelf taken event"
	[ -z "$r" ] && [ -z "$(lines "$T/private-mode.pub" shelf event door | grep '"state":"closed"')" ] &&
		r="the public display got no door event"
	check private-book-private-mode-public-display "$r"
fi

# ------------------------------------------------------------------ bad input

if shelf_run unknown-marker "$UNK"; then
	expect_eq unknown-marker-exit "$ST" 0 "exit status"
	r=""
	n=$(grep -c 'marker 40 is on the shelf but is no book of the catalogue' "$T/unknown-marker.err")
	[ "$n" = 1 ] || r="$n warnings about marker 40, want 1"
	[ -z "$r" ] && grep -q '"marker":40' "$T/unknown-marker.out" && r="an event for marker 40"
	[ -z "$r" ] && [ "$(jget "$(lines "$T/unknown-marker.out" shelf event taken | head -1)" marker)" != 3 ] &&
		r="the known book (marker 3) was not taken: $(summary "$T/unknown-marker.out")"
	check unknown-marker "$r"
fi

# A shelf camera that vanishes mid-take: the video cut while the hand is on the book.
size=$(stat -c %s "$PUB/video.avi")
head -c $((size * 35 / 100)) "$PUB/video.avi" >"$T/cut.avi"
run_daemon cut-video --shelf-video-file "$T/cut.avi" --events-file "$PUB/door.jsonl" -o speak=no
r=""
[ "$(cat "$T/cut-video.rc")" = 0 ] || r="exit status $(cat "$T/cut-video.rc"): $(tail -2 "$T/cut-video.err" | tr '\n' ' ')"
[ -z "$r" ] && [ -z "$(lines "$T/cut-video.out" camera camera shelf | grep '"state":"end"')" ] &&
	r="no camera shelf end: $(summary "$T/cut-video.out")"
[ -z "$r" ] && grep -q '"event":"returned"' "$T/cut-video.out" && r="a return from a cut video"
check shelf-camera-vanishes "$r"
note "cut video: $(summary "$T/cut-video.out")"

# --record keeps the shelf frames, replayable as images:DIR/shelf.
run_daemon record --shelf-video-file "$PUB/video.avi" --record "$T/rec" -o speak=no
r=""
[ "$(cat "$T/record.rc")" = 0 ] || r="exit status $(cat "$T/record.rc")"
nf=$(wc -l <"$T/rec/shelf/frames.tsv" 2>/dev/null || echo 0)
[ -z "$r" ] && [ "$nf" -lt 150 ] && r="$nf frames in $T/rec/shelf/frames.tsv, want the clip's 161"
[ -z "$r" ] && [ ! -s "$T/rec/shelf/000000.jpg" ] && r="no $T/rec/shelf/000000.jpg"
check record-shelf "$r"

refused_run missing-shelf-video "$T/nothing.avi" "shelf|nothing" --shelf-video-file "$T/nothing.avi"
refused_run bad-door-spec "reed:17" "door \"reed:17\": expected gpio" --shelf-video-file "$PUB/video.avi" -o shelf_door=reed:17
# A door sensor that is not there (no such GPIO chip): said as lost, with
# the chip named, to trusted clients; the daemon runs on (the door counts
# as open) and the book is still taken.
run_daemon absent-door --shelf-video-file "$PUB/video.avi" -o shelf_door=gpio:gpiochip77:3 -o speak=no
r=""
[ "$(cat "$T/absent-door.rc")" = 0 ] || r="exit status $(cat "$T/absent-door.rc"): $(tail -2 "$T/absent-door.err" | tr '\n' ' ')"
[ -z "$r" ] && ! grep -q '"event":"door","state":"lost","reason":"[^"]*gpiochip77' "$T/absent-door.out" &&
	r="no door lost naming gpiochip77: $(summary "$T/absent-door.out")"
[ -z "$r" ] && ! grep -q '"event":"taken"' "$T/absent-door.out" && r="no take with the door sensor gone"
check absent-door-sensor "$r"
printf '{"t":0.5,"type":"door","state":"open"}\n{"t":1.0,"type":"door","state":"ajar"}\n' >"$T/bad-door.jsonl"
refused_run bad-door-line "$T/bad-door.jsonl:2" "open, closed, lost or back" --events-file "$T/bad-door.jsonl"
