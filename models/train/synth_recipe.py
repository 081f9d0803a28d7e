"""Recipe loading for synth.py: a JSON parser that remembers line numbers,
and a small schema so that every error reads `recipe.json:LINE: key: what`.
"""

import json
import json.decoder
import re


class RecipeError(Exception):
    """An error in an input file; str() is the full `file:line: message`."""


_NUMBER = re.compile(r'(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?')
_WS = re.compile(r'[ \t\n\r]*')


class _Parser:
    """JSON with positions: returns the value and {path: line}."""

    def __init__(self, text, fname):
        self.s = text
        self.f = fname
        self.lines = {}

    def line_at(self, i):
        return self.s.count('\n', 0, i) + 1

    def err(self, i, msg):
        raise RecipeError('%s:%d: %s' % (self.f, self.line_at(i), msg))

    def ws(self, i):
        return _WS.match(self.s, i).end()

    def value(self, i, path):
        i = self.ws(i)
        if i >= len(self.s):
            self.err(i, 'unexpected end of file')
        self.lines[path] = self.line_at(i)
        c = self.s[i]
        if c == '{':
            return self.obj(i + 1, path)
        if c == '[':
            return self.arr(i + 1, path)
        if c == '"':
            try:
                return json.decoder.scanstring(self.s, i + 1)
            except json.JSONDecodeError as e:
                self.err(e.pos, 'bad string: %s' % e.msg)
        for lit, v in (('true', True), ('false', False), ('null', None)):
            if self.s.startswith(lit, i):
                return v, i + len(lit)
        m = _NUMBER.match(self.s, i)
        if m and m.end() > i:
            if m.group(2) or m.group(3):
                return float(m.group(0)), m.end()
            return int(m.group(0)), m.end()
        self.err(i, 'expected a JSON value, found %r' % self.s[i:i + 12])

    def obj(self, i, path):
        out = {}
        i = self.ws(i)
        if self.s.startswith('}', i):
            return out, i + 1
        while True:
            i = self.ws(i)
            if not self.s.startswith('"', i):
                self.err(i, 'expected a key in double quotes')
            k, i = json.decoder.scanstring(self.s, i + 1)
            if k in out:
                self.err(i, '%s: duplicate key' % dotted(path + (k,)))
            kline = self.line_at(i)
            i = self.ws(i)
            if not self.s.startswith(':', i):
                self.err(i, "expected ':' after key %r" % k)
            v, i = self.value(i + 1, path + (k,))
            self.lines[path + (k,)] = kline
            out[k] = v
            i = self.ws(i)
            if self.s.startswith(',', i):
                i += 1
                continue
            if self.s.startswith('}', i):
                return out, i + 1
            self.err(i, "expected ',' or '}' (a missing comma at the end of the line before?)")

    def arr(self, i, path):
        out = []
        i = self.ws(i)
        if self.s.startswith(']', i):
            return out, i + 1
        while True:
            v, i = self.value(i, path + (len(out),))
            out.append(v)
            i = self.ws(i)
            if self.s.startswith(',', i):
                i += 1
                continue
            if self.s.startswith(']', i):
                return out, i + 1
            self.err(i, "expected ',' or ']' (a missing comma at the end of the line before?)")


def dotted(path):
    out = ''
    for p in path:
        out += ('[%d]' % p) if isinstance(p, int) else (('.' if out else '') + p)
    return out


def parse_json(text, fname):
    p = _Parser(text, fname)
    v, i = p.value(0, ())
    i = p.ws(i)
    if i != len(text):
        p.err(i, 'extra data after the JSON value')
    return v, p.lines


# ---------------------------------------------------------------- schema
# A schema node is one of:
#   ('int', lo, hi) ('num', lo, hi) ('str',) ('range', lo, hi, kind)  [a, b]
#   ('strs', min_len) list of non-empty strings
#   ('map_str',) {str: str}
#   ('weights', names) {name: weight >= 0} over a fixed set of names, sum > 0
#   ('voices',) "all" or list of names
#   ('share',) number 0..1
#   dict: nested object with exactly these keys (keys starting with '_' are
#         comments and allowed anywhere)

SHARE = ('num', 0.0, 1.0)

SCHEMA = {
    'seed': ('int', 0, 2**63 - 1),
    'voices': {
        'espeak_en': ('voices',),
        'espeak_variants': ('voices',),
        'espeak_plain_share': SHARE,
        'espeak_ko': ('voices',),
        'flite': ('voices',),
        'flite_share': SHARE,
        'espeak_rate': ('range', 80, 450, 'int'),
        'espeak_pitch': ('range', 0, 99, 'int'),
        'flite_tempo': ('range', 0.5, 2.0, 'num'),
        'flite_pitch': ('range', 0.5, 2.0, 'num'),
        'warp_share': SHARE,
        'warp': ('range', 0.7, 1.4, 'num'),
        'max_seconds': ('num', 1.0, 600.0),
    },
    'text': {
        'respell': ('map_str',),
        'keep_spelling': ('strs', 0),
        'ordinary_files': ('strs', 1),
        'ordinary_words': ('range', 1, 80, 'int'),
        'heldout_share': SHARE,
        'office_talk': ('strs', 1),
        'office_talk_ko': ('strs', 1),
        'wake_punctuation': ('strs_any', 1),
        'fillers_en': ('strs', 1),
        'hard_negatives_en': ('strs', 1),
        'wake_ko': ('str',),
        'fillers_ko': ('strs', 1),
        'hard_negatives_ko': ('strs', 1),
        'wake_romanized': ('strs', 1),
        'command_forms_ko': ('strs', 1),
        'command_forms_en': ('weights', ('bare', 'before', 'after', 'both')),
    },
    'wake': {
        'hey_seoul': ('int', 0, 10**6),
        'seoul_ko': ('int', 0, 10**6),
        'neg': ('int', 0, 10**6),
        'reuse': ('int', 1, 100),
        'lead': ('range', 0.0, 10.0, 'num'),
        'after_mark': ('range', 0.1, 10.0, 'num'),
        'gap_join': ('range', 0.0, 1.0, 'num'),
        'gap_pause': ('range', 0.0, 3.0, 'num'),
        'gap_filler': ('range', 0.0, 3.0, 'num'),
        'hey_seoul_kinds': ('weights', ('alone', 'command', 'pause', 'filler', 'joint')),
        'seoul_ko_kinds': ('weights', ('alone', 'command', 'pause', 'filler', 'joint', 'romanized')),
        'neg_kinds': ('weights', ('hard_en', 'hard_en_command', 'hard_ko', 'command',
                                  'command_ko', 'speech', 'filler_command')),
        'speech_words': ('range', 1, 40, 'int'),
    },
    'command': {
        'per_label_en': ('int', 0, 10**5),
        'per_label_ko': ('int', 0, 10**5),
        'none': ('int', 0, 10**6),
        'reuse': ('int', 1, 100),
        'lead': ('range', 0.0, 5.0, 'num'),
        'tail': ('range', 0.0, 5.0, 'num'),
        'none_kinds': ('weights', ('office', 'hard', 'snippet', 'hard_ko')),
        'snippet_words': ('range', 1, 40, 'int'),
    },
    'negative_long': {
        'read_clean': ('int', 0, 10**4),
        'read_noise': ('int', 0, 10**4),
        'read_babble': ('int', 0, 10**4),
        'short_after_silence': ('int', 0, 10**4),
        'command_rounds': ('int', 0, 100),
        'clip_seconds': ('range', 1.0, 600.0, 'num'),
        'read_multi_share': SHARE,
        'lead': ('range', 0.0, 10.0, 'num'),
        'short_gap': ('range', 0.0, 30.0, 'num'),
        'read_gap': ('range', 0.0, 10.0, 'num'),
        'command_gap': ('range', 0.0, 30.0, 'num'),
    },
    'augment': {
        'modes': ('weights', ('clean', 'noise', 'babble', 'talker')),
        'noise_colors': ('weights', ('white', 'pink', 'brown')),
        'noise_snr': ('range', -20.0, 60.0, 'num'),
        'babble_snr': ('range', -20.0, 60.0, 'num'),
        'babble_talkers': ('range', 1, 20, 'int'),
        'talker_snr': ('range', -20.0, 60.0, 'num'),
        'clean_floor_db': ('range', -120.0, 0.0, 'num'),
        'reverb_share': SHARE,
        'rt60': ('range', 0.05, 3.0, 'num'),
        'drr_db': ('range', -20.0, 30.0, 'num'),
        'band_share': SHARE,
        'bands': ('weights', ('telephone', 'far', 'lowpass')),
        'peak_dbfs': ('range', -60.0, 0.0, 'num'),
        'filler_gain_db': ('range', -30.0, 0.0, 'num'),
        'babble_streams': ('int', 1, 10**4),
        'babble_ko_share': SHARE,
        'babble_stream_words': ('range', 5, 400, 'int'),
    },
}


def _check(node, v, path, lines, fname):
    def bad(msg, p=path):
        line = lines.get(p)
        while line is None and p:
            p = p[:-1]
            line = lines.get(p)
        raise RecipeError('%s:%s: %s: %s' % (fname, line or 1, dotted(path) or '(top)', msg))

    if isinstance(node, dict):
        if not isinstance(v, dict):
            bad('must be an object')
        for k in v:
            if k.startswith('_'):
                continue
            if k not in node:
                line = lines.get(path + (k,), 1)
                raise RecipeError('%s:%s: %s: unknown key (expected one of: %s)'
                                  % (fname, line, dotted(path + (k,)), ', '.join(node)))
        for k, sub in node.items():
            if k not in v:
                bad('missing key %r' % k)
            _check(sub, v[k], path + (k,), lines, fname)
        return
    kind = node[0]
    isnum = lambda x: isinstance(x, (int, float)) and not isinstance(x, bool)
    if kind == 'int':
        if not isinstance(v, int) or isinstance(v, bool) or not node[1] <= v <= node[2]:
            bad('must be an integer in %s..%s, not %r' % (node[1], node[2], v))
    elif kind == 'num':
        if not isnum(v) or not node[1] <= v <= node[2]:
            bad('must be a number in %s..%s, not %r' % (node[1], node[2], v))
    elif kind == 'str':
        if not isinstance(v, str) or not v.strip():
            bad('must be a non-empty string')
    elif kind == 'range':
        lo, hi, t = node[1], node[2], node[3]
        ok = isinstance(v, list) and len(v) == 2 and all(isnum(x) for x in v)
        if ok and t == 'int':
            ok = all(isinstance(x, int) for x in v)
        if not ok or not (lo <= v[0] <= v[1] <= hi):
            bad('must be [low, high] with %s <= low <= high <= %s%s, not %s'
                % (lo, hi, ' (integers)' if t == 'int' else '', json.dumps(v)))
    elif kind in ('strs', 'strs_any'):
        if not isinstance(v, list) or len(v) < node[1]:
            bad('must be a list of at least %d string(s)' % node[1])
        for i, x in enumerate(v):
            if not isinstance(x, str) or (kind == 'strs' and not x.strip()):
                bad('must be a%s string' % (' non-empty' if kind == 'strs' else ''), path + (i,))
    elif kind == 'map_str':
        if not isinstance(v, dict):
            bad('must be an object of "word": "respelling"')
        for k, x in v.items():
            if not isinstance(x, str) or not x.strip() or not k.strip():
                bad('must be a non-empty string', path + (k,))
    elif kind == 'weights':
        if not isinstance(v, dict):
            bad('must be an object of weights')
        for k, x in v.items():
            if k.startswith('_'):
                continue
            if k not in node[1]:
                bad('unknown kind %r (expected: %s)' % (k, ', '.join(node[1])), path + (k,))
            if not isnum(x) or x < 0:
                bad('weight must be a number >= 0', path + (k,))
        if sum(x for k, x in v.items() if not k.startswith('_')) <= 0:
            bad('weights must not all be zero')
    elif kind == 'voices':
        if v == 'all':
            return
        if not isinstance(v, list) or not v or not all(isinstance(x, str) and x.strip() for x in v):
            bad('must be "all" or a non-empty list of voice names')
    else:
        raise AssertionError(kind)


def schema_node(path):
    node = SCHEMA
    for k in path:
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return node


def load_recipe(fname, tiny):
    """Returns (recipe dict with tiny overrides applied, lines, raw bytes)."""
    try:
        with open(fname, 'rb') as f:
            raw = f.read()
    except OSError as e:
        raise RecipeError('%s: cannot read: %s' % (fname, e.strerror))
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        raise RecipeError('%s: not UTF-8 (byte %d)' % (fname, e.start))
    short = fname.rsplit('/', 1)[-1]
    rec, lines = parse_json(text, short)
    if not isinstance(rec, dict):
        raise RecipeError('%s:1: the recipe must be a JSON object' % short)
    tiny_over = rec.pop('tiny', None)
    tiny_line = lines.get(('tiny',), 1)
    _check(SCHEMA, rec, (), lines, short)
    if tiny_over is not None:
        if not isinstance(tiny_over, dict):
            raise RecipeError('%s:%d: tiny: must be an object of "dotted.key": value' % (short, tiny_line))
        for k, v in tiny_over.items():
            if k.startswith('_'):
                continue
            path = tuple(k.split('.'))
            node = schema_node(path)
            if node is None or isinstance(node, dict):
                raise RecipeError('%s:%d: tiny.%s: no such recipe key' % (short, lines.get(('tiny', k), tiny_line), k))
            sub_lines = {path: lines.get(('tiny', k), tiny_line)}
            for p, ln in lines.items():
                if p[:2] == ('tiny', k):
                    sub_lines[path + p[2:]] = ln
            _check(node, v, path, sub_lines, short)
            if tiny:
                d = rec
                for p in path[:-1]:
                    d = d[p]
                d[path[-1]] = v
                for p, ln in sub_lines.items():
                    lines[p] = ln
    elif tiny:
        raise RecipeError('%s:1: --tiny given but the recipe has no "tiny" section' % short)
    return rec, lines, raw
