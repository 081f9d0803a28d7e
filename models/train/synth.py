#!/usr/bin/python3
"""synth.py - reproducible training data for the wake-word and
speech-to-intent heads of smartofficed.

    /usr/bin/python3 models/train/synth.py --recipe models/train/recipe.json \\
        --catalogue models/catalogue.json --out DIR [--tiny] [--jobs 2]

Writes DIR/{wake,command,negative_long}.{raw,tsv} and DIR/manifest.json.
Voices: espeak-ng and flite only.  The same recipe, catalogue and
synthesizer versions give byte-identical output.  See README.md.
"""

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # keep models/train free of __pycache__
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import synth_dsp as dsp  # noqa: E402
import synth_tts as tts  # noqa: E402
from synth_dsp import SR  # noqa: E402
from synth_recipe import RecipeError, dotted, load_recipe  # noqa: E402
from synth_text import (Catalogue, Respeller, contains_phrase, ordinary_sentences,  # noqa: E402
                        split_heldout, words)

T0 = time.time()
SETS = ('wake', 'command', 'negative_long')
# fork: the render workers inherit the synthesized audio without copying it
_POOL_CTX = multiprocessing.get_context('fork')


def log(msg):
    sys.stderr.write('synth: [%6.1fs] %s\n' % (time.time() - T0, msg))
    sys.stderr.flush()


class Fatal(Exception):
    def __init__(self, msg, code):
        Exception.__init__(self, msg)
        self.code = code


# ---------------------------------------------------------------- voices

def resolve_voices(rec, lines, rname, jobs):
    """Discovers and probes the voices.  Returns a dict of lists and the
    skipped voices {label: reason}."""
    V = rec['voices']

    def where(key, i=None):
        p = ('voices', key) + ((i,) if i is not None else ())
        return '%s:%d: %s' % (rname, lines.get(p, lines.get(('voices', key), 1)), dotted(p))

    en = tts.list_espeak('en')
    ko = tts.list_espeak('ko')
    variants = tts.list_variants()
    flite = tts.list_flite()
    if not en:
        raise Fatal('espeak-ng lists no English voice (is espeak-ng installed?)', 2)

    def pick(key, have, what):
        want = V[key]
        names = [h for h in have]
        if want == 'all':
            out = []
            for h in names:
                if h not in out:
                    out.append(h)
            return out, False
        out = []
        low = {h.lower(): h for h in names}
        for i, w in enumerate(want):
            if w.lower() not in low:
                raise Fatal('%s: %s has no voice %r (it has: %s)' % (where(key, i), what, w, ' '.join(names)), 2)
            out.append(low[w.lower()])
        return out, True

    en_names, en_explicit = pick('espeak_en', [n for n, _, _ in en], 'espeak-ng (--voices=en)')
    ko_names, ko_explicit = pick('espeak_ko', [n for n, _, _ in ko], 'espeak-ng (--voices=ko)')
    var_names, var_explicit = pick('espeak_variants', variants, 'espeak-ng (--voices=variant)')
    fl_names, fl_explicit = pick('flite', flite, 'flite (-lv)')

    jobsl = [('espeak', n, 'hello there') for n in en_names]
    jobsl += [('espeak', n, '안녕하세요') for n in ko_names]
    jobsl += [('flite', n, 'hello there') for n in fl_names]
    vbase = 'en-us' if 'en-us' in en_names else en_names[0]
    jobsl += [('espeak', vbase + '+' + v, 'hello there') for v in var_names]
    with _POOL_CTX.Pool(jobs) as pool:
        res = dict(pool.map(tts.worker_probe, jobsl))
    skipped = {}

    def keep(names, explicit, engine, text, fmt, key):
        out = []
        for n in names:
            why = res[(engine, fmt % n, text)]
            if why is None:
                out.append(n)
                continue
            label = tts.voice_label(engine, fmt % n)
            if explicit:
                raise Fatal('%s: voice %s does not synthesize: %s' % (where(key, names.index(n)), label, why), 2)
            skipped[label] = why.split(': ', 1)[-1][:160]
        return out

    out = {
        'espeak_en': keep(en_names, en_explicit, 'espeak', 'hello there', '%s', 'espeak_en'),
        'espeak_ko': keep(ko_names, ko_explicit, 'espeak', '안녕하세요', '%s', 'espeak_ko'),
        'flite': keep(fl_names, fl_explicit, 'flite', 'hello there', '%s', 'flite'),
        'variants': keep(var_names, var_explicit, 'espeak', 'hello there', vbase + '+%s', 'espeak_variants'),
    }
    if not out['espeak_en'] and not out['flite']:
        raise Fatal('no English voice synthesizes', 2)
    return out, skipped


# ---------------------------------------------------------------- planning

def U(rng, r):
    return float(rng.uniform(r[0], r[1]))


def pick(rng, lst):
    return lst[int(rng.integers(len(lst)))]


def pick_w(rng, weights):
    names = [k for k in weights if not k.startswith('_')]
    w = np.array([weights[k] for k in names], dtype=float)
    return names[int(rng.choice(len(names), p=w / w.sum()))]


class Planner:
    def __init__(self, rec, cat, voices, texts, respell):
        self.R = rec
        self.V = rec['voices']
        self.T = rec['text']
        self.A = rec['augment']
        self.cat = cat
        self.voices = voices
        self.texts = texts
        self.respell = respell
        self.specs = []
        self.spec_idx = {}
        self.sets = {s: [] for s in SETS}
        self.streams = []
        self.none_dropped = 0

    # personas: (engine, voice, rate, pitch, warp)
    def _warp(self, rng):
        return round(U(rng, self.V['warp']), 3) if rng.random() < self.V['warp_share'] else 1.0

    def _espeak_voice(self, rng, bases):
        b = pick(rng, bases)
        if self.voices['variants'] and rng.random() >= self.V['espeak_plain_share']:
            return b + '+' + pick(rng, self.voices['variants'])
        return b

    def persona_en(self, rng):
        if self.voices['flite'] and (not self.voices['espeak_en'] or rng.random() < self.V['flite_share']):
            return ('flite', pick(rng, self.voices['flite']), round(U(rng, self.V['flite_tempo']), 3),
                    round(U(rng, self.V['flite_pitch']), 3), self._warp(rng))
        v = self._espeak_voice(rng, self.voices['espeak_en'])
        return ('espeak', v, int(rng.integers(self.V['espeak_rate'][0], self.V['espeak_rate'][1] + 1)),
                int(rng.integers(self.V['espeak_pitch'][0], self.V['espeak_pitch'][1] + 1)), self._warp(rng))

    def persona_ko(self, rng):
        v = self._espeak_voice(rng, self.voices['espeak_ko'])
        return ('espeak', v, int(rng.integers(self.V['espeak_rate'][0], self.V['espeak_rate'][1] + 1)),
                int(rng.integers(self.V['espeak_pitch'][0], self.V['espeak_pitch'][1] + 1)), self._warp(rng))

    def utt(self, persona, text, korean=False, max_seconds=None):
        engine, voice, rate, pitch, warp = persona
        t = text if korean else self.respell(text)
        spec = (engine, voice, t, rate, pitch, warp)
        if spec not in self.spec_idx:
            self.spec_idx[spec] = len(self.specs)
            self.specs.append((spec, max_seconds or self.V['max_seconds'], text))
        return self.spec_idx[spec]

    @staticmethod
    def est_seconds(persona, text):
        engine, _, rate, _, _ = persona
        hangul = len(re.findall(r'[\uac00-\ud7a3]', text))
        w = len(words(text)) + 0.3 * hangul
        if engine == 'espeak':
            return 0.3 + w * 60.0 / rate * 1.05
        return 0.3 + w * 0.36 / rate

    # texts
    def cmd_en(self, rng, entry=None):
        e = entry or pick(rng, self.cat.entries)
        p = pick(rng, e[2])
        f = pick_w(rng, self.T['command_forms_en'])
        if f in ('before', 'both'):
            p = pick(rng, self.cat.before) + ' ' + p
        if f in ('after', 'both'):
            p = p + ' ' + pick(rng, self.cat.after)
        return p

    def ko_entries(self):
        return [e for e in self.cat.entries if e[3]]

    def cmd_ko(self, rng, entry=None):
        e = entry or pick(rng, self.ko_entries())
        return pick(rng, self.T['command_forms_ko']).replace('{}', e[3])

    def snippet(self, rng, wr, pool):
        s = pick(rng, pool).split()
        k = int(rng.integers(wr[0], wr[1] + 1))
        if len(s) > k:
            a = int(rng.integers(len(s) - k + 1))
            s = s[a:a + k]
        return ' '.join(s).strip(' ,;:.')

    def clip(self, set_name, label, persona_labels, segs, text, kind, lead, aug,
             mark=('speech',), after=None, tail=None, clamp=None, tts='mixed'):
        self.sets[set_name].append({
            'label': label, 'voice': persona_labels, 'segs': segs, 'text': text, 'kind': kind,
            'lead': lead, 'aug': aug, 'mark': mark, 'after': after, 'tail': tail, 'clamp': clamp,
            'tts': tts})

    # ------------------------------------------------------------ sets
    def plan_streams(self, rng):
        A = self.A
        train = self.texts['train']
        ko_pool = self.T['office_talk_ko'] + self.T['hard_negatives_ko']
        for i in range(A['babble_streams']):
            want = int(rng.integers(A['babble_stream_words'][0], A['babble_stream_words'][1] + 1))
            if self.voices['espeak_ko'] and rng.random() < A['babble_ko_share']:
                p = self.persona_ko(rng)
                parts, w = [], 0
                while w < want // 2:
                    s = pick(rng, ko_pool)
                    parts.append(s if s[-1] in '.?!' else s + '.')
                    w += len(s.split())
                self.streams.append(self.utt(p, ' '.join(parts), korean=True, max_seconds=60.0))
            else:
                p = self.persona_en(rng)
                j = int(rng.integers(len(train)))
                parts, w = [], 0
                while w < want:
                    s = train[j % len(train)]
                    parts.append(s if s[-1] in '.?!' else s + '.')
                    w += len(s.split())
                    j += 1
                self.streams.append(self.utt(p, ' '.join(parts), max_seconds=60.0))

    def plan_wake(self, rng):
        W, A, T, cat = self.R['wake'], self.A, self.T, self.cat
        plab = lambda p: tts.voice_label(p[0], p[1])
        tl = lambda p: tts.tts_label((p[0], p[1], '', p[2], p[3], p[4]))
        reuse = W['reuse']

        def positives(label, N, kinds, korean):
            done = 0
            kw = {k: v for k, v in kinds.items() if not k.startswith('_')}
            rom_w = kw.pop('romanized', 0.0)
            tot = sum(kw.values()) + rom_w
            while done < N:
                romanized = korean and rng.random() < rom_w / tot
                if korean and not romanized and not self.voices['espeak_ko']:
                    romanized = True
                if korean and not romanized:
                    p = self.persona_ko(rng)
                    wake_plain = T['wake_ko']
                else:
                    p = self.persona_en(rng)
                    wake_plain = pick(rng, T['wake_romanized']) if romanized else cat.wake
                wake_text = wake_plain + pick(rng, T['wake_punctuation'])
                ko = korean and not romanized
                uw = self.utt(p, wake_text, korean=ko)
                memo = {}   # one command, filler and joint sentence per rendition

                def once(key, make):
                    if key not in memo:
                        memo[key] = make()
                    return memo[key]
                cmd = (lambda: self.cmd_ko(rng)) if ko else (lambda: self.cmd_en(rng))
                for _ in range(min(reuse, N - done)):
                    done += 1
                    kind = 'romanized' if romanized else pick_w(rng, kw)
                    lead, after = U(rng, W['lead']), U(rng, W['after_mark'])
                    aug = dsp.draw_aug(rng, A)
                    flags = ',romanized' if romanized else ''
                    if kind == 'romanized':
                        kind = 'alone' if rng.random() < 0.5 else 'command'
                    if kind == 'alone':
                        segs, mark, text = [(uw, 0.0, 0.0)], ('end', 0), wake_text
                    elif kind in ('command', 'pause'):
                        c = once('cmd', cmd)
                        gap = U(rng, W['gap_join'] if kind == 'command' else W['gap_pause'])
                        segs = [(uw, 0.0, 0.0), (self.utt(p, c, korean=ko), gap, 0.0)]
                        mark, text = ('end', 0), wake_text + ' ' + c
                        kind += ',gap%.2f' % gap
                    elif kind == 'filler':
                        f = once('filler', lambda: pick(rng, T['fillers_ko'] if ko else T['fillers_en']))
                        gf = U(rng, W['gap_filler'])
                        segs = [(self.utt(p, f, korean=ko), 0.0, U(rng, A['filler_gain_db'])), (uw, gf, 0.0)]
                        text = f + ' ' + wake_text
                        kind += ',gap%.2f' % gf
                        if rng.random() < 0.5:
                            c = once('cmd', cmd)
                            g = U(rng, W['gap_join'])
                            segs.append((self.utt(p, c, korean=ko), g, 0.0))
                            text += ' ' + c
                            kind += ',command'
                        mark = ('end', 1)
                    else:  # joint: one sentence; the wake end is estimated
                        jt = once('joint', lambda: wake_plain + (', ' if rng.random() < 0.3 else ' ') + cmd())
                        ua = self.utt(p, wake_plain, korean=ko)
                        segs, mark, text = [(self.utt(p, jt, korean=ko), 0.0, 0.0)], ('joint', 0, ua), jt
                    self.clip('wake', label, plab(p), segs, text, kind + flags, lead, aug,
                              mark=mark, after=after, tts=tl(p))

        positives('hey_seoul', W['hey_seoul'], W['hey_seoul_kinds'], False)
        positives('seoul_ko', W['seoul_ko'], W['seoul_ko_kinds'], True)

        # hard negatives
        office = T['office_talk'] + cat.details
        done, N = 0, W['neg']
        nk = dict(W['neg_kinds'])
        if not self.voices['espeak_ko']:
            nk['hard_ko'] = nk['command_ko'] = 0.0
        while done < N:
            kind = pick_w(rng, nk)
            ko = kind in ('hard_ko', 'command_ko')
            p = self.persona_ko(rng) if ko else self.persona_en(rng)
            mark = ('end', 0)
            if kind == 'hard_en':
                t = pick(rng, T['hard_negatives_en'])
                segs = [(self.utt(p, t), 0.0, 0.0)]
            elif kind == 'hard_en_command':
                h, c = pick(rng, T['hard_negatives_en']), self.cmd_en(rng)
                g = U(rng, W['gap_join'] if rng.random() < 0.6 else W['gap_pause'])
                segs, t = [(self.utt(p, h), 0.0, 0.0), (self.utt(p, c), g, 0.0)], h + ' ' + c
            elif kind == 'hard_ko':
                t = pick(rng, T['hard_negatives_ko'])
                segs = [(self.utt(p, t, korean=True), 0.0, 0.0)]
            elif kind == 'command':
                t = self.cmd_en(rng)
                segs = [(self.utt(p, t), 0.0, 0.0)]
            elif kind == 'command_ko':
                t = self.cmd_ko(rng)
                segs = [(self.utt(p, t, korean=True), 0.0, 0.0)]
            elif kind == 'speech':
                t = self.snippet(rng, W['speech_words'], self.texts['train'] if rng.random() < 0.5 else office)
                segs = [(self.utt(p, t), 0.0, 0.0)]
            else:  # filler_command
                f, c = pick(rng, T['fillers_en']), self.cmd_en(rng)
                segs = [(self.utt(p, f), 0.0, U(rng, self.A['filler_gain_db'])), (self.utt(p, c), U(rng, W['gap_filler']), 0.0)]
                t, mark = f + ' ' + c, ('end', 1)
            for _ in range(min(reuse, N - done)):
                done += 1
                self.clip('wake', 'neg', plab(p), segs, t, kind, U(rng, W['lead']),
                          dsp.draw_aug(rng, A), mark=mark, after=U(rng, W['after_mark']), tts=tl(p))

    def plan_command(self, rng):
        C, A, T, cat = self.R['command'], self.A, self.T, self.cat
        plab = lambda p: tts.voice_label(p[0], p[1])
        tl = lambda p: tts.tts_label((p[0], p[1], '', p[2], p[3], p[4]))
        reuse = C['reuse']

        def group(label, N, make):
            done = 0
            while done < N:
                p, t, ko, kind = make()
                u = self.utt(p, t, korean=ko)
                for _ in range(min(reuse, N - done)):
                    done += 1
                    self.clip('command', label, plab(p), [(u, 0.0, 0.0)], t, kind,
                              U(rng, C['lead']), dsp.draw_aug(rng, A), tail=U(rng, C['tail']), tts=tl(p))

        for e in cat.entries:
            group(e[0], C['per_label_en'], lambda: (self.persona_en(rng), self.cmd_en(rng, e), False, 'en'))
            if e[3] and self.voices['espeak_ko']:
                group(e[0], C['per_label_ko'], lambda: (self.persona_ko(rng), self.cmd_ko(rng, e), True, 'ko'))

        say_words = [words(s) for e in cat.entries for s in e[2]]
        office = T['office_talk'] + cat.details
        nk = dict(C['none_kinds'])
        if not self.voices['espeak_ko']:
            nk['hard_ko'] = 0.0

        def none():
            for _ in range(100):
                kind = pick_w(rng, nk)
                if kind == 'hard_ko':
                    return self.persona_ko(rng), pick(rng, T['hard_negatives_ko']), True, 'none,' + kind
                if kind == 'office':
                    t = pick(rng, office)
                elif kind == 'hard':
                    t = pick(rng, T['hard_negatives_en'])
                else:
                    t = self.snippet(rng, C['snippet_words'], self.texts['train'])
                tw = words(t)
                if tw and not any(contains_phrase(tw, s) for s in say_words):
                    return self.persona_en(rng), t, False, 'none,' + kind
                self.none_dropped += 1
            raise Fatal('cannot find "none" texts that contain no command phrasing', 2)

        group('none', C['none'], none)

    def plan_long(self, rng):
        L, A, T, cat = self.R['negative_long'], self.A, self.T, self.cat
        held = self.texts['heldout'] or self.texts['train']
        lo, hi = L['clip_seconds']
        plab = lambda p: tts.voice_label(p[0], p[1])

        def add(segs, ps, texts, kind, aug):
            voices = []
            for p in ps:
                if plab(p) not in voices:
                    voices.append(plab(p))
            self.clip('negative_long', 'neg', ','.join(voices), segs, ' | '.join(texts), kind,
                      U(rng, L['lead']), aug, mark=None, tail=U(rng, L['lead']), clamp=(lo, hi))

        def sentences_from(j, want_s, p):
            parts, est = [], 0.0
            while est < want_s:
                s = held[j % len(held)]
                parts.append(s if s[-1] in '.?!' else s + '.')
                est += self.est_seconds(p, s) + 0.25
                j += 1
            return parts, j

        for mode, count in (('clean', L['read_clean']), ('noise', L['read_noise']), ('babble', L['read_babble'])):
            for _ in range(count):
                target = U(rng, (lo, hi * 0.85))
                j = int(rng.integers(len(held)))
                aug = dsp.draw_aug(rng, A, mode=mode)
                if rng.random() >= L['read_multi_share']:
                    p = self.persona_en(rng)
                    parts, j = sentences_from(j, target, p)
                    add([(self.utt(p, ' '.join(parts), max_seconds=hi), 0.0, 0.0)], [p], [' '.join(parts)],
                        'read1,' + mode, aug)
                else:
                    ps = [self.persona_en(rng) for _ in range(int(rng.integers(2, 4)))]
                    segs, texts, used, est, k = [], [], [], 0.0, 0
                    while est < target:
                        p = ps[k % len(ps)]
                        parts, j = sentences_from(j, U(rng, (2.0, 8.0)), p)
                        t = ' '.join(parts)
                        g = U(rng, L['read_gap']) if segs else 0.0
                        segs.append((self.utt(p, t, max_seconds=hi), g, 0.0))
                        texts.append(t)
                        used.append(p)
                        est += self.est_seconds(p, t) + g
                        k += 1
                    add(segs, used, texts, 'readN,' + mode, aug)

        office = T['office_talk'] + cat.details
        for _ in range(L['short_after_silence']):
            target = U(rng, (lo, hi * 0.7))
            segs, texts, used, est = [], [], [], 0.0
            while est < target:
                r = rng.random()
                if r < 0.35:
                    p, t, ko = self.persona_en(rng), pick(rng, T['hard_negatives_en']), False
                elif r < 0.5 and self.voices['espeak_ko']:
                    p, t, ko = self.persona_ko(rng), pick(rng, T['hard_negatives_ko'] + T['fillers_ko']), True
                elif r < 0.65:
                    p, t, ko = self.persona_en(rng), pick(rng, T['fillers_en']), False
                else:
                    p, t, ko = self.persona_en(rng), self.snippet(rng, (2, 10), office), False
                g = U(rng, L['short_gap'])
                segs.append((self.utt(p, t, korean=ko), g, 0.0))
                texts.append(t)
                used.append(p)
                est += self.est_seconds(p, t) + g
            add(segs, used, texts, 'short', dsp.draw_aug(rng, A))

        # every command phrasing without the wake: round 0 bare, later rounds
        # with carriers
        items = []
        for r in range(L['command_rounds']):
            for e in cat.entries:
                for s in e[2]:
                    if r == 0:
                        items.append((s, False))
                    else:
                        t = s
                        if rng.random() < 0.7:
                            t = pick(rng, cat.before) + ' ' + t
                        if rng.random() < 0.4 or t == s:
                            t = t + ' ' + pick(rng, cat.after)
                        items.append((t, False))
                if e[3] and self.voices['espeak_ko']:
                    items.append((e[3] if r == 0 else pick(rng, T['command_forms_ko']).replace('{}', e[3]), True))
        order = rng.permutation(len(items))
        segs, texts, used, est = [], [], [], 0.0
        target = U(rng, (lo, hi * 0.7))
        for n, i in enumerate(order):
            t, ko = items[int(i)]
            p = self.persona_ko(rng) if ko else self.persona_en(rng)
            g = U(rng, L['command_gap']) if segs else 0.0
            segs.append((self.utt(p, t, korean=ko), g, 0.0))
            texts.append(t)
            used.append(p)
            est += self.est_seconds(p, t) + g
            if est >= target or n == len(order) - 1:
                add(segs, used, texts, 'commands', dsp.draw_aug(rng, A))
                segs, texts, used, est = [], [], [], 0.0
                target = U(rng, (lo, hi * 0.7))


# ---------------------------------------------------------------- layout

def layout(c, lens, phones, specs):
    """Sample positions of a planned clip: fills c['n'], c['place'], c['mark_s'],
    and the mark flag."""
    pos = int(round(c['lead'] * SR))
    starts = []
    for uid, gap, g in c['segs']:
        pos += int(round(gap * SR))
        starts.append(pos)
        pos += lens[uid]
    speech_end = pos
    m = c['mark']
    flag = ''
    if m is None:
        mark = None
    elif m[0] == 'speech':
        mark = speech_end
    elif m[0] == 'end':
        k = m[1]
        mark = starts[k] + lens[c['segs'][k][0]]
    else:  # joint
        k, ua = m[1], m[2]
        uj = c['segs'][k][0]
        mark = None
        pa, pj = phones[ua], phones[uj]
        if pa is not None and pj is not None:
            na = [p for p, _ in pa if p != 'pau']
            nj = [(p, t) for p, t in pj if p != 'pau']
            if na and [p for p, _ in nj[:len(na)]] == na:
                mark = starts[k] + min(max(nj[len(na) - 1][1], 0), lens[uj])
                flag = 'mark=psdur'
        if mark is None:
            mark = starts[k] + min(lens[ua], lens[uj])
            flag = 'mark=est'
    if c['after'] is not None:
        n = mark + int(round(c['after'] * SR))
    else:
        n = speech_end + int(round(c['tail'] * SR))
    if c['clamp']:
        n = min(max(n, int(c['clamp'][0] * SR)), int(c['clamp'][1] * SR))
    place = []
    for (uid, gap, g), s in zip(c['segs'], starts):
        if s < n:
            place.append((uid, s, min(lens[uid], n - s), g))
    c['n'] = n
    c['place'] = place
    c['mark_n'] = -1 if mark is None else mark
    c['mark_flag'] = flag


# ---------------------------------------------------------------- render

_SOURCES = None


def worker_render(task):
    path, items = task
    fd = os.open(path, os.O_WRONLY)
    try:
        for off, clip, seed in items:
            os.pwrite(fd, dsp.render(_SOURCES, clip, seed).astype('<i2').tobytes(), 2 * off)
    finally:
        os.close(fd)
    return len(items)


def sha256_file(p):
    with open(p, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def tsv_safe(s):
    return re.sub(r'\s+', ' ', s).strip()


def main(argv):
    ap = argparse.ArgumentParser(description='Synthesize training data for the smartofficed speech heads.')
    ap.add_argument('--recipe', required=True)
    ap.add_argument('--catalogue', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--tiny', action='store_true', help='the small CI variant (the recipe\'s "tiny" overrides)')
    ap.add_argument('--jobs', type=int, default=2)
    a = ap.parse_args(argv)
    if a.jobs < 1:
        ap.error('--jobs must be >= 1')
    for tool in ('espeak-ng', 'flite'):
        if shutil.which(tool) is None:
            raise Fatal('%s is not installed (Debian package %s)' % (tool, tool), 2)

    rname = os.path.basename(a.recipe)
    rec, lines, recipe_raw = load_recipe(a.recipe, a.tiny)
    cat = Catalogue(a.catalogue)
    T = rec['text']

    def rerr(path, msg):
        return Fatal('%s:%d: %s: %s' % (rname, lines.get(path, 1), dotted(path), msg), 2)

    # text checks
    wake_w = words(cat.wake)
    for key in ('hard_negatives_en', 'office_talk', 'fillers_en'):
        for i, s in enumerate(T[key]):
            if contains_phrase(words(s), wake_w):
                raise rerr(('text', key, i), 'contains the wake phrase %r' % cat.wake)
    for key in ('hard_negatives_ko', 'office_talk_ko', 'fillers_ko'):
        for i, s in enumerate(T[key]):
            if T['wake_ko'] in s:
                raise rerr(('text', key, i), 'contains the Korean wake phrase %r' % T['wake_ko'])
    for i, s in enumerate(T['command_forms_ko']):
        if s.count('{}') != 1:
            raise rerr(('text', 'command_forms_ko', i), 'must contain "{}" exactly once (where the name goes)')
    for i, s in enumerate(T['wake_punctuation']):
        if not re.fullmatch(r'[.,!?;: ]{0,3}', s):
            raise rerr(('text', 'wake_punctuation', i), 'must be up to three punctuation marks, not %r' % s)
    for k in T['respell']:
        if not words(k):
            raise rerr(('text', 'respell', k), 'a respelled word must contain letters')
    try:
        sents, text_files = ordinary_sentences(T['ordinary_files'], *T['ordinary_words'])
    except RecipeError as e:
        raise rerr(('text', 'ordinary_files'), str(e).split(': ', 1)[-1])
    sents = [s for s in sents if not contains_phrase(words(s), wake_w)]
    if len(sents) < 20:
        raise rerr(('text', 'ordinary_files'), 'only %d usable sentences (need 20)' % len(sents))
    train, held = split_heldout(sents, T['heldout_share'])
    respell = Respeller(T['respell'], T['keep_spelling'], cat.pronunciations)
    log('recipe %s%s, catalogue %s: %d entries (%d with Korean names); %d sentences of ordinary speech (%d held out for negative_long)'
        % (rname, ' (tiny)' if a.tiny else '', os.path.basename(a.catalogue), len(cat.entries),
           sum(1 for e in cat.entries if e[3]), len(sents), len(held)))
    if respell.derived:
        log('respelled from the catalogue pronunciations: %s' % ', '.join('%s -> %s' % kv for kv in sorted(respell.derived.items())))

    # voices
    tts.TMP_ROOT = tempfile.mkdtemp(prefix='synth-')
    try:
        return run(a, rec, lines, rname, recipe_raw, cat, train, held, text_files, respell)
    finally:
        shutil.rmtree(tts.TMP_ROOT, ignore_errors=True)


def run(a, rec, lines, rname, recipe_raw, cat, train, held, text_files, respell):
    global _SOURCES
    voices, skipped = resolve_voices(rec, lines, rname, a.jobs)
    log('voices: %d espeak-ng English, %d Korean, %d variants, %d flite; skipped %d: %s'
        % (len(voices['espeak_en']), len(voices['espeak_ko']), len(voices['variants']), len(voices['flite']),
           len(skipped), ', '.join(sorted(skipped)) or '-'))
    if not voices['espeak_ko']:
        log('warning: no Korean voice: no seoul_ko clips from the ko voice, romanized only')

    seed = rec['seed']
    P = Planner(rec, cat, voices, {'train': train, 'heldout': held}, respell)
    P.plan_streams(np.random.default_rng([seed, 20]))
    P.plan_wake(np.random.default_rng([seed, 10]))
    P.plan_command(np.random.default_rng([seed, 11]))
    P.plan_long(np.random.default_rng([seed, 12]))
    log('planned %s clips; %d distinct utterances to synthesize (%d babble streams)'
        % (' + '.join('%d %s' % (len(P.sets[s]), s) for s in SETS), len(P.specs), len(P.streams)))

    # synthesis
    N = len(P.specs)
    utts = [None] * N
    arms = [0.0] * N
    phones = [None] * N
    # longest first (flite's clustergen voices are the slowest), so that the
    # pool does not end on a few long texts; the order does not change the output
    cost = lambda s: len(s[2]) * (3 if s[0] == 'flite' and s[1] in ('awb', 'rms', 'slt') else 1)
    jobs = sorted(((i, spec, maxs) for i, (spec, maxs, _) in enumerate(P.specs)),
                  key=lambda j: (-cost(j[1]), j[0]))
    step = max(1, N // 10)
    done, audio = 0, 0
    with _POOL_CTX.Pool(a.jobs) as pool:
        for i, q, r, ph, err in pool.imap_unordered(tts.worker_synth, jobs, chunksize=8):
            if err:
                pool.terminate()
                spec, _, orig = P.specs[i]
                if orig != spec[2]:
                    err += ' (catalogue/recipe text %r, respelled for the synthesizer)' % orig
                raise Fatal('synthesis failed: %s' % err, 1)
            utts[i] = np.frombuffer(q, dtype=np.int16)
            arms[i], phones[i] = r, ph
            done += 1
            audio += len(utts[i])
            if done % step == 0 or done == N:
                log('synthesized %d/%d utterances (%.1f min of speech)' % (done, N, audio / SR / 60))
    lens = [len(u) for u in utts]

    streams = []
    for uid in P.streams:
        s = utts[uid].astype(np.float32) / 32768.0
        streams.append(s / max(arms[uid], 1e-6))
    _SOURCES = dsp.Sources(utts, arms, streams, dsp.noise_bank(seed))

    os.makedirs(a.out, exist_ok=True)
    manifest_sets = {}
    used_voices = set()
    for set_no, sname in enumerate(SETS):
        clips = P.sets[sname]
        off = 0
        for c in clips:
            layout(c, lens, phones, P.specs)
            c['offset'] = off
            off += c['n']
        path = os.path.join(a.out, sname + '.raw')
        with open(path, 'wb') as f:
            f.truncate(off * 2)
        chunk = 48 if sname != 'negative_long' else 2
        tasks = []
        for s in range(0, len(clips), chunk):
            items = []
            for i in range(s, min(s + chunk, len(clips))):
                c = clips[i]
                items.append((c['offset'], {'n': c['n'], 'place': c['place'], 'aug': c['aug']}, [seed, 100 + set_no, i]))
            tasks.append((path, items))
        done, step = 0, max(1, len(clips) // 5)
        nxt = step
        with _POOL_CTX.Pool(a.jobs) as pool:
            for k in pool.imap_unordered(worker_render, tasks):
                done += k
                if done >= nxt or done == len(clips):
                    log('rendered %s: %d/%d clips' % (sname, done, len(clips)))
                    nxt += step
        labels, label_s = {}, {}
        with open(os.path.join(a.out, sname + '.tsv'), 'w', encoding='utf-8', newline='\n') as f:
            f.write('offset\tn\tlabel\tmark\tvoice\taug\ttext\n')
            for c in clips:
                aug = '%s%s;%s;%s' % (c['kind'], ',' + c['mark_flag'] if c['mark_flag'] else '', c['tts'],
                                      dsp.aug_label(c['aug']))
                mark = '-1' if c['mark_n'] < 0 else '%.4f' % (c['mark_n'] / SR)
                f.write('%d\t%d\t%s\t%s\t%s\t%s\t%s\n' % (c['offset'], c['n'], c['label'], mark, c['voice'],
                                                          tsv_safe(aug), tsv_safe(c['text'])))
                labels[c['label']] = labels.get(c['label'], 0) + 1
                label_s[c['label']] = label_s.get(c['label'], 0) + c['n'] / SR
                for v in c['voice'].split(','):
                    used_voices.add(v)
        manifest_sets[sname] = {
            'clips': len(clips), 'samples': off, 'seconds': round(off / SR, 3), 'hours': round(off / SR / 3600, 3),
            'bytes': off * 2, 'labels': dict(sorted(labels.items())),
            'label_seconds': {k: round(v, 1) for k, v in sorted(label_s.items())},
            'seed': [seed, 100 + set_no]}
        log('wrote %s: %d clips, %.2f h, %.1f MB' % (sname, len(clips), off / SR / 3600, off * 2 / 1e6))

    babble_voices = sorted({tts.voice_label(P.specs[u][0][0], P.specs[u][0][1]) for u in P.streams})
    code = hashlib.sha256()
    for fn in sorted(os.listdir(HERE)):
        if fn.startswith('synth') and fn.endswith('.py'):
            code.update(fn.encode() + b'\0' + open(os.path.join(HERE, fn), 'rb').read())
    manifest = {
        'format': {'sample_rate': SR, 'channels': 1, 'sample': 'int16le',
                   'tsv_columns': ['offset', 'n', 'label', 'mark', 'voice', 'aug', 'text']},
        'recipe': os.path.basename(a.recipe), 'recipe_sha256': hashlib.sha256(recipe_raw).hexdigest(),
        'catalogue_sha256': hashlib.sha256(cat.raw).hexdigest(), 'code_sha256': code.hexdigest(),
        'tiny': bool(a.tiny),
        'seeds': {'recipe': seed, 'babble_streams': [seed, 20], 'plan': {'wake': [seed, 10], 'command': [seed, 11],
                  'negative_long': [seed, 12]}, 'render': 'numpy SeedSequence [seed, 100 + set number, clip index]',
                  'noise_bank': [seed, 77]},
        'sets': manifest_sets,
        'total_hours': round(sum(s['seconds'] for s in manifest_sets.values()) / 3600, 3),
        'distinct_utterances': len(P.specs),
        'synthesized_speech_hours': round(sum(lens) / SR / 3600, 3),
        'voices': {
            'espeak_en': voices['espeak_en'], 'espeak_ko': voices['espeak_ko'],
            'espeak_variants': voices['variants'], 'flite': voices['flite'],
            'skipped': skipped,
            'used_for_targets': sorted(used_voices), 'used_for_babble': babble_voices,
        },
        'text': {'files': [{'path': p, 'sha256': h} for p, h in text_files],
                 'sentences_train': len(train), 'sentences_heldout': len(held),
                 'none_texts_dropped_for_containing_a_command': P.none_dropped,
                 'respelled_from_pronunciations': respell.derived},
        'tools': tool_versions(),
    }
    with open(os.path.join(a.out, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False, sort_keys=True)
        f.write('\n')
    log('done: %.2f h of audio in %s' % (manifest['total_hours'], a.out))
    return 0


def tool_versions():
    out = {}
    r = tts._run(['espeak-ng', '--version'])
    out['espeak-ng'] = r.stdout.decode('utf-8', 'replace').split('Data at')[0].strip()
    r = tts._run(['flite', '--version'])
    out['flite'] = r.stdout.decode('utf-8', 'replace').strip().splitlines()[-1].strip() if r.stdout else ''
    out['numpy'] = np.__version__
    return out


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv[1:]))
    except RecipeError as e:
        sys.stderr.write('synth: %s\n' % e)
        sys.exit(2)
    except Fatal as e:
        sys.stderr.write('synth: %s\n' % e)
        sys.exit(e.code)
    except KeyboardInterrupt:
        sys.exit(130)
