"""The synthesizers for synth.py: espeak-ng and flite only (festival is
reserved for the tests).  One process per distinct utterance; the result is
16 kHz float audio trimmed of the synthesizer's own silence."""

import os
import re
import struct
import subprocess
import tempfile

import numpy as np

from synth_dsp import SR, resample

ESPEAK = 'espeak-ng'
FLITE = 'flite'

# Utterance spec: (engine, voice, text, rate, pitch, warp)
#   espeak-ng: rate = words per minute (-s), pitch = 0..99 (-p)
#   flite:     rate = tempo (1 = normal; duration_stretch = warp / tempo),
#              pitch = f0_shift
#   warp: vocal-tract-length-like warp; the synthesis is slowed by warp and
#         then resampled warp times faster: same duration, formants and pitch
#         times warp.


class SynthError(Exception):
    pass


def _errtext(b):
    lines = [ln.strip() for ln in b.decode('utf-8', 'replace').splitlines() if ln.strip()]
    if not lines:
        return 'no output'
    return lines[0] if len(lines) == 1 else lines[0] + ' ... ' + lines[-1]


def _run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def list_espeak(lang):
    """[(name, language, file)] of espeak-ng voices for `lang` (variants excluded)."""
    r = _run([ESPEAK, '--voices=' + lang])
    out = []
    for line in r.stdout.decode('utf-8', 'replace').splitlines()[1:]:
        f = line.split()
        if len(f) < 5 or f[1] == 'variant':
            continue
        fname = f[4]
        out.append((fname.rsplit('/', 1)[-1].lower(), f[1], fname))
    return out


def list_variants():
    r = _run([ESPEAK, '--voices=variant'])
    out = []
    for line in r.stdout.decode('utf-8', 'replace').splitlines()[1:]:
        f = line.split()
        if len(f) >= 5 and f[4].startswith('!v/'):
            out.append(f[4][3:])
    return out


def list_flite():
    r = _run([FLITE, '-lv'])
    m = re.search(r'Voices available:(.*)', r.stdout.decode('utf-8', 'replace'))
    return m.group(1).split() if m else []


def parse_wav(data):
    if len(data) < 12 or data[:4] != b'RIFF' or data[8:12] != b'WAVE':
        raise ValueError('not a WAV file')
    i, sr, ch, bits = 12, None, 1, 16
    while i + 8 <= len(data):
        cid, size = data[i:i + 4], struct.unpack('<I', data[i + 4:i + 8])[0]
        body = i + 8
        if cid == b'fmt ':
            fmt, ch, sr = struct.unpack('<HHI', data[body:body + 8])
            bits = struct.unpack('<H', data[body + 14:body + 16])[0]
            if fmt != 1 or bits != 16:
                raise ValueError('unsupported WAV format %d/%d bits' % (fmt, bits))
        elif cid == b'data':
            if sr is None:
                raise ValueError('WAV data before fmt')
            end = min(len(data), body + size)
            end -= (end - body) % (2 * ch)
            x = np.frombuffer(data[body:end], dtype='<i2').astype(np.float32) / 32768.0
            if ch > 1:
                x = x.reshape(-1, ch).mean(axis=1)
            return x, sr
        i = body + size + (size & 1)
    raise ValueError('WAV without data')


def voice_label(engine, voice):
    return ('espeak-ng:' if engine == 'espeak' else 'flite:') + voice


def tts_label(spec):
    engine, voice, text, rate, pitch, warp = spec
    if engine == 'espeak':
        s = 's%d/p%d' % (rate, pitch)
    else:
        s = 't%.3f/f%.3f' % (rate, pitch)
    if warp != 1.0:
        s += '/w%.3f' % warp
    return s


def synth_raw(spec, tmpdir):
    """Runs the synthesizer: (audio float32, sample rate, phones or None)."""
    engine, voice, text, rate, pitch, warp = spec
    if engine == 'espeak':
        srate = int(round(rate / warp))
        r = _run([ESPEAK, '-v', voice, '-s', str(srate), '-p', str(int(pitch)), '-b', '1', '--stdout'],
                 input=text.encode('utf-8'))
        if r.returncode != 0 or not r.stdout:
            raise SynthError('espeak-ng -v %s failed (exit %d): %s' % (voice, r.returncode, _errtext(r.stderr)))
        x, sr = parse_wav(r.stdout)
        return x, sr, None
    wav = os.path.join(tmpdir, 'f.wav')
    stretch = warp / rate
    r = _run([FLITE, '-voice', voice, '--setf', 'duration_stretch=%.5f' % stretch,
              '--setf', 'f0_shift=%.5f' % pitch, '-psdur', '-t', text, '-o', wav])
    if r.returncode != 0 or not os.path.exists(wav):
        raise SynthError('flite -voice %s failed (exit %d): %s' % (voice, r.returncode, _errtext(r.stderr)))
    with open(wav, 'rb') as f:
        x, sr = parse_wav(f.read())
    os.unlink(wav)
    phones = []
    for tok in r.stdout.decode('utf-8', 'replace').split():
        if ':' in tok:
            p, t = tok.rsplit(':', 1)
            try:
                phones.append((p, float(t)))
            except ValueError:
                pass
    return x, sr, phones


SILENT_PEAK = 10 ** (-50 / 20)   # raw synthesis quieter than this: silence
MIN_SPEECH = 0.06                # seconds of speech above the trim threshold
TRIM_DB = -34.0                  # trim threshold relative to the peak
PEAK = 10 ** (-3 / 20)           # every utterance is normalized to -3 dBFS peak


def synth(spec, tmpdir, max_seconds):
    """-> (int16 array at 16 kHz, active rms (float, of the int16 scale / 32768),
    [(phone, end sample in the trimmed audio)] or None)."""
    engine, voice, text, rate, pitch, warp = spec
    x, sr, phones = synth_raw(spec, tmpdir)
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak < SILENT_PEAK:
        raise SynthError('%r with voice %s (%s) synthesizes to silence (%s)'
                         % (text, voice_label(engine, voice), tts_label(spec),
                            'peak %.1f dBFS' % (20 * np.log10(peak)) if peak > 0 else 'no sound at all'))
    y = resample(x, sr * warp, SR)
    thr = float(np.max(np.abs(y))) * 10 ** (TRIM_DB / 20)
    idx = np.flatnonzero(np.abs(y) > thr)
    if len(idx) == 0 or (idx[-1] - idx[0]) < MIN_SPEECH * SR:
        raise SynthError('%r with voice %s (%s) synthesizes to near silence (%.0f ms of speech)'
                         % (text, voice_label(engine, voice), tts_label(spec),
                            0 if len(idx) == 0 else 1000 * (idx[-1] - idx[0]) / SR))
    a = max(0, int(idx[0]) - int(0.010 * SR))
    b = min(len(y), int(idx[-1]) + int(0.025 * SR))
    if b - a > max_seconds * SR:
        b = a + int(max_seconds * SR)
    y = y[a:b].astype(np.float64)
    fi, fo = min(len(y) // 4, int(0.005 * SR)), min(len(y) // 4, int(0.010 * SR))
    y[:fi] *= np.linspace(0.0, 1.0, fi, endpoint=False)
    y[len(y) - fo:] *= np.linspace(1.0, 0.0, fo)
    y *= PEAK / float(np.max(np.abs(y)))
    q = np.rint(y * 32767).astype(np.int16)
    # active rms: 20 ms frames within 35 dB of the loudest frame
    f = SR // 50
    nf = max(1, len(q) // f)
    fr = (q[:nf * f].astype(np.float64) / 32768).reshape(nf, -1) if len(q) >= f else (q.astype(np.float64) / 32768)[None, :]
    e = (fr ** 2).mean(axis=1)
    act = e[e > e.max() * 10 ** (-35 / 10)]
    arms = float(np.sqrt(act.mean()))
    ph = None
    if phones is not None:
        ph = [(p, int(round(t * SR / warp)) - a) for p, t in phones]
    return q, arms, ph


TMP_ROOT = None   # set by the parent before the pool forks
_TMP = None


def worker_synth(job):
    """Pool entry point: job = (index, spec, max_seconds)."""
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix='w%d-' % os.getpid(), dir=TMP_ROOT)
    i, spec, maxs = job
    try:
        q, arms, ph = synth(spec, _TMP, maxs)
        return i, q.tobytes(), arms, ph, None
    except (SynthError, ValueError, OSError) as e:
        return i, None, 0.0, None, str(e)


def probe(engine, voice, text='hello there'):
    """None if the voice synthesizes `text`, else the reason it does not."""
    spec = (engine, voice, text, 160 if engine == 'espeak' else 1.0, 50 if engine == 'espeak' else 1.0, 1.0)
    with tempfile.TemporaryDirectory(prefix='synth-probe-') as d:
        try:
            synth(spec, d, 30.0)
        except (SynthError, ValueError, OSError) as e:
            return str(e)
    return None


def worker_probe(job):
    engine, voice, text = job
    return job, probe(engine, voice, text)
