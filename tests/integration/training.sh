#!/bin/bash
# training.sh — the speech heads' training pipeline end to end, on the tiny
# recipe (models/train: synth.py --tiny, embed-clips, train.py), then the
# real daemon deciding a recording with the heads it made; the committed
# heads load and match their manifest; and the pipeline's refusals of bad
# input: a recipe naming a voice that does not exist, a catalogue entry with
# no phrasings, a phrase no voice can say, heads that do not match the
# catalogue.
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
need "$DAEMON" "$BUILD/tools/embed-clips" "$SRC/models/train/synth.py" "$SRC/models/train/train.py" \
	"$SRC/models/heads/heads.json" "$CORPUS/manifest.tsv"

# ---- the tiny run: synthesize, embed, train
t0=$SECONDS
if $PY "$SRC/models/train/synth.py" --recipe "$SRC/models/train/recipe.json" --catalogue "$SRC/models/catalogue.json" \
	--out "$T/data" --tiny --jobs 2 2> "$T/synth.log"; then
	pass synth-tiny
else
	fail synth-tiny "synth.py --tiny failed: $(tail -1 "$T/synth.log")"
fi
for s in wake command negative_long; do
	[ -s "$T/data/$s.raw" ] && [ "$(wc -l < "$T/data/$s.tsv")" -gt 10 ] || fail "synth-$s" "no $s set in $T/data"
done
if $PY "$SRC/models/train/train.py" --data "$T/data" --catalogue "$SRC/models/catalogue.json" --out "$T/heads" \
	--embed-clips "$BUILD/tools/embed-clips" --models "$SRC/models/oww" --epochs 2 2> "$T/train.log"; then
	pass train-tiny
else
	fail train-tiny "train.py failed: $(tail -1 "$T/train.log")"
fi
note "tiny training run: $((SECONDS - t0)) s"
for f in heads.json wake.head endpoint.head intent.head; do
	[ -s "$T/heads/$f" ] || fail "heads-$f" "train.py wrote no $f"
done
# Every catalogue id is a class of the intent head, and "none".
ids=$(catalogue_kinds "$SRC/models/catalogue.json" | cut -d" " -f1 | sort | tr '\n' ' ')
got=$($PY -c "import json,sys; print('\n'.join(c for c in json.load(open(sys.argv[1]))['intent']['classes'] if c != 'none'))" \
	"$T/heads/heads.json" | sort | tr '\n' ' ')
expect_eq intent-classes "$got" "$ids" "intent classes"

# ---- the daemon decides with the heads it was given
f=$(awk -F'\t' 'NR > 1 && $2 == "wake-command" { print $1; exit }' "$CORPUS/manifest.tsv")
if "$DAEMON" --audio-file "$CORPUS/$f" --no-realtime --events-stdout --exit-at-eof --port 0 --state-dir "$T/state" \
	-o speak=no -o cue=no -o speech_heads="$T/heads/heads.json" > "$T/tiny.out" 2> "$T/tiny.err"; then
	pass daemon-tiny-heads
else
	fail daemon-tiny-heads "the daemon refused the tiny heads: $(tail -1 "$T/tiny.err")"
fi
check daemon-tiny-invariants "$(invariants "$T/tiny.out")"

# ---- the committed heads match their manifest and the catalogue
if "$DAEMON" --audio-file "$CORPUS/$f" --no-realtime --events-stdout --exit-at-eof --port 0 --state-dir "$T/state" \
	-o speak=no -o cue=no > "$T/committed.out" 2> "$T/committed.err"; then
	pass committed-heads-load
else
	fail committed-heads-load "$(tail -1 "$T/committed.err")"
fi
grep -q "the heads and .* differ" "$T/committed.err" &&
	fail committed-heads-current "the committed heads and the catalogue differ: $(grep 'differ' "$T/committed.err")" ||
	pass committed-heads-current

# ---- refusals
mangle() { # IN OUT PYTHON-EXPR-ON-d
	$PY -c "import json,sys; d=json.load(open(sys.argv[1])); $3; json.dump(d, open(sys.argv[2],'w'), ensure_ascii=False, indent=1)" "$1" "$2"
}
refused_synth() { # NAME WANT ARGS...
	local name=$1 want=$2
	shift 2
	if $PY "$SRC/models/train/synth.py" "$@" --out "$T/bad" --tiny > "$T/$name.out" 2> "$T/$name.err"; then
		fail "$name" "synth.py accepted it"
	elif ! grep -q -- "$want" "$T/$name.err"; then
		fail "$name" "no \"$want\" in: $(tail -1 "$T/$name.err")"
	else
		pass "$name"
	fi
}
mangle "$SRC/models/train/recipe.json" "$T/badvoice.json" "d['voices']['flite'] = ['kal', 'no_such_voice']"
refused_synth refused-missing-voice "no voice 'no_such_voice'" --recipe "$T/badvoice.json" --catalogue "$SRC/models/catalogue.json"
mangle "$SRC/models/catalogue.json" "$T/nosay.json" "d['content'][2]['say'] = []"
refused_synth refused-no-phrasings "has no phrasings" --recipe "$SRC/models/train/recipe.json" --catalogue "$T/nosay.json"
grep -q "nosay.json:[0-9]*:" "$T/refused-no-phrasings.err" && pass refused-no-phrasings-line ||
	fail refused-no-phrasings-line "no file:line in: $(tail -1 "$T/refused-no-phrasings.err")"
mangle "$SRC/models/catalogue.json" "$T/unsayable.json" "d['content'][2]['say'] = ['...', 'traffic']"
refused_synth refused-unsayable "say\[0\]" --recipe "$SRC/models/train/recipe.json" --catalogue "$T/unsayable.json"
# train.py on a catalogue the data was not made from
mangle "$SRC/models/catalogue.json" "$T/extra.json" "d['content'].append({'id': 'new-screen', 'en': 'New', 'ko': '새', 'privacy': 'public', 'say': ['new screen']})"
if $PY "$SRC/models/train/train.py" --data "$T/data" --catalogue "$T/extra.json" --out "$T/heads2" \
	--embed-clips "$BUILD/tools/embed-clips" --models "$SRC/models/oww" --epochs 1 2> "$T/extra.err"; then
	fail refused-stale-data "train.py trained a head without data for new-screen"
else
	grep -q "new-screen" "$T/extra.err" && pass refused-stale-data || fail refused-stale-data "$(tail -1 "$T/extra.err")"
fi
# heads that name an entry the catalogue lost: the daemon runs, and says so
mangle "$SRC/models/catalogue.json" "$T/less.json" "d['content'] = [c for c in d['content'] if c['id'] != 'prices']"
if "$DAEMON" -o catalogue="$T/less.json" --audio-file "$CORPUS/$f" --no-realtime --exit-at-eof --port 0 \
	--state-dir "$T/state" -o speak=no > /dev/null 2> "$T/less.err"; then
	grep -q 'no longer in the catalogue: "prices"' "$T/less.err" && pass stale-heads-warned ||
		fail stale-heads-warned "no warning: $(tail -1 "$T/less.err")"
else
	fail stale-heads-warned "the daemon refused: $(tail -1 "$T/less.err")"
fi
