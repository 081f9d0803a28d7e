#!/usr/bin/python3
"""synth_check.py - sanity checks of a synth.py output directory.

    /usr/bin/python3 models/train/synth_check.py DIR [--wav N]

For every set: the .tsv covers the .raw exactly; per label: clip count,
length, active RMS, peak, clipped samples.  For wake clips with a pause
after the wake phrase (aug kind `pause` with gap >= 0.3 s): the energy just
before the mark (speech) against just after (the pause), which shows that
the mark sits at the end of the wake phrase.  With --wav N, writes the first
N clips of each label as DIR/check/*.wav (sox, 16 kHz mono 16-bit).
Exit 1 if a check fails."""

import os
import re
import subprocess
import sys

import numpy as np

SR = 16000


def read_tsv(path):
    with open(path, encoding='utf-8') as f:
        head = f.readline().rstrip('\n').split('\t')
        rows = [dict(zip(head, ln.rstrip('\n').split('\t'))) for ln in f]
    return head, rows


def db(x):
    return 20 * np.log10(max(x, 1e-9))


def main(argv):
    if not argv or argv[0].startswith('-'):
        sys.stderr.write(__doc__)
        return 2
    d = argv[0]
    nwav = int(argv[argv.index('--wav') + 1]) if '--wav' in argv else 0
    ok = True
    for s in ('wake', 'command', 'negative_long'):
        raw = os.path.join(d, s + '.raw')
        head, rows = read_tsv(os.path.join(d, s + '.tsv'))
        if head != ['offset', 'n', 'label', 'mark', 'voice', 'aug', 'text']:
            print('%s.tsv: bad header %s' % (s, head))
            ok = False
        x = np.memmap(raw, dtype='<i2', mode='r')
        pos = 0
        for r in rows:
            if int(r['offset']) != pos:
                print('%s.tsv: offset %s, expected %d' % (s, r['offset'], pos))
                ok = False
                break
            pos += int(r['n'])
        if pos != len(x):
            print('%s: tsv covers %d samples, raw has %d' % (s, pos, len(x)))
            ok = False
        print('== %s: %d clips, %.2f h' % (s, len(rows), len(x) / SR / 3600))
        by = {}
        for r in rows:
            by.setdefault(r['label'], []).append(r)
        for lab in sorted(by):
            rs = by[lab]
            lens = np.array([int(r['n']) for r in rs]) / SR
            peaks, rmss, clipped, bad_mark = [], [], 0, 0
            for r in rs:
                c = x[int(r['offset']):int(r['offset']) + int(r['n'])].astype(np.float64)
                peaks.append(np.abs(c).max() / 32768)
                rmss.append(np.sqrt(np.mean(c ** 2)) / 32768)
                full = np.abs(c) >= 32767   # two full-scale samples in a row: clipping
                clipped += int(np.sum(full[1:] & full[:-1]))
                m = float(r['mark'])
                if m != -1 and not 0 < m <= len(c) / SR + 1e-6:
                    bad_mark += 1
            print('  %-26s %5d clips  len %.2f-%.2f s (mean %.2f)  rms %.1f dBFS  peak %.1f..%.1f dBFS  '
                  'clipped runs %d%s' % (lab, len(rs), lens.min(), lens.max(), lens.mean(),
                                            db(np.median(rmss)), db(min(peaks)), db(max(peaks)), clipped,
                                            '  MARK OUTSIDE CLIP: %d' % bad_mark if bad_mark else ''))
            if bad_mark or clipped > len(rs):
                ok = False
            if nwav:
                od = os.path.join(d, 'check')
                os.makedirs(od, exist_ok=True)
                for i, r in enumerate(rs[:nwav]):
                    c = x[int(r['offset']):int(r['offset']) + int(r['n'])]
                    out = os.path.join(od, '%s-%s-%d.wav' % (s, re.sub(r'[^a-z0-9-]', '_', lab), i))
                    subprocess.run(['sox', '-R', '-t', 'raw', '-r', str(SR), '-e', 'signed-integer', '-b', '16',
                                    '-c', '1', '-L', '-', out], input=c.tobytes(), check=True)
        if s == 'wake':
            ok &= check_marks(x, rows)
    print('OK' if ok else 'FAILED')
    return 0 if ok else 1


def check_marks(x, rows):
    """Pause clips: speech energy before the mark, pause after it."""
    ratios = {'clean': [], 'all': []}
    for r in rows:
        m = re.match(r'pause,gap([0-9.]+)', r['aug'])
        if not m or float(m.group(1)) < 0.3 or r['label'] == 'neg':
            continue
        mk = int(round(float(r['mark']) * SR))
        c = x[int(r['offset']):int(r['offset']) + int(r['n'])].astype(np.float64)
        before = c[max(0, mk - int(0.20 * SR)):mk - int(0.02 * SR)]
        after = c[mk + int(0.04 * SR):mk + int(0.22 * SR)]
        if len(before) == 0 or len(after) == 0:
            continue
        ratio = db(np.sqrt(np.mean(before ** 2))) - db(np.sqrt(np.mean(after ** 2)))
        ratios['all'].append(ratio)
        if ';clean' in r['aug']:
            ratios['clean'].append(ratio)
    ok = True
    for k, v in ratios.items():
        if not v:
            continue
        v = np.array(v)
        print('  mark check (%s pause clips, n=%d): energy 0.02-0.2 s before the mark is %.1f dB (median; '
              '10th percentile %.1f) above 0.04-0.22 s after it' % (k, len(v), np.median(v), np.percentile(v, 10)))
        if k == 'clean' and np.percentile(v, 10) < 10:
            ok = False
    return ok


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
