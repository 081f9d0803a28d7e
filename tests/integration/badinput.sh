#!/bin/bash
# badinput.sh — what the daemon does with bad or unusual input.
# Audio (--audio-file, --no-realtime --exit-at-eof):
#  - not a WAV (text), empty, RIFF header only, compressed (MS ADPCM, IMA
#    ADPCM, A-law), missing: exit 1 with a message that names the file;
#  - truncated: processed up to where it ends, a warning naming the file,
#    exit 0, still recognized;
#  - stereo 44.1 kHz, 8-bit unsigned, 24-bit, 32-bit float: converted
#    (logged), exit 0, recognized as the 16 kHz mono 16-bit original is.
# Configuration:
#  - a file with several bad lines: exit 1, one "file:LINE:" per bad line,
#    exactly the bad lines, the count in the summary, nothing on stdout;
#  - -n with a good file (and with none): "configuration OK", exit 0;
#  - unknown -o option, -o without '=', a missing config file: exit 1;
#  - a catalogue (-o catalogue=FILE) with a duplicate id, with invalid JSON,
#    missing: exit 1 with file:line (the duplicate's line; the line of the
#    syntax error), also under -n.
# shellcheck source-path=SCRIPTDIR disable=SC2015  # pass/fail never fail
. "$(dirname "$0")/lib.sh"

SPEECH=$CORPUS/0002-wake-command-air-quality.wav    # flite-rms: "hey seoul. display the air quality"
need "$DAEMON" "$SPEECH"
WANT="wake intent:air-quality navigate:air-quality"

# the original, for comparison
run_daemon orig --audio-file "$SPEECH"
if [ "$(summary "$T/orig.out")" != "$WANT" ]; then
	fail reference "the unmodified file gave [$(summary "$T/orig.out")], want [$WANT]"
	exit 1
fi
pass reference

# ---- unusable audio: exit 1, the file named
echo "this is not a WAV file" >"$T/text.wav"
: >"$T/empty.wav"
printf 'RIFF\x04\x00\x00\x00WAVE' >"$T/riff-only.wav"
sox -R "$SPEECH" -e ms-adpcm "$T/ms-adpcm.wav"
sox -R "$SPEECH" -e ima-adpcm "$T/ima-adpcm.wav"
sox -R "$SPEECH" -e a-law "$T/a-law.wav"

refused() { # NAME FILE PATTERN: exit 1, stderr names FILE and matches PATTERN
	refused_run "$1" "$2" "$3" --audio-file "$2"
}
refused audio-text      "$T/text.wav"      'not a WAV'
refused audio-empty     "$T/empty.wav"     'not a WAV'
refused audio-riff-only "$T/riff-only.wav" 'no fmt chunk|truncated'
refused audio-missing   "$T/no-such.wav"   'No such file'
refused audio-ima-adpcm "$T/ima-adpcm.wav" 'compressed WAV \(format tag 17\) is not supported'
refused audio-a-law     "$T/a-law.wav"     'compressed WAV \(format tag 6\) is not supported'
# MS ADPCM's fmt chunk is 50 bytes (its coefficient table): a well-formed
# file, to be refused as compressed, not as malformed.
refused audio-ms-adpcm  "$T/ms-adpcm.wav"  'compressed WAV \(format tag 2\) is not supported'

# ---- truncated: the header announces more than the file has
bytes=$(( 44 + 16000 * 2 * 4 ))                     # 4 s of the 4.9 s
head -c "$bytes" "$SPEECH" >"$T/truncated.wav"
run_daemon truncated --audio-file "$T/truncated.wav"
r=""
[ "$(cat "$T/truncated.rc")" = 0 ] || r="exit status $(cat "$T/truncated.rc"), want 0"
[ -n "$r" ] || grep -q "warning: .*$T/truncated.wav.*truncated" "$T/truncated.err" || r="no warning naming the file: $(tr '\n' ' ' <"$T/truncated.err")"
[ -n "$r" ] || [ "$(summary "$T/truncated.out")" = "$WANT" ] || r="events [$(summary "$T/truncated.out")], want [$WANT]"
[ -n "$r" ] || [ -z "$(invariants "$T/truncated.out")" ] || r=$(invariants "$T/truncated.out")
check audio-truncated "$r"

# ---- other formats: converted, still recognized
sox -R "$SPEECH" -r 44100 -c 2 "$T/stereo-44k.wav"
sox -R "$SPEECH" -b 8 -e unsigned-integer "$T/u8.wav"
sox -R "$SPEECH" -b 24 "$T/s24.wav"
sox -R "$SPEECH" -b 32 -e floating-point "$T/float.wav"
converted() { # NAME FILE
	local name=$1 file=$2 r=""
	run_daemon "$name" --audio-file "$file"
	[ "$(cat "$T/$name.rc")" = 0 ] || r="exit status $(cat "$T/$name.rc"), want 0: $(tail -1 "$T/$name.err")"
	[ -n "$r" ] || grep -q "converted to 16 kHz mono 16-bit" "$T/$name.err" || r="no \"converted\" message on stderr"
	[ -n "$r" ] || [ "$(summary "$T/$name.out")" = "$WANT" ] || r="events [$(summary "$T/$name.out")], want [$WANT]"
	[ -n "$r" ] || [ -z "$(invariants "$T/$name.out")" ] || r=$(invariants "$T/$name.out")
	check "$name" "$r"
}
converted audio-stereo-44k "$T/stereo-44k.wav"
converted audio-8-bit      "$T/u8.wav"
converted audio-24-bit     "$T/s24.wav"
converted audio-float      "$T/float.wav"

# ---- configuration file with bad lines
cat >"$T/bad.conf" <<'EOF'
# a configuration with bad lines: 3, 5, 6, 7, 9, 12
port = 7000
bogus_option = 1

port = notanumber
this line has no equals
cmd_min_confidence = 2
log_level = info
self_mute = maybe
speak = "no"
voice = en-us # a comment after the value
private_unlock = retina
EOF
want_lines="3 5 6 7 9 12"
for mode in check run; do
	if [ "$mode" = check ]; then
		"$DAEMON" -c "$T/bad.conf" -n >"$T/badconf.out" 2>"$T/badconf.err"
	else
		timeout 60 "$DAEMON" -c "$T/bad.conf" --audio-file "$SPEECH" --no-realtime --exit-at-eof \
			--port 0 --state-dir "$T/state" >"$T/badconf.out" 2>"$T/badconf.err"
	fi
	rc=$?
	got_lines=$(grep -o "^$T/bad.conf:[0-9]*:" "$T/badconf.err" | sed 's/.*conf:\([0-9]*\):/\1/' | tr '\n' ' ')
	r=""
	[ "$rc" = 1 ] || r="exit status $rc, want 1"
	[ -n "$r" ] || [ "${got_lines% }" = "$want_lines" ] || r="reported lines \"${got_lines% }\", want \"$want_lines\": $(tr '\n' '|' <"$T/badconf.err")"
	[ -n "$r" ] || grep -q "6 configuration errors" "$T/badconf.err" || r="no \"6 configuration errors\" summary"
	[ -n "$r" ] || [ ! -s "$T/badconf.out" ] || r="stdout: $(head -1 "$T/badconf.out")"
	check "config-bad-lines-$mode" "$r"
done

# ---- -n
cat >"$T/good.conf" <<EOF
# a good configuration
port = 7000
address = 127.0.0.1
log_level = warning
self_mute = no
cmd_min_confidence = 0.6
voice = "en-us"
catalogue = $SRC/models/catalogue.json
EOF
out=$("$DAEMON" -c "$T/good.conf" -n 2>"$T/good.err"); rc=$?
[ "$rc" = 0 ] && [ "$out" = "configuration OK" ] && pass config-check-good ||
	fail config-check-good "exit $rc, stdout \"$out\", stderr $(tr '\n' ' ' <"$T/good.err")"
out=$("$DAEMON" -n 2>"$T/none.err"); rc=$?
[ "$rc" = 0 ] && [ "$out" = "configuration OK" ] && pass config-check-defaults ||
	fail config-check-defaults "exit $rc, stdout \"$out\", stderr $(tr '\n' ' ' <"$T/none.err")"

cmdline() { # NAME PATTERN ARGS...: exit 1 and stderr matching PATTERN
	local name=$1 pat=$2 rc
	shift 2
	"$DAEMON" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	if [ "$rc" != 1 ]; then
		fail "$name" "exit status $rc, want 1 ($(tr '\n' ' ' <"$T/$name.err"))"
	elif ! grep -qE -- "$pat" "$T/$name.err"; then
		fail "$name" "stderr does not say /$pat/: $(tr '\n' ' ' <"$T/$name.err")"
	elif grep -q "configuration OK" "$T/$name.out"; then
		fail "$name" "printed \"configuration OK\""
	else
		pass "$name"
	fi
}
cmdline option-unknown     'unknown option "no_such_option"' -n -o no_such_option=1
cmdline option-unknown-run 'unknown option "no_such_option"' --audio-file "$SPEECH" --no-realtime --exit-at-eof --port 0 --state-dir "$T/state" -o no_such_option=1
cmdline option-no-value    'expected NAME=VALUE'             -n -o port
cmdline option-out-of-range 'port: 70000 is out of range'    -n -o port=70000
cmdline config-missing     "$T/no-such.conf"                 -n -c "$T/no-such.conf"

# ---- bad catalogues
cp "$SRC/models/catalogue.json" "$T/dup.json"
# the "finances" entry takes the id "prices" of the entry before it
sed -i 's/"id": "finances",/"id": "prices",/' "$T/dup.json"
dup_line=$(grep -n '"id": "prices",' "$T/dup.json" | sed -n '2s/:.*//p')
cp "$SRC/models/catalogue.json" "$T/syntax.json"
# a stray word after the fifth "say" list
syntax_line=$(grep -n '"say": \[' "$T/syntax.json" | sed -n '5s/:.*//p')
sed -i "${syntax_line}s/\]/] oops/" "$T/syntax.json"
head -c 200 "$SRC/models/catalogue.json" >"$T/cut.json"
cut_lines=$(wc -l <"$T/cut.json")
cmdline catalogue-duplicate-id      "^$T/dup.json:[0-9]+: .*duplicate id \"prices\"" -n -o catalogue="$T/dup.json"
# the line given is the duplicate's, not the first entry's
got=$(grep -o "^$T/dup.json:[0-9]*:" "$T/catalogue-duplicate-id.err" | head -1 | sed 's/.*json:\([0-9]*\):/\1/')
expect_eq catalogue-duplicate-id-line "$got" "$dup_line" "line of the duplicate id (the first \"prices\" is on line $(grep -n '"id": "prices",' "$T/dup.json" | sed -n '1s/:.*//p'))"
cmdline catalogue-duplicate-id-run  "^$T/dup.json:[0-9]+: .*duplicate id \"prices\"" --audio-file "$SPEECH" --no-realtime --exit-at-eof --port 0 --state-dir "$T/state" -o catalogue="$T/dup.json"
cmdline catalogue-invalid-json      "^$T/syntax.json:$syntax_line: "                   -n -o catalogue="$T/syntax.json"
cmdline catalogue-cut-short         "^$T/cut.json:$((cut_lines + 1))?: "               -n -o catalogue="$T/cut.json"
cmdline catalogue-missing           "$T/no-such.json"                                  -n -o catalogue="$T/no-such.json"
