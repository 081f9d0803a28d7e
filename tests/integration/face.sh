#!/bin/bash
# face.sh — the `face enroll` / `face verify` command line on AT&T/ORL.
#  - enroll s2 from 5 images: exit 0, {"enrolled":"s2","images":5}, the
#    store DIR/faces (0700) and its file (0600);
#  - verify s2's other 5 images and 5 images of other people: one JSON line
#    per image, path as given, in order; s2 matches, the others do not;
#  - a blank image: "face":false; an unreadable image: a line with "error",
#    the other lines still printed, exit 1;
#  - unknown name (exit 1), empty or invalid name, no images, no --name,
#    --camera with image files too, or with verify (exit 2), --help (exit 0,
#    usage on stdout);
#  - enroll --camera: five people-moments from a replayed camera (an image
#    folder), then the person's other photos match and another's do not; a
#    camera with no usable frames fails naming it;
#  - enrolling from an image without a face: exit 1 naming the file, the
#    old enrollment kept.
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
expect_eq enroll-output "$(cat "$T/enroll.out")" '{"enrolled":"s2","images":5}'
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

# enroll --camera: a replayed camera, 15 fps, s3's photos 1..5 for 1/3 s each
mkdir -p "$T/cam" "$T/nocam"
k=0
for i in 1 2 3 4 5; do for _ in 1 2 3 4 5; do cp "$ORL/s3/$i.pgm" "$T/cam/$(printf %06d $k).pgm"; k=$((k + 1)); done; done
face enroll --name s3cam --camera "images:$T/cam" >"$T/cam.out" 2>"$T/cam.err"
check camera-enroll "$(grep -q '"enrolled":"s3cam","images":5' "$T/cam.out" || echo "got: $(cat "$T/cam.out" "$T/cam.err" | tr '\n' ' ')")"
face verify --name s3cam "$ORL"/s3/{6,7,8,9,10}.pgm "$ORL/s4/1.pgm" >"$T/camv.out" 2>/dev/null
check camera-enroll-matches "$(m=$(grep -c '"match":true' "$T/camv.out"); [ "$m" -ge 3 ] && ! tail -1 "$T/camv.out" | grep -q '"match":true' || echo "$m of s3's 5 photos matched; s4: $(tail -1 "$T/camv.out")")"
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
