"""Signal processing for synth.py, all in numpy: resampling, coloured noise,
synthetic room impulse responses, band limiting and the clip renderer."""

import numpy as np

SR = 16000


def good_len(n):
    """Smallest 2^a 3^b 5^c 7^d >= n (fast FFT sizes)."""
    best = 1 << max(0, (int(n) - 1).bit_length())
    p7 = 1
    while p7 < best:
        p5 = p7
        while p5 < best:
            p3 = p5
            while p3 < best:
                v = p3
                while v < n:
                    v *= 2
                best = min(best, v)
                p3 *= 3
            p5 *= 5
        p7 *= 7
    return best


def resample(x, sr_in, sr_out):
    """FFT resampling (band-limited; a short taper below the new Nyquist).
    Rational ratios with small terms (22050 -> 16000 = 320/441) are exact;
    others (vocal-tract warps) are rounded to FFT-friendly sizes, a
    relative error below 0.5 %."""
    from fractions import Fraction
    x = np.asarray(x, dtype=np.float64)
    if abs(sr_in - sr_out) < 1e-9 or len(x) == 0:
        return x.copy()
    pad = 256
    need = len(x) + 2 * pad
    fr = Fraction(sr_out / sr_in).limit_denominator(1000)
    if abs(float(fr) - sr_out / sr_in) < 1e-9:
        k = good_len(-(-need // fr.denominator))
        n, m = fr.denominator * k, fr.numerator * k
    else:
        n = good_len(need)
        m = good_len(int(round(n * sr_out / sr_in)))
    r = m / n
    xp = np.zeros(n)
    xp[pad:pad + len(x)] = x
    X = np.fft.rfft(xp)
    k = min(len(X), m // 2 + 1)
    Y = np.zeros(m // 2 + 1, dtype=complex)
    Y[:k] = X[:k]
    t = max(1, k // 20)
    Y[k - t:k] *= 0.5 * (1 + np.cos(np.linspace(0, np.pi, t)))
    y = np.fft.irfft(Y, m) * r
    p = int(round(pad * r))
    return y[p:p + int(round(len(x) * r))]


def colored_noise(rng, n, color):
    """Unit-RMS white, pink (1/f power) or brown (1/f^2 power) noise."""
    w = rng.standard_normal(n)
    if color != 'white':
        W = np.fft.rfft(w)
        f = np.fft.rfftfreq(n, 1.0 / SR)
        f[0] = f[1]
        f = np.maximum(f, 20.0)
        W *= f ** (-0.5 if color == 'pink' else -1.0)
        w = np.fft.irfft(W, n)
    w -= w.mean()
    return (w / np.sqrt(np.mean(w ** 2))).astype(np.float32)


def noise_bank(seed, seconds=64):
    rng = np.random.default_rng([seed, 77])
    return {c: colored_noise(rng, int(seconds * SR), c) for c in ('white', 'pink', 'brown')}


def rir(rng, rt60, drr_db):
    """Exponentially decaying noise after a direct path at t = 0, a few
    early reflections; the diffuse energy is drr_db below the direct path."""
    n = int(min(1.2 * rt60, 1.2) * SR)
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.908 * t / rt60)
    pre = int(rng.uniform(0.002, 0.008) * SR)
    h[:pre] = 0.0
    # gentle low-pass of the tail: air and walls absorb the highs
    H = np.fft.rfft(h)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    H /= np.sqrt(1.0 + (f / rng.uniform(3000, 7000)) ** 2)
    h = np.fft.irfft(H, n)
    h[:pre] = 0.0
    h *= np.sqrt(10 ** (-drr_db / 10) / max(np.sum(h ** 2), 1e-12))
    for _ in range(int(rng.integers(2, 6))):
        k = int(rng.uniform(0.003, 0.03) * SR)
        if k < n:
            h[k] += rng.uniform(-0.5, 0.5)
    h[0] = 1.0
    return h


def fft_convolve(x, h, n):
    size = good_len(len(x) + len(h) - 1)
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)
    return y[:n]


def band_limit(x, kind, params):
    """FFT mask: 'telephone' 300-3400 Hz; 'far' high-pass + low-pass;
    'lowpass' low-pass only.  Raised-cosine edges."""
    n0 = len(x)
    n = good_len(n0)
    X = np.fft.rfft(x, n)
    f = np.fft.rfftfreq(n, 1.0 / SR)
    lo, hi = params[0], params[1]
    g = np.ones_like(f)
    if lo > 0:
        w = lo * 0.5
        g *= np.clip((f - (lo - w)) / w, 0, 1)
    w = hi * 0.15
    g *= np.clip(((hi + w) - f) / w, 0, 1)
    g = 0.5 - 0.5 * np.cos(np.pi * g)
    if kind == 'far':
        g *= 10 ** (-(f / 8000.0) * params[2] / 20)   # extra high-frequency tilt
    return np.fft.irfft(X * g, n)[:n0]


def aug_label(a):
    """Short description of an augmentation dict, for the `aug` column."""
    parts = []
    m = a['mode']
    if m == 'clean':
        parts.append('clean')
    elif m == 'noise':
        parts.append('%s@%.1fdB' % (a['color'], a['snr']))
    elif m == 'babble':
        parts.append('babble%d@%.1fdB' % (a['talkers'], a['snr']))
    else:
        parts.append('talker@%.1fdB' % a['snr'])
    if a.get('rt60'):
        parts.append('rir%.2f/drr%.0f' % (a['rt60'], a['drr']))
    if a.get('band'):
        lo, hi = a['band_params'][:2]
        parts.append('%s%d-%d' % (a['band'], lo, hi))
    parts.append('peak%.1f' % a['peak'])
    return ','.join(parts)


def draw_aug(rng, A, mode=None):
    """Augmentation parameters from recipe section A (all random draws here,
    in the planner, so that the description is known before rendering)."""
    names = [k for k in A['modes'] if not k.startswith('_')]
    if mode is None:
        w = np.array([A['modes'][k] for k in names], dtype=float)
        mode = names[int(rng.choice(len(names), p=w / w.sum()))]
    a = {'mode': mode}
    if mode == 'noise':
        cn = [k for k in A['noise_colors'] if not k.startswith('_')]
        w = np.array([A['noise_colors'][k] for k in cn], dtype=float)
        a['color'] = cn[int(rng.choice(len(cn), p=w / w.sum()))]
        a['snr'] = float(rng.uniform(*A['noise_snr']))
    elif mode == 'babble':
        a['talkers'] = int(rng.integers(A['babble_talkers'][0], A['babble_talkers'][1] + 1))
        a['snr'] = float(rng.uniform(*A['babble_snr']))
    elif mode == 'talker':
        a['snr'] = float(rng.uniform(*A['talker_snr']))
    else:
        a['floor'] = float(rng.uniform(*A['clean_floor_db']))
    if mode != 'clean':
        if rng.random() < A['reverb_share']:
            a['rt60'] = float(rng.uniform(*A['rt60']))
            a['drr'] = float(rng.uniform(*A['drr_db']))
        if rng.random() < A['band_share']:
            bn = [k for k in A['bands'] if not k.startswith('_')]
            w = np.array([A['bands'][k] for k in bn], dtype=float)
            b = bn[int(rng.choice(len(bn), p=w / w.sum()))]
            if b == 'telephone':
                p = (float(rng.uniform(250, 400)), float(rng.uniform(3100, 3600)), 0.0)
            elif b == 'far':
                p = (float(rng.uniform(80, 300)), float(rng.uniform(3500, 6500)), float(rng.uniform(3, 10)))
            else:
                p = (0.0, float(rng.uniform(3500, 7000)), 0.0)
            a['band'] = b
            a['band_params'] = p
    a['peak'] = float(rng.uniform(*A['peak_dbfs']))
    return a


class Sources:
    """What the renderer reads: utterances (int16), their active rms, the
    babble streams (float32, unit active rms) and the noise bank."""

    def __init__(self, utts, arms, streams, bank):
        self.utts = utts
        self.arms = arms
        self.streams = streams
        self.bank = bank


def _stream_segment(rng, S, n, exclude):
    """n samples of one babble talker: streams joined end to end."""
    out = np.zeros(n, dtype=np.float64)
    pos = 0
    k = len(S.streams)
    first = True
    while pos < n:
        j = int(rng.integers(k))
        if j in exclude and k > len(exclude):
            continue
        exclude.add(j)
        s = S.streams[j]
        off = int(rng.integers(len(s))) if first else 0
        first = False
        take = min(len(s) - off, n - pos)
        out[pos:pos + take] = s[off:off + take]
        pos += take + int(rng.uniform(0.1, 0.6) * SR)
    return out


def _bank_segment(rng, bank, n):
    out = np.empty(n, dtype=np.float64)
    pos = 0
    while pos < n:
        off = int(rng.integers(len(bank) - 1))
        take = min(len(bank) - off, n - pos)
        out[pos:pos + take] = bank[off:off + take]
        pos += take
    return out


def render(S, clip, seed):
    """-> int16 array of clip['n'] samples."""
    rng = np.random.default_rng(seed)
    n = clip['n']
    x = np.zeros(n, dtype=np.float64)
    e_sum, n_sum = 0.0, 0
    for uid, start, length, gain_db in clip['place']:
        u = S.utts[uid][:length].astype(np.float64) / 32768.0
        g = 10 ** (gain_db / 20)
        u = u * g
        if length < len(S.utts[uid]):
            fo = min(length, int(0.010 * SR))
            u[length - fo:] *= np.linspace(1.0, 0.0, fo)
        x[start:start + length] += u
        e_sum += (S.arms[uid] * g) ** 2 * length
        n_sum += length
    srms = np.sqrt(e_sum / max(n_sum, 1)) if n_sum else 0.05
    a = clip['aug']
    if a.get('rt60'):
        x = fft_convolve(x, rir(rng, a['rt60'], a['drr']), n)
    m = a['mode']
    if m == 'clean':
        x += _bank_segment(rng, S.bank['white'], n) * srms * 10 ** (a['floor'] / 20)
    elif m == 'noise':
        x += _bank_segment(rng, S.bank[a['color']], n) * srms * 10 ** (-a['snr'] / 20)
    else:
        k = a['talkers'] if m == 'babble' else 1
        b = np.zeros(n)
        used = set()
        for _ in range(k):
            b += _stream_segment(rng, S, n, used)
        br = np.sqrt(np.mean(b ** 2))
        if br > 0:
            x += b * (srms * 10 ** (-a['snr'] / 20) / br)
        # and a faint bed: a real room is never digitally silent
        x += _bank_segment(rng, S.bank['pink'], n) * srms * 10 ** (-45 / 20)
    if a.get('band'):
        x = band_limit(x, a['band'], a['band_params'])
    pk = float(np.max(np.abs(x)))
    if pk > 0:
        x *= (10 ** (a['peak'] / 20)) / pk
    return np.clip(np.rint(x * 32767), -32767, 32767).astype(np.int16)
