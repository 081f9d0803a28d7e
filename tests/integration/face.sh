#!/bin/bash
# face.sh — the `face enroll` / `face verify` command line on AT&T/ORL,
# with the default descriptor (the learned embedding) and the LBP row.
#  - enroll s2 from 5 images: exit 0,
#    {"enrolled":"s2","images":5,"descriptor":"embedding"}, the store
#    DIR/faces (0700) and its file (0600);
#  - verify s2's other 5 images and 5 images of other people: one JSON line
#    per image, path as given, in order; s2 matches, the others do not;
#  - a blank image: "face":false; an unreadable image: a line with "error",
#    the other lines still printed, exit 1;
#  - unknown name (exit 1), empty or invalid name, no images, no --name,
#    --camera with image files too, or with verify (exit 2), --help (exit 0,
#    usage on stdout);
#  - enroll --camera: a replayed camera (an image folder) in which s1 looks
#    straight, to one side, then the other: the guided enrollment keeps 3
#    frames of each of these poses and skips up and down (not shown); then
#    s1's other photos match and another's do not; a camera with no usable
#    frames fails naming it;
#  - enrolling from an image without a face: exit 1 naming the file, the
#    old enrollment kept;
#  - an enrollment made with face_descriptor = lbp is refused by the
#    embedding (exit 1, says which made it and what to do) and verified by
#    lbp; a corrupt or missing embedding model: exit 1 with the reason;
#  - the daemon with a corrupt embedding model and a replayed live s1: it
#    runs (the camera, gestures) but private mode is refused (face
#    failed, never mode private); with the good model the same frames give
#    mode private (so the refusal is the model's doing); an lbp enrollment
#    of s1 is refused by the daemon with a reason that says so.
# Runs `smartofficed face ...` itself; runnable alone too:
#   BUILD=build tests/run-integration face    or    (cd $(mktemp -d) && bash tests/integration/face.sh)
# shellcheck source-path=SCRIPTDIR disable=SC2015
. "$(dirname "$0")/lib.sh"

ORL=${ORL_DIR:-$SRC/../shared/data/faces/orl}
MODEL=$SRC/models/blazeface/face_detection_front_128x128_barracuda.onnx
need "$DAEMON" "$MODEL" "$ORL/s2/1.pgm"
ST=$T/state
face() { "$DAEMON" --state-dir "$ST" -o face_model="$MODEL" face "$@"; }

# ---- enroll
face enroll --name s2 "$ORL"/s2/{1,2,3,4,5}.pgm >"$T/enroll.out" 2>"$T/enroll.err"
rc=$?
expect_eq enroll-status "$rc" 0 "exit status ($(cat "$T/enroll.err"))"
expect_eq enroll-output "$(cat "$T/enroll.out")" '{"enrolled":"s2","images":5,"descriptor":"embedding"}'
expect_eq store-dir-mode "$(stat -c %a "$ST/faces" 2>&1)" 700
expect_eq store-file-mode "$(stat -c %a "$ST/faces/s2.face" 2>&1)" 600

# ---- verify: relative paths, printed as given
ln -s "$ORL" "$T/orl"
imgs=(orl/s2/6.pgm orl/s2/7.pgm orl/s2/8.pgm orl/s2/9.pgm orl/s2/10.pgm
	orl/s3/6.pgm orl/s10/7.pgm orl/s20/8.pgm orl/s30/9.pgm orl/s40/10.pgm)
face verify --name s2 "${imgs[@]}" >"$T/verify.out" 2>"$T/verify.err"
rc=$?
expect_eq verify-status "$rc" 0 "exit status ($(cat "$T/verify.err"))"
expect_eq verify-lines "$(wc -l <"$T/verify.out")" 10 "lines"
reason=""
i=0
while IFS= read -r line; do
	img=${imgs[$i]}
	[[ $line =~ ^\{\"image\":\"[^\"]*\",\"face\":(true|false),\"match\":(true|false),\"score\":-?[0-9.]+(e-?[0-9]+)?\}$ ]] ||
		{ reason="line $((i + 1)) has not the contract's shape: $line"; break; }
	[ "$(jget "$line" image)" = "$img" ] || { reason="line $((i + 1)) is about $(jget "$line" image), want $img"; break; }
	[ "$(jget "$line" face)" = true ] || { reason="no face in $img"; break; }
	want=false
	[ $i -lt 5 ] && want=true
	[ "$(jget "$line" match)" = "$want" ] || { reason="$img: match $(jget "$line" match), want $want ($line)"; break; }
	i=$((i + 1))
done <"$T/verify.out"
check verify-verdicts "$reason"
note "s2 scores: $(sed -n 's/.*"score":\([0-9.]*\).*/\1/p' "$T/verify.out" | tr '\n' ' ')"

# ---- no face, unreadable image
printf 'P5\n92 112\n255\n' >"$T/blank.pgm"
head -c $((92 * 112)) /dev/zero >>"$T/blank.pgm"
echo "not an image" >"$T/text.pgm"
face verify --name s2 blank.pgm text.pgm missing.pgm orl/s2/6.pgm >"$T/bad.out" 2>"$T/bad.err"
rc=$?
expect_eq bad-status "$rc" 1 "exit status"
mapfile -t bad <"$T/bad.out"
expect_eq bad-lines "${#bad[@]}" 4 "lines"
expect_eq blank-image "${bad[0]:-}" '{"image":"blank.pgm","face":false,"match":false,"score":-1}'
check text-image "$([[ ${bad[1]:-} =~ ^\{\"image\":\"text.pgm\",\"error\":\"[^\"]+\"\}$ ]] || echo "got ${bad[1]:-nothing}")"
check missing-image "$([[ ${bad[2]:-} =~ ^\{\"image\":\"missing.pgm\",\"error\":\"[^\"]+\"\}$ ]] || echo "got ${bad[2]:-nothing}")"
check after-errors "$([ "$(jget "${bad[3]:-}" match)" = true ] || echo "got ${bad[3]:-nothing}")"
check bad-stderr "$(grep -q 'missing.pgm' "$T/bad.err" || echo "stderr does not name missing.pgm: $(cat "$T/bad.err")")"

# ---- usage errors and unknown names
status_of() { face "$@" >"$T/u.out" 2>"$T/u.err"; echo $?; }
expect_eq unknown-name "$(status_of verify --name nobody orl/s2/6.pgm)" 1
check unknown-name-message "$(grep -q 'no enrolled face named "nobody"' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"
check unknown-name-stdout "$([ -s "$T/u.out" ] && echo "printed $(cat "$T/u.out")")"
expect_eq empty-name "$(status_of verify --name '' orl/s2/6.pgm)" 2
expect_eq bad-name "$(status_of enroll --name ../x orl/s2/6.pgm)" 2
expect_eq no-images "$(status_of verify --name s2)" 2
check no-images-message "$(grep -q 'no images' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"
expect_eq no-name "$(status_of verify orl/s2/6.pgm)" 2
expect_eq camera-and-images "$(status_of enroll --name s2 --camera images:/nowhere "$ORL/s2/1.pgm")" 2
check camera-and-images-message "$(grep -q 'not both' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"
expect_eq camera-verify "$(status_of verify --name s2 --camera images:/nowhere)" 2

# enroll --camera: a replayed camera, 15 fps: s1 straight (photos 1, 3: yaw
# about 0), turned one way (2, 5: +0.17, +0.20), the other (4, 6: -0.16,
# -0.19), 8 frames each photo
mkdir -p "$T/cam" "$T/nocam"
k=0
for i in 1 3 2 5 4 6; do for _ in 1 2 3 4 5 6 7 8; do cp "$ORL/s1/$i.pgm" "$T/cam/$(printf %06d $k).pgm"; k=$((k + 1)); done; done
face enroll --name s1cam --camera "images:$T/cam" >"$T/cam.out" 2>"$T/cam.err"
expect_eq camera-enroll "$(cat "$T/cam.out")" '{"enrolled":"s1cam","images":9,"poses":{"straight":3,"left":3,"right":3,"up":0,"down":0},"descriptor":"embedding"}'
check camera-enroll-guides "$(for w in 'look straight' 'to your left' 'to your right' 'no up pose seen'; do grep -q "$w" "$T/cam.err" || echo "no \"$w\" on stderr;"; done)"
face verify --name s1cam "$ORL"/s1/{7,8,9,10}.pgm "$ORL/s4/1.pgm" >"$T/camv.out" 2>/dev/null
check camera-enroll-matches "$(m=$(grep -c '"match":true' "$T/camv.out"); [ "$m" -eq 4 ] && ! tail -1 "$T/camv.out" | grep -q '"match":true' || echo "$m of s1's 4 photos matched; s4: $(tail -1 "$T/camv.out")")"
face enroll --name s3none --camera "images:$T/nocam" >/dev/null 2>"$T/nocam.err"
check camera-enroll-empty "$([ $? = 1 ] && grep -q "nocam" "$T/nocam.err" || echo "stderr: $(cat "$T/nocam.err")")"
expect_eq unknown-command "$(status_of forget --name s2)" 2
expect_eq help "$(status_of --help)" 0
check help-text "$(grep -q 'face verify --name NAME IMAGE' "$T/u.out" || echo "no usage on stdout")"

# ---- enrolling from a faceless image fails and keeps the old enrollment
sum=$(sha256sum <"$ST/faces/s2.face")
expect_eq enroll-no-face "$(status_of enroll --name s2 orl/s3/1.pgm blank.pgm)" 1
check enroll-no-face-message "$(grep -q 'blank.pgm: no face found' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"
expect_eq enroll-kept "$(sha256sum <"$ST/faces/s2.face")" "$sum" "store file"
check no-temp-files "$(find "$ST/faces" -name '.*' | head -1)"

# ---- a store others may write is refused
chmod 0666 "$ST/faces/s2.face"
expect_eq store-writable "$(status_of verify --name s2 orl/s2/6.pgm)" 1
check store-writable-message "$(grep -q 'refusing' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"

# ---- the LBP row, and enrollments of the other descriptor
chmod 0600 "$ST/faces/s2.face"
flbp() { "$DAEMON" --state-dir "$ST" -o face_model="$MODEL" -o face_descriptor=lbp face "$@"; }
flbp enroll --name s5 "$ORL"/s5/{1,2,3,4,5}.pgm >"$T/lbp.out" 2>"$T/lbp.err"
expect_eq lbp-enroll "$(cat "$T/lbp.out")" '{"enrolled":"s5","images":5,"descriptor":"lbp"}'
check lbp-store "$(head -c 26 "$ST/faces/s5.face" | grep -q '^smartoffice-face 2 lbp 5 ' || echo "header: $(head -c 30 "$ST/faces/s5.face")")"
flbp verify --name s5 orl/s5/6.pgm orl/s6/6.pgm >"$T/lbpv.out" 2>&1
check lbp-verify "$(grep -q '"image":"orl/s5/6.pgm".*"match":true' "$T/lbpv.out" && grep -q '"image":"orl/s6/6.pgm".*"match":false' "$T/lbpv.out" || echo "got: $(cat "$T/lbpv.out")")"
expect_eq lbp-under-embedding "$(status_of verify --name s5 orl/s5/6.pgm)" 1
check lbp-under-embedding-message "$(grep -q 'enrolled with the lbp descriptor and face_descriptor is embedding' "$T/u.err" && [ ! -s "$T/u.out" ] || echo "stdout: $(cat "$T/u.out") stderr: $(cat "$T/u.err")")"
flbp verify --name s2 orl/s2/6.pgm >"$T/u.out" 2>"$T/u.err"
check embedding-under-lbp "$([ $? = 1 ] && grep -q 'enrolled with the embedding descriptor' "$T/u.err" || echo "stderr: $(cat "$T/u.err")")"

# ---- a corrupt or missing embedding model: refused with the reason
mkdir -p "$T/badmodel"
cp "$SRC/models/facerec/face_recognition_model-weights_manifest.json" "$T/badmodel/"
head -c 3000000 "$SRC/models/facerec/face_recognition_model.bin" >"$T/badmodel/face_recognition_model.bin"
BADM=$T/badmodel/face_recognition_model-weights_manifest.json
"$DAEMON" --state-dir "$ST" -o face_model="$MODEL" -o face_embed_model="$BADM" face verify --name s2 orl/s2/6.pgm >"$T/u.out" 2>"$T/u.err"
check corrupt-model "$([ $? = 1 ] && grep -q 'face recognition model: .*truncated' "$T/u.err" && [ ! -s "$T/u.out" ] || echo "stdout: $(cat "$T/u.out") stderr: $(cat "$T/u.err")")"
"$DAEMON" --state-dir "$ST" -o face_model="$MODEL" -o face_embed_model="$T/none.json" face enroll --name s9 orl/s9/1.pgm >"$T/u.out" 2>"$T/u.err"
check missing-model "$([ $? = 1 ] && grep -q 'none.json' "$T/u.err" && [ ! -e "$ST/faces/s9.face" ] || echo "stderr: $(cat "$T/u.err")")"

# ---- the same for the landmark model of the blink check (face_landmark_model):
# refused with the reason, never a weaker blink check unsaid
mkdir -p "$T/badlm"
cp "$SRC/models/facerec/face_landmark_68_tiny_model-weights_manifest.json" "$T/badlm/"
head -c 40000 "$SRC/models/facerec/face_landmark_68_tiny_model.bin" >"$T/badlm/face_landmark_68_tiny_model.bin"
BADLM=$T/badlm/face_landmark_68_tiny_model-weights_manifest.json
"$DAEMON" --state-dir "$ST" -o face_model="$MODEL" -o face_landmark_model="$BADLM" face verify --name s2 orl/s2/6.pgm >"$T/u.out" 2>"$T/u.err"
check corrupt-landmark-model "$([ $? = 1 ] && grep -q "face landmark model: $BADLM.*truncated" "$T/u.err" && [ ! -s "$T/u.out" ] || echo "stdout: $(cat "$T/u.out") stderr: $(cat "$T/u.err")")"
"$DAEMON" --state-dir "$ST" -o face_model="$MODEL" -o face_landmark_model="$T/none-lm.json" face enroll --name s9 orl/s9/1.pgm >"$T/u.out" 2>"$T/u.err"
check missing-landmark-model "$([ $? = 1 ] && grep -q 'face landmark model: .*none-lm.json' "$T/u.err" && [ ! -e "$ST/faces/s9.face" ] || echo "stderr: $(cat "$T/u.err")")"

# ---- the daemon with a corrupt model refuses private mode, and with the
# good one the same frames unlock it.  Frames (15 fps): s1 photo 8 (not
# enrolled) for 2 s, a head turn (photo 6) for 0.6 s, photo 8 again.
need "$WSCLIENT"
mkdir -p "$T/live"
for k in $(seq 0 119); do
	src=8
	[ "$k" -ge 30 ] && [ "$k" -lt 39 ] && src=6
	cp "$ORL/s1/$src.pgm" "$T/live/$(printf %06d "$k").pgm"
done
face enroll --name s1 "$ORL"/s1/{1,2,3,4,5}.pgm >/dev/null 2>&1
"$DAEMON" --state-dir "$ST" tokens add --role remote --name tablet >"$T/tab.tok" 2>/dev/null
H_TAB="{\"type\":\"hello\",\"role\":\"remote\",\"name\":\"tablet\",\"token\":\"$(head -1 "$T/tab.tok")\"}"
# private_try NAME [OPTIONS]: the daemon on the frames, a paired remote asks
# for private mode; sets PT_ERR when it did not run to the end.
private_try() {
	local name=$1 sd=$ST status
	shift
	PT_ERR=""
	# start_daemon uses $T/state (= $ST); wait_exit sets ST to the status
	if ! start_daemon "$name" --video-file "$T/live" --events-stdout --exit-at-eof \
		-o face_model="$MODEL" -o private_face=s1 -o face_verify_timeout_s=6 -o face_every=1 "$@"; then
		PT_ERR="$START_ERROR"
		return
	fi
	"$WSCLIENT" --port "$PORT" --send "$H_TAB" --send '{"type":"select","command":"private-mode","id":1}' \
		--until ok --timeout 5 >"$T/$name.msgs" 2>&1
	wait_exit "$DPID" 30
	status=$ST
	ST=$sd
	[ "$status" = timeout ] && stop_daemon "$DPID"
	[ "$status" = 0 ] || PT_ERR="exit status $status: $(tail -2 "$T/$name.err" | tr '\n' ' ')"
}
private_try corrupt-model-daemon -o face_embed_model="$BADM"
r=$PT_ERR
[ -z "$r" ] && grep -q '"mode":"private"' "$T/corrupt-model-daemon.out" && r="private mode with a corrupt model: $(summary "$T/corrupt-model-daemon.out")"
[ -z "$r" ] && ! grep -q '"face":"failed"' "$T/corrupt-model-daemon.out" && r="no failed verification: $(summary "$T/corrupt-model-daemon.out")"
[ -z "$r" ] && ! grep -q 'face recognition model: .*truncated' "$T/corrupt-model-daemon.err" && r="the log does not say why: $(grep -i face "$T/corrupt-model-daemon.err" | head -3)"
check corrupt-model-daemon "$r"
note "corrupt model: $(summary "$T/corrupt-model-daemon.out")"
private_try corrupt-landmark-daemon -o face_landmark_model="$BADLM"
r=$PT_ERR
[ -z "$r" ] && grep -q '"mode":"private"' "$T/corrupt-landmark-daemon.out" && r="private mode with a corrupt landmark model: $(summary "$T/corrupt-landmark-daemon.out")"
[ -z "$r" ] && ! grep -q '"face":"failed"' "$T/corrupt-landmark-daemon.out" && r="no failed verification: $(summary "$T/corrupt-landmark-daemon.out")"
[ -z "$r" ] && ! grep -q 'face landmark model: .*truncated' "$T/corrupt-landmark-daemon.err" && r="the log does not say why: $(grep -i face "$T/corrupt-landmark-daemon.err" | head -3)"
check corrupt-landmark-daemon "$r"
note "corrupt landmark model: $(summary "$T/corrupt-landmark-daemon.out")"
private_try good-model-daemon
r=$PT_ERR
[ -z "$r" ] && ! grep -q '"type":"mode".*"mode":"private"' "$T/good-model-daemon.out" && r="no mode private: $(summary "$T/good-model-daemon.out")"
check good-model-daemon "$r"
note "good model: $(summary "$T/good-model-daemon.out")"
# ... and an enrollment of the other descriptor is refused by name
flbp enroll --name s1 "$ORL"/s1/{1,2,3,4,5}.pgm >/dev/null 2>&1
private_try lbp-enrollment-daemon
r=$PT_ERR
[ -z "$r" ] && grep -q '"mode":"private"' "$T/lbp-enrollment-daemon.out" && r="private mode from an lbp enrollment: $(summary "$T/lbp-enrollment-daemon.out")"
[ -z "$r" ] && ! grep -q '"face":"failed","reason":"s1 was enrolled with the lbp descriptor: enroll again"' "$T/lbp-enrollment-daemon.out" &&
	r="no failure naming the descriptor: $(summary "$T/lbp-enrollment-daemon.out")"
check lbp-enrollment-daemon "$r"
