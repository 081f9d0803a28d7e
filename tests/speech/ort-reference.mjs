#!/usr/bin/env node
// ort-reference.mjs — openWakeWord's front end (melspectrogram.onnx and
// embedding_model.onnx) run through ONNX Runtime (onnxruntime-web, WASM,
// one thread): the independent reference that the C forward pass is
// compared against (tests/speech/compare-embeddings).
//
//   node tests/speech/ort-reference.mjs WAV [--mel] [--models DIR]
//        [--head MODEL.onnx] [--time]
//
// WAV: 16 kHz mono signed 16-bit PCM.  Prints to stdout, one line each:
//   default   embedding j:  "j<TAB>v0 v1 ... v95"
//   --mel     mel frame i:  "i<TAB>m0 ... m31"   (after v/10 + 2)
//   --head M  window w of 16 embeddings [w, w+16) through the wake-word
//             head M (input [1,16,96], output [1,1]):  "w<TAB>score"
//   --time    also prints, to stderr, the ms spent in each model per second
//             of audio (the streaming way: one mel group and one embedding
//             per 80 ms hop, full 76-frame window each time)
// Numbers are printed with 7 significant digits.
//
// The computation (the C engine does exactly this):
//  - samples are fed as their int16 values in float32 (not / 32768);
//  - mel group g = frames 8g..8g+7 = melspectrogram.onnx on samples
//    [1280g, 1280g + 1632) (input [1,1632], output [1,1,8,32]), only full
//    groups (1280g + 1632 <= N); frame i covers samples [160i, 160i + 512);
//  - each mel value v becomes v/10 + 2;
//  - embedding j = embedding_model.onnx on frames [8j + 4, 8j + 80) as
//    [1,76,32,1], output [1,1,1,96]; exists when 8j + 80 <= frames
//    (the window ends where a mel group ends, as in openWakeWord).
//
// Models: DIR/melspectrogram.onnx and DIR/embedding_model.onnx, DIR by
// default models/oww/ of the repository (tools/fetch-models puts them there).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-web';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

const GROUP_SAMPLES = 1632;   // 512 + 7 * 160
const GROUP_HOP = 1280;       // 8 frames of 160 samples
const GROUP_FRAMES = 8;
const MEL_BINS = 32;
const WINDOW_FRAMES = 76;
// Embedding windows end on a group boundary (as openWakeWord's streaming
// does): window j starts at frame 8j + 4.
const WINDOW_SKIP = 4;
const EMBED_DIM = 96;
const HEAD_WINDOW = 16;

function die(msg, code = 1) {
  process.stderr.write(`ort-reference: ${msg}\n`);
  process.exit(code);
}

function usage() {
  die('usage: ort-reference.mjs WAV [--mel] [--models DIR] [--head MODEL.onnx] [--time]', 2);
}

// Reads a RIFF/WAVE file of 16 kHz mono signed 16-bit PCM; anything else is
// refused with the reason.  Returns an Int16Array of the samples.
export function readWav(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    die(`${file}: ${e.message}`);
  }
  const bad = (why) => die(`${file}: ${why} (need a 16 kHz mono 16-bit PCM WAV)`);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'RIFF' ||
      buf.toString('latin1', 8, 12) !== 'WAVE')
    bad('not a RIFF/WAVE file');
  let fmt = null;
  let data = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) bad('short fmt chunk');
      let format = buf.readUInt16LE(body);
      if (format === 0xfffe && size >= 40 && body + 40 <= buf.length)
        format = buf.readUInt16LE(body + 24);   // WAVE_FORMAT_EXTENSIBLE sub-format
      fmt = {
        format,
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      // A streamed WAV may carry a bogus size: take what is there.
      data = buf.subarray(body, Math.min(body + size, buf.length));
      break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt) bad('no fmt chunk');
  if (fmt.format !== 1) bad(`sample format ${fmt.format} is not PCM`);
  if (fmt.channels !== 1) bad(`${fmt.channels} channels`);
  if (fmt.rate !== 16000) bad(`${fmt.rate} Hz`);
  if (fmt.bits !== 16) bad(`${fmt.bits}-bit samples`);
  if (!data) bad('no data chunk');
  const n = data.length >> 1;
  const s = new Int16Array(n);
  for (let i = 0; i < n; i++) s[i] = data.readInt16LE(2 * i);
  return s;
}

const fmtNum = (v) => Number(v.toPrecision(7)).toString();

async function session(dir, name) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file))
    die(`${file} is missing: run tools/fetch-models (or pass --models DIR)`);
  return ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)));
}

async function main() {
  const args = process.argv.slice(2);
  let wav = null;
  let mel = false;
  let time = false;
  let head = null;
  let models = path.join(ROOT, 'models', 'oww');
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--mel') mel = true;
    else if (a === '--time') time = true;
    else if (a === '--models') { if (++i >= args.length) usage(); models = args[i]; }
    else if (a === '--head') { if (++i >= args.length) usage(); head = args[i]; }
    else if (a.startsWith('-')) usage();
    else if (wav === null) wav = a;
    else usage();
  }
  if (wav === null) usage();
  if (mel && head) die('--mel and --head: choose one');

  const s = readWav(wav);
  ort.env.wasm.numThreads = 1;   // the timing is for one core
  const melSess = await session(models, 'melspectrogram.onnx');
  const embSess = mel && !time ? null : await session(models, 'embedding_model.onnx');
  let headSess = null;
  if (head) {
    if (!fs.existsSync(head)) die(`${head} is missing`);
    headSess = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(head)));
  }

  const groups = s.length >= GROUP_SAMPLES
    ? Math.floor((s.length - GROUP_SAMPLES) / GROUP_HOP) + 1 : 0;
  const nFrames = groups * GROUP_FRAMES;
  const frames = new Float32Array(nFrames * MEL_BINS);
  const nEmb = nFrames >= WINDOW_SKIP + WINDOW_FRAMES ? Math.floor((nFrames - WINDOW_SKIP - WINDOW_FRAMES) / GROUP_FRAMES) + 1 : 0;
  const emb = new Float32Array(nEmb * EMBED_DIM);
  let melMs = 0;
  let embMs = 0;
  let j = 0;
  const input = new Float32Array(GROUP_SAMPLES);
  // Streaming order: after each mel group, every embedding whose window is
  // now complete (one per group once 76 frames are there).
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < GROUP_SAMPLES; k++) input[k] = s[GROUP_HOP * g + k];
    let t0 = performance.now();
    const out = await melSess.run({
      [melSess.inputNames[0]]: new ort.Tensor('float32', input, [1, GROUP_SAMPLES]),
    });
    melMs += performance.now() - t0;
    const o = out[melSess.outputNames[0]];
    if (o.data.length !== GROUP_FRAMES * MEL_BINS)
      die(`melspectrogram.onnx gave shape [${o.dims}], expected 8x32 values`);
    const base = g * GROUP_FRAMES * MEL_BINS;
    for (let k = 0; k < GROUP_FRAMES * MEL_BINS; k++) frames[base + k] = o.data[k] / 10 + 2;
    if (!embSess) continue;
    while (j < nEmb && GROUP_FRAMES * j + WINDOW_SKIP + WINDOW_FRAMES <= (g + 1) * GROUP_FRAMES) {
      const w0 = GROUP_FRAMES * j + WINDOW_SKIP;
      const win = frames.slice(w0 * MEL_BINS, (w0 + WINDOW_FRAMES) * MEL_BINS);
      t0 = performance.now();
      const r = await embSess.run({
        [embSess.inputNames[0]]: new ort.Tensor('float32', win, [1, WINDOW_FRAMES, MEL_BINS, 1]),
      });
      embMs += performance.now() - t0;
      const e = r[embSess.outputNames[0]];
      if (e.data.length !== EMBED_DIM)
        die(`embedding_model.onnx gave shape [${e.dims}], expected 96 values`);
      emb.set(e.data, j * EMBED_DIM);
      j++;
    }
  }

  const lines = [];
  if (mel) {
    for (let i = 0; i < nFrames; i++)
      lines.push(`${i}\t${Array.from(frames.subarray(i * MEL_BINS, (i + 1) * MEL_BINS), fmtNum).join(' ')}`);
  } else if (headSess) {
    for (let w = 0; w + HEAD_WINDOW <= nEmb; w++) {
      const x = emb.slice(w * EMBED_DIM, (w + HEAD_WINDOW) * EMBED_DIM);
      const r = await headSess.run({
        [headSess.inputNames[0]]: new ort.Tensor('float32', x, [1, HEAD_WINDOW, EMBED_DIM]),
      });
      lines.push(`${w}\t${fmtNum(r[headSess.outputNames[0]].data[0])}`);
    }
  } else {
    for (let i = 0; i < nEmb; i++)
      lines.push(`${i}\t${Array.from(emb.subarray(i * EMBED_DIM, (i + 1) * EMBED_DIM), fmtNum).join(' ')}`);
  }
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');

  if (time) {
    const sec = s.length / 16000;
    process.stderr.write(
      `ort-reference: ${sec.toFixed(2)} s audio, ${groups} mel groups, ${nEmb} embeddings; ` +
      `ms per s of audio: mel ${(melMs / sec).toFixed(2)}, embedding ${(embMs / sec).toFixed(2)}, ` +
      `total ${((melMs + embMs) / sec).toFixed(2)}\n`);
  }
}

await main();
