"""Texts for synth.py: the catalogue, respelling for the synthesizers, and
ordinary speech cut from plain-text files (the licence texts)."""

import glob
import hashlib
import json
import os
import re

from synth_recipe import RecipeError, parse_json


def words(text):
    """Lower-case word list used for all phrase comparisons."""
    return re.findall(r"[a-z0-9']+|[\uac00-\ud7a3]+", text.lower())


def contains_phrase(text_words, phrase_words):
    n = len(phrase_words)
    if n == 0:
        return False
    for i in range(len(text_words) - n + 1):
        if text_words[i:i + n] == phrase_words:
            return True
    return False


# ---------------------------------------------------------------- catalogue

class Catalogue:
    def __init__(self, fname):
        short = os.path.basename(fname)
        try:
            with open(fname, 'rb') as f:
                self.raw = f.read()
        except OSError as e:
            raise RecipeError('%s: cannot read: %s' % (fname, e.strerror))
        cat, lines = parse_json(self.raw.decode('utf-8', 'replace'), short)

        def bad(path, msg):
            ln = None
            p = path
            while ln is None and p:
                ln = lines.get(p)
                p = p[:-1]
            raise RecipeError('%s:%s: %s' % (short, ln or 1, msg))

        if not isinstance(cat, dict):
            bad((), 'the catalogue must be a JSON object')
        wake = cat.get('wake')
        if not isinstance(wake, dict) or not isinstance(wake.get('phrase'), str) or not words(wake['phrase']):
            bad(('wake',), 'wake.phrase: missing or empty')
        self.wake = ' '.join(words(wake['phrase']))
        self.entries = []   # (id, kind, say list, ko or None)
        seen = {}
        for kind in ('content', 'controls'):
            lst = cat.get(kind)
            if not isinstance(lst, list) or not lst:
                bad((kind,), '%s: missing or not a non-empty list' % kind)
            for i, e in enumerate(lst):
                if not isinstance(e, dict) or not isinstance(e.get('id'), str) or not e['id'].strip():
                    bad((kind, i), '%s[%d]: entry without an "id"' % (kind, i))
                eid = e['id']
                if eid in seen or eid in ('none', 'neg', 'hey_seoul', 'seoul_ko'):
                    bad((kind, i, 'id'), '%s[%d]: id %r is used twice or reserved' % (kind, i, eid))
                seen[eid] = 1
                say = e.get('say')
                if not isinstance(say, list) or not [s for s in say if isinstance(s, str) and words(s)]:
                    bad((kind, i, 'say'), '%s %r has no phrasings ("say" must list at least one)' % (kind, eid))
                for j, s in enumerate(say):
                    if not isinstance(s, str) or not words(s):
                        bad((kind, i, 'say', j), '%s %r: say[%d] is empty or not a string' % (kind, eid, j))
                ko = e.get('ko') if kind == 'content' else None
                if ko is not None and (not isinstance(ko, str) or not ko.strip()):
                    bad((kind, i, 'ko'), 'content %r: "ko" must be a non-empty string' % eid)
                self.entries.append((eid, kind, [s.strip() for s in say], ko))
        car = cat.get('carriers')
        if not isinstance(car, dict):
            bad(('carriers',), 'carriers: missing')
        self.before = [s for s in car.get('before', []) if isinstance(s, str) and s.strip()]
        self.after = [s for s in car.get('after', []) if isinstance(s, str) and s.strip()]
        if not self.before or not self.after:
            bad(('carriers',), 'carriers.before and carriers.after must list phrases')
        self.details = [e['detail'] for e in cat['content']
                        if isinstance(e.get('detail'), str) and e['detail'].strip()]
        pr = cat.get('pronunciations', {})
        self.pronunciations = {k.lower(): v for k, v in pr.items()
                               if isinstance(k, str) and isinstance(v, str)} if isinstance(pr, dict) else {}


# ---------------------------------------------------------------- respelling

_ARPA_V = {'AA': 'ah', 'AE': 'a', 'AH': 'uh', 'AO': 'aw', 'AW': 'ow', 'AY': 'eye', 'EH': 'eh',
           'ER': 'er', 'EY': 'ay', 'IH': 'ih', 'IY': 'ee', 'OW': 'oh', 'OY': 'oy', 'UH': 'oo',
           'UW': 'oo'}
_ARPA_C = {'B': 'b', 'CH': 'ch', 'D': 'd', 'DH': 'th', 'F': 'f', 'G': 'g', 'HH': 'h', 'JH': 'j',
           'K': 'k', 'L': 'l', 'M': 'm', 'N': 'n', 'NG': 'ng', 'P': 'p', 'R': 'r', 'S': 's',
           'SH': 'sh', 'T': 't', 'TH': 'th', 'V': 'v', 'W': 'w', 'Y': 'y', 'Z': 'z', 'ZH': 'zh'}


def arpabet_respell(pron):
    """'D UW L EH G IH L' -> 'doo leh gihl': one written syllable per vowel."""
    ph = [re.sub(r'\d', '', p).upper() for p in pron.split()]
    if not all(p in _ARPA_V or p in _ARPA_C for p in ph) or not any(p in _ARPA_V for p in ph):
        return None
    sylls, cur, cons = [], '', []
    for p in ph:
        if p in _ARPA_C:
            cons.append(p)
            continue
        if sylls or cur:
            # a consonant cluster between vowels: the last one starts the next
            # syllable (but never NG)
            if cons and cons[-1] != 'NG':
                coda, onset = cons[:-1], cons[-1:]
            else:
                coda, onset = cons, []
            cur += ''.join(_ARPA_C[c] for c in coda)
            sylls.append(cur)
            cur = ''.join(_ARPA_C[c] for c in onset)
        else:
            cur = ''.join(_ARPA_C[c] for c in cons)
        cur += _ARPA_V[p]
        cons = []
    cur += ''.join(_ARPA_C[c] for c in cons)
    sylls.append(cur)
    return ' '.join(sylls)


class Respeller:
    """Recipe respellings first (longest first), then, for catalogue words
    with a pronunciation that the recipe neither respells nor keeps, a
    spelling derived from the ARPAbet."""

    def __init__(self, respell, keep, pronunciations):
        table = {k.lower().strip(): v for k, v in respell.items()}
        keep = {k.lower() for k in keep}
        self.derived = {}
        for w, pron in pronunciations.items():
            if w in table or w in keep:
                continue
            r = arpabet_respell(pron)
            if r:
                table[w] = r
                self.derived[w] = r
        keys = sorted(table, key=lambda k: (-len(k), k))
        self.table = table
        self.rx = re.compile(r'\b(' + '|'.join(re.escape(k) for k in keys) + r')\b', re.I) if keys else None

    def __call__(self, text):
        if self.rx is None:
            return text
        return self.rx.sub(lambda m: self.table[m.group(1).lower()], text)


# ---------------------------------------------------------------- ordinary speech

def _clean_paragraph(p):
    p = re.sub(r'<[^>]*>', ' ', p)
    p = re.sub(r'\b(?:https?://|www\.)\S+', ' ', p)
    p = re.sub(r'\S+@\S+', ' ', p)
    p = re.sub(r'^\s*(?:\d+[.)]|\([a-z0-9]{1,4}\)|[a-z][.)])\s+', ' ', p)
    p = re.sub(r'\s\((?:[a-z]|[ivx]+|\d+)\)\s', ' ', p)
    p = p.replace('"', ' ').replace('`', ' ').replace("''", ' ')
    p = re.sub(r'[\[\]{}()*_=#|~^\\/]', ' ', p)
    p = re.sub(r'\s+', ' ', p).strip()
    return p


def _uncap(s):
    """ALL-CAPS shouting (warranty disclaimers) would be spelled out: a
    sentence mostly in capitals is lower-cased; elsewhere only capitalized
    words of five letters or more (short ones are acronyms: GNU, GPL)."""
    w = re.findall(r'[A-Za-z]+', s)
    caps = [x for x in w if len(x) > 1 and x.isupper()]
    if w and len(caps) > len(w) / 2:
        return s.lower()
    return re.sub(r'\b[A-Z]{5,}\b', lambda m: m.group(0).lower(), s)


def ordinary_sentences(patterns, wlo, whi):
    """Sentences of wlo..whi words from the files (sorted, symlinks merged).
    Returns (list of sentences, list of (path, sha256))."""
    files = []
    seen = set()
    for pat in patterns:
        got = sorted(glob.glob(pat))
        if not got:
            raise RecipeError('text.ordinary_files: %r matches no file' % pat)
        for f in got:
            real = os.path.realpath(f)
            if real in seen or not os.path.isfile(real):
                continue
            seen.add(real)
            files.append(real)
    out, used, dup = [], [], set()
    for f in files:
        with open(f, 'rb') as fh:
            data = fh.read()
        used.append((f, hashlib.sha256(data).hexdigest()))
        text = data.decode('utf-8', 'replace')
        text = ''.join(c if ord(c) < 128 else ' ' for c in text)
        for para in re.split(r'\n\s*\n', text):
            para = _clean_paragraph(para)
            for s in re.split(r'(?<=[.!?;:])\s+', para):
                s = _uncap(s.strip(' ,;:-'))
                w = s.split()
                if not wlo <= len(w) <= whi:
                    continue
                letters = sum(c.isalpha() for c in s)
                if letters < 0.8 * len(s.replace(' ', '')):
                    continue
                if s.lower() in dup:
                    continue
                dup.add(s.lower())
                out.append(s)
    return out, used


def split_heldout(sentences, share):
    """Deterministic split by content hash: (train, heldout)."""
    train, held = [], []
    for s in sentences:
        h = int.from_bytes(hashlib.sha256(s.encode()).digest()[:4], 'big') / 2**32
        (held if h < share else train).append(s)
    return train, held
