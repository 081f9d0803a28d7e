#!/usr/bin/python3
"""Trains the speech heads (wake, endpoint, intent) over the embeddings that
the daemon's own forward pass computes, and writes models/heads/.

    train.py --data DIR --catalogue models/catalogue.json --out models/heads
             [--embed-clips build/tools/embed-clips] [--models models/oww]
             [--epochs N] [--jobs 2] [--seed 1]

DIR is what synth.py wrote (wake, command and negative_long sets).  Each
set's embeddings are computed once by embed-clips into DIR/SET.emb (again
when the audio is newer).  Only espeak-ng and flite voices are in DIR: the
thresholds are chosen on held-out voices of those, never on the festival
voices the bench tests with.

Needs Debian's python3-numpy and python3-torch.  Deterministic for a given
seed and data (torch runs single-threaded per op with fixed seeds).
"""
import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import time

import numpy as np

T0 = time.time()
DIM = 96


def log(*a):
    print("train: [%5.1fs]" % (time.time() - T0), *a, file=sys.stderr, flush=True)


def die(msg):
    print("train: " + msg, file=sys.stderr)
    sys.exit(2)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = []
        for ln, line in enumerate(f, 2):
            v = line.rstrip("\n").split("\t")
            if len(v) < len(head):
                die("%s:%d: %d columns, the header has %d" % (path, ln, len(v), len(head)))
            rows.append(dict(zip(head, v)))
    for k in ("offset", "n", "label", "mark"):
        if k not in head:
            die("%s:1: no column %r" % (path, k))
    return rows


def embed_set(args, name):
    raw, tsv, emb = (os.path.join(args.data, name + e) for e in (".raw", ".tsv", ".emb"))
    if not os.path.exists(tsv):
        die("%s is missing: run synth.py first" % tsv)
    if not os.path.exists(emb) or os.path.getmtime(emb) < max(os.path.getmtime(raw), os.path.getmtime(tsv)):
        log("embedding", name)
        cut = ["--cut", "0.4"] if name == "wake" else []
        r = subprocess.run([args.embed_clips, "--models", args.models, "-j", str(args.jobs)] + cut + [raw, tsv, emb])
        if r.returncode != 0:
            die("embed-clips failed on " + name)
    rows = read_tsv(tsv)
    clips = []
    with open(emb, "rb") as f:
        if f.read(8) != b"SOEMB001":
            die(emb + ": not an embeddings file")
        n, d = struct.unpack("<II", f.read(8))
        if n != len(rows) or d != DIM:
            die("%s: %d clips of %d, the index has %d" % (emb, n, d, len(rows)))
        for _ in range(n):
            i, k = struct.unpack("<II", f.read(8))
            t = np.frombuffer(f.read(4 * k), dtype="<f4")
            e = np.frombuffer(f.read(4 * k * DIM), dtype="<f4").reshape(k, DIM)
            clips.append((rows[i], t, e))
    return clips


def windows(e, ends, w):
    """Stacks of w embeddings ending at each index in ends (>= w - 1)."""
    return np.stack([e[k - w + 1:k + 1].reshape(-1) for k in ends]) if len(ends) else np.zeros((0, w * DIM), "f4")


def intent_features(e):
    n = len(e)
    half = max(n // 2, 1)
    first = e[:half].mean(0)
    second = e[half:].mean(0) if n - half > 0 else first
    return np.concatenate([e.mean(0), e.max(0), first, second]).astype("f4")


# ---------------------------------------------------------------- model

def make_mlp(torch, nin, hidden, nout, dropout_in, final):
    nn = torch.nn
    layers = [nn.Dropout(dropout_in)]
    w = nin
    for h in hidden:
        layers += [nn.Linear(w, h), nn.LayerNorm(h), nn.ReLU()]
        w = h
    layers += [nn.Linear(w, nout)]
    return nn.Sequential(*layers)


def fit(torch, X, y, nclasses, hidden, epochs, seed, dropout_in=0.2, wd=1e-3, weights=None, lr=3e-3, bs=1024,
        sw=None, init=None):
    """An MLP (standardize, [Linear, LayerNorm, ReLU]*, Linear) by AdamW; sw:
    per-sample weights; init: (model, mean, std) to go on from."""
    torch.manual_seed(seed)
    mean = X.mean(0) if init is None else init[1]
    std = X.std(0) + 1e-3 if init is None else init[2]
    Xt = torch.from_numpy(((X - mean) / std).astype("f4"))
    yt = torch.from_numpy(y.astype("i8"))
    swt = torch.from_numpy((sw if sw is not None else np.ones(len(y))).astype("f4"))
    model = make_mlp(torch, X.shape[1], hidden, nclasses, dropout_in, None) if init is None else init[0]
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    wt = torch.tensor(weights, dtype=torch.float32) if weights is not None else None
    lossf = torch.nn.CrossEntropyLoss(weight=wt, reduction="none")
    g = torch.Generator().manual_seed(seed)
    n = len(Xt)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=g)
        tot = 0.0
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            opt.zero_grad()
            loss = (lossf(model(Xt[idx]), yt[idx]) * swt[idx]).sum() / swt[idx].sum()
            loss.backward()
            opt.step()
            tot += float(loss) * len(idx)
        sched.step()
        if ep % 5 == 4 or ep == epochs - 1:
            log("  epoch %d loss %.4f" % (ep + 1, tot / n))
    model.eval()
    return model, mean, std


def predict(torch, model, mean, std, X):
    with torch.no_grad():
        out = []
        for i in range(0, len(X), 8192):
            xb = torch.from_numpy(((X[i:i + 8192] - mean) / std).astype("f4"))
            out.append(torch.softmax(model(xb), 1).numpy())
        return np.concatenate(out) if out else np.zeros((0, 1), "f4")


def write_head(path, torch, model, mean, std):
    """SOHEAD01: standardize, then the Sequential's layers (dropout skipped)."""
    layers = [(6, len(mean), len(mean), [mean.astype("<f4"), (1.0 / std).astype("<f4")])]
    w = len(mean)
    for m in model:
        if isinstance(m, torch.nn.Dropout):
            continue
        if isinstance(m, torch.nn.Linear):
            W = m.weight.detach().numpy().astype("<f4")
            b = m.bias.detach().numpy().astype("<f4")
            layers.append((1, w, W.shape[0], [W, b]))
            w = W.shape[0]
        elif isinstance(m, torch.nn.LayerNorm):
            layers.append((2, w, w, [m.weight.detach().numpy().astype("<f4"), m.bias.detach().numpy().astype("<f4")]))
        elif isinstance(m, torch.nn.ReLU):
            layers.append((3, w, w, []))
        else:
            die("cannot export " + type(m).__name__)
    layers.append((4, w, w, []))
    with open(path, "wb") as f:
        f.write(b"SOHEAD01" + struct.pack("<II", len(mean), len(layers)))
        for kind, i, o, arrs in layers:
            f.write(struct.pack("<III", kind, i, o))
            for a in arrs:
                f.write(np.ascontiguousarray(a).tobytes())


# ---------------------------------------------------------------- data

def split_voice(voice, frac, seed):
    """Held-out voices: a stable hash of the voice name."""
    h = int(hashlib.sha256((str(seed) + voice).encode()).hexdigest()[:8], 16)
    return (h % 1000) < frac * 1000


HARD_WEIGHT = 3.0     # near misses count this much more than ordinary speech


def wake_data(wake, longneg, classes, W, rng, neg_stride):
    """Windows of W embeddings: positives end 0-0.25 s after the wake phrase;
    the phrase's first part and every window of a negative clip are "none".
    Also per-window weights, and which windows are long negatives."""
    X, y, val, wts, lng = [], [], [], [], []
    for row, t, e in wake:
        lab = row["label"]
        mark = float(row["mark"])
        held = split_voice(row.get("voice", ""), 0.15, 7)
        ok = np.arange(len(t)) >= W - 1
        if lab in classes and lab != "none":
            c = classes.index(lab)
            pos = np.where(ok & (t >= mark) & (t < mark + 0.25))[0]
            early = np.where(ok & (t < mark - 0.4))[0][::3]
            X += [windows(e, pos, W), windows(e, early, W)]
            y += [np.full(len(pos), c), np.zeros(len(early), int)]
            val += [np.full(len(pos) + len(early), held)]
            wts += [np.ones(len(pos) + len(early))]
            lng += [np.zeros(len(pos) + len(early), bool)]
        else:
            hard = row.get("aug", "").startswith("hard")
            ks = np.where(ok)[0][::1 if hard else neg_stride]
            X.append(windows(e, ks, W))
            y.append(np.zeros(len(ks), int))
            val.append(np.full(len(ks), held))
            wts.append(np.full(len(ks), HARD_WEIGHT if hard else 1.0))
            lng.append(np.zeros(len(ks), bool))
    for row, t, e in longneg:
        ks = np.where(np.arange(len(t)) >= W - 1)[0]
        held = split_voice(row.get("voice", "") + row["offset"], 0.3, 11)
        X.append(windows(e, ks, W))
        y.append(np.zeros(len(ks), int))
        val.append(np.full(len(ks), held))
        wts.append(np.ones(len(ks)))
        lng.append(np.ones(len(ks), bool))
    return (np.concatenate(X), np.concatenate(y), np.concatenate(val), np.concatenate(wts),
            np.concatenate(lng))


def runs_over(scores, thr):
    """Detections: runs of consecutive windows at or over thr."""
    if len(scores) == 0:
        return 0
    over = scores >= thr
    return int(over[0]) + int(np.sum(over[1:] & ~over[:-1]))


def endpoint_data(command, W):
    """Label 1 while the command is still being said (its last half second,
    surely speech), 0 once it ended and during the lead-in, where the noise
    bed starts: the onset of a noise is not a voice."""
    X, y, val = [], [], []
    for row, t, e in command:
        mark = float(row["mark"])
        held = split_voice(row.get("voice", ""), 0.15, 7)
        k = np.arange(len(t))
        ok = k >= W - 1
        talk = np.where(ok & (t >= max(mark - 0.5, 0.3)) & (t <= mark))[0]
        done = np.where(ok & ((t >= mark + 0.12) | ((t >= -0.3) & (t <= 0.15))))[0]
        X += [windows(e, talk, W), windows(e, done, W)]
        y += [np.ones(len(talk), int), np.zeros(len(done), int)]
        val += [np.full(len(talk) + len(done), held)]
    return np.concatenate(X), np.concatenate(y), np.concatenate(val)


def intent_data(command, wake, classes, rng):
    X, y, val = [], [], []
    idx = {c: i for i, c in enumerate(classes)}
    for row, t, e in command:
        lab = row["label"]
        if lab not in idx:
            die("command set: label %r is not in the catalogue (re-run synth.py)" % lab)
        mark = float(row["mark"])
        held = split_voice(row.get("voice", ""), 0.15, 7)
        for u in (0.08, 0.16, 0.24):
            sel = np.where((t > 0.16) & (t <= mark + u))[0]
            if len(sel) == 0:
                continue
            X.append(intent_features(e[sel]))
            y.append(idx[lab])
            val.append(held)
    # non-commands from the wake set's negatives (ordinary talk, near misses)
    none = idx["none"]
    for row, t, e in wake:
        if row["label"] != "neg" or rng.random() > 0.3:
            continue
        mark = float(row["mark"])
        sel = np.where((t > 0.16) & (t <= mark + 0.16))[0]
        if len(sel):
            X.append(intent_features(e[sel]))
            y.append(none)
            val.append(split_voice(row.get("voice", ""), 0.15, 7))
    return np.stack(X), np.array(y), np.array(val)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--catalogue", default="models/catalogue.json")
    ap.add_argument("--out", default="models/heads")
    ap.add_argument("--embed-clips", default="build/tools/embed-clips")
    ap.add_argument("--models", default="models/oww")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--target-fa", type=float, default=0.5, help="false wakes per hour on held-out long negatives")
    ap.add_argument("--mining", type=int, default=1, help="hard-negative mining rounds for the wake head")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.jobs)
    rng = np.random.default_rng(args.seed)
    try:
        cat = json.load(open(args.catalogue, encoding="utf-8"))
    except (OSError, ValueError) as ex:
        die("%s: %s" % (args.catalogue, ex))
    ids = [c["id"] for c in cat.get("content", [])] + [c["id"] for c in cat.get("controls", [])]
    for c in cat.get("content", []) + cat.get("controls", []):
        if not c.get("say"):
            die("%s: entry %r has no phrasings (\"say\")" % (args.catalogue, c.get("id")))
    intent_classes = ids + ["none"]
    wake_classes = ["none", "hey_seoul", "seoul_ko"]

    wake = embed_set(args, "wake")
    command = embed_set(args, "command")
    longneg = embed_set(args, "negative_long")
    os.makedirs(args.out, exist_ok=True)
    report = {}

    # wake: fit, then a second round that weighs the training negatives the
    # first model still takes for the wake phrase (hard-negative mining)
    W = 16
    X, y, val, sw, lng = wake_data(wake, longneg, wake_classes, W, rng, 2)
    log("wake: %d windows (%s), %d held out" % (len(y), np.bincount(y, minlength=3).tolist(), val.sum()))
    cw = len(y) / (3 * np.maximum(np.bincount(y, minlength=3), 1))
    tr = ~val
    model, mean, std = fit(torch, X[tr], y[tr], 3, [64, 64], args.epochs, args.seed, weights=np.sqrt(cw),
                           sw=sw[tr], dropout_in=0.3, wd=1e-2)
    report["wake"] = {}
    for rnd in range(args.mining):
        p = predict(torch, model, mean, std, X[tr])
        hardmask = (y[tr] == 0) & (p[:, 1:].max(1) > 0.2)
        swr = sw[tr].copy()
        swr[hardmask] *= 4.0
        log("wake: mining round %d: %d training negatives over 0.2 weigh 4x more" % (rnd + 1, hardmask.sum()))
        model, mean, std = fit(torch, X[tr], y[tr], 3, [64, 64], max(4, args.epochs // 3), args.seed + 10 + rnd,
                               weights=np.sqrt(cw), sw=swr, dropout_in=0.3, wd=1e-2, lr=1e-3, init=(model, mean, std))
    p = predict(torch, model, mean, std, X[val])
    score = p[:, 1:].max(1)
    yv, lv = y[val], lng[val]
    longs = score[(yv == 0) & lv]
    long_hours = len(longs) * 0.08 / 3600
    # the threshold: the lowest at which the held-out long negatives (speech,
    # noise, babble, commands without the wake) wake at most --target-fa an hour
    thr = 0.9999
    for cand in sorted(set(np.round(np.concatenate([np.linspace(0.5, 0.99, 50), 1 - np.logspace(-2, -4.5, 26)]), 6))):
        if runs_over(longs, cand) / max(long_hours, 1e-9) <= args.target_fa:
            thr = float(cand)
            break
    rec = {}
    for c in (1, 2):
        m = yv == c
        rec[wake_classes[c]] = round(float((p[m, c] >= thr).mean()), 4) if m.any() else None
    hardneg = score[(yv == 0) & ~lv]
    report["wake"].update({"threshold": thr, "held_out_recall_per_window": rec,
                           "held_out_long_negative_hours": round(long_hours, 3),
                           "held_out_long_wakes": runs_over(longs, thr),
                           "held_out_clip_negative_windows_over": round(float((hardneg >= thr).mean()), 4)})
    log("wake: threshold %.5f: held-out window recall %s; %d wakes in %.2f h of held-out long negatives; "
        "%.2f %% of near-miss windows over" % (thr, rec, runs_over(longs, thr), long_hours, 100 * (hardneg >= thr).mean()))
    write_head(os.path.join(args.out, "wake.head"), torch, model, mean, std)

    # endpoint
    WE = 2
    X, y, val = endpoint_data(command, WE)
    yy = y.astype(int)
    model, mean, std = fit(torch, X[~val], yy[~val], 2, [32], max(10, args.epochs // 2), args.seed + 1)
    p = predict(torch, model, mean, std, X[val])[:, 1]
    acc = float(((p >= 0.5) == (yy[val] == 1)).mean())
    report["endpoint"] = {"held_out_accuracy": acc}
    log("endpoint: %d windows, held-out accuracy %.3f" % (len(y), acc))
    write_head(os.path.join(args.out, "endpoint.head"), torch, model, mean, std)

    # intent
    X, y, val = intent_data(command, wake, intent_classes, rng)
    n = len(intent_classes)
    cnt = np.bincount(y, minlength=n)
    missing = [intent_classes[i] for i in range(n) if cnt[i] == 0]
    if missing:
        die("no training utterances for %s: re-run synth.py with this catalogue" % ", ".join(missing))
    model, mean, std = fit(torch, X[~val], y[~val], n, [128], args.epochs * 2, args.seed + 2, dropout_in=0.2)
    p = predict(torch, model, mean, std, X[val])
    pred = p.argmax(1)
    acc = float((pred == y[val]).mean()) if val.any() else None
    report["intent"] = {"held_out_accuracy": acc, "classes": n}
    log("intent: %d utterances, %d classes, held-out accuracy %s" % (len(y), n, acc))
    write_head(os.path.join(args.out, "intent.head"), torch, model, mean, std)

    dataman = {}
    mp = os.path.join(args.data, "manifest.json")
    if os.path.exists(mp):
        dataman = json.load(open(mp, encoding="utf-8"))
    manifest = {
        "version": 1,
        "embedding": {"mel_sha256": sha256(os.path.join(args.models, "melspectrogram.onnx")),
                      "embedding_sha256": sha256(os.path.join(args.models, "embedding_model.onnx"))},
        "catalogue_sha256": sha256(args.catalogue),
        "wake": {"file": "wake.head", "sha256": sha256(os.path.join(args.out, "wake.head")), "window": W,
                 "classes": wake_classes, "phrases": ["", cat.get("wake", {}).get("phrase", "hey seoul"), "서울아"],
                 "threshold": round(thr, 6)},
        "endpoint": {"file": "endpoint.head", "sha256": sha256(os.path.join(args.out, "endpoint.head")),
                     "window": WE, "classes": ["silent", "talking"], "threshold": 0.5},
        "intent": {"file": "intent.head", "sha256": sha256(os.path.join(args.out, "intent.head")),
                   "classes": intent_classes, "min_confidence": 0.5},
        "training": {"seed": args.seed, "epochs": args.epochs, "data": dataman.get("recipe_sha256", dataman),
                     "report": report, "seconds": round(time.time() - T0, 1)},
    }
    with open(os.path.join(args.out, "heads.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    log("wrote %s" % os.path.join(args.out, "heads.json"))


if __name__ == "__main__":
    main()
