#!/usr/bin/env node
// face-reference.mjs — what the package the weights come from computes:
// @vladmandic/face-api's networks on tfjs's CPU backend, in node.  The
// independent reference that our forward passes are compared against:
// FaceRecognitionNet (the descriptor, models/face_embed.c) in
// tests/unit/test_face_embed.c, FaceLandmark68Net (models/face_landmarks.c)
// in tests/unit/test_face_landmarks.c.
//
//   node tests/vision/face-reference.mjs [--models DIR] [--net NET] CROP.ppm...
//
// NET: recognition (the default; CROP 150×150), landmarks or
// landmarks-tiny (CROP 112×112).  CROP: a binary PPM (P6, maxval 255),
// RGB.  Prints, per crop, "PATH<TAB>v0 v1 ..." (7 significant digits): the
// 128 descriptor values, or the 68 landmarks as x0 y0 x1 y1 ... in 0..1 of
// the crop (the network's output after face-api's postProcess).  DIR holds
// the NET's *-weights_manifest.json and its shard (default models/facerec/,
// from tools/fetch-models).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

// The bundle picks tfjs's node platform when it sees node, and that one
// needs a `util` the bundle does not carry; its browser platform works in
// node (fetch, TextEncoder are there) and we load the weights ourselves.
globalThis.window = globalThis;
globalThis.document = {};
const faceapi = await import(path.join(ROOT,
  'node_modules/@vladmandic/face-api/dist/face-api.esm.js'));
const tf = faceapi.tf;

function readPpm(file) {
  const b = fs.readFileSync(file);
  // header: P6 <ws> W <ws> H <ws> MAX <one ws> data (no comments)
  const tok = [];
  let i = 0;
  while (tok.length < 4) {
    while (i < b.length && /\s/.test(String.fromCharCode(b[i]))) i++;
    let s = '';
    while (i < b.length && !/\s/.test(String.fromCharCode(b[i]))) s += String.fromCharCode(b[i++]);
    tok.push(s);
  }
  i++;
  const [magic, w, h, max] = [tok[0], +tok[1], +tok[2], +tok[3]];
  if (magic !== 'P6' || max !== 255 || b.length - i !== w * h * 3) {
    throw new Error(`${file}: not a binary 8-bit PPM`);
  }
  return { w, h, data: b.subarray(i) };
}

const NETS = {
  recognition: { file: 'face_recognition_model', net: faceapi.nets.faceRecognitionNet },
  landmarks: { file: 'face_landmark_68_model', net: faceapi.nets.faceLandmark68Net },
  'landmarks-tiny': { file: 'face_landmark_68_tiny_model', net: faceapi.nets.faceLandmark68TinyNet },
};
let dir = path.join(ROOT, 'models', 'facerec');
let which = 'recognition';
const files = [];
for (let a = 2; a < process.argv.length; a++) {
  if (process.argv[a] === '--models') dir = process.argv[++a];
  else if (process.argv[a] === '--net') which = process.argv[++a];
  else files.push(process.argv[a]);
}
if (files.length === 0 || !NETS[which]) {
  console.error('usage: face-reference.mjs [--models DIR] [--net recognition|landmarks|'
    + 'landmarks-tiny] CROP.ppm...');
  process.exit(2);
}
const { file, net } = NETS[which];

await tf.setBackend('cpu');
await tf.ready();
const manifest = JSON.parse(fs.readFileSync(path.join(dir, `${file}-weights_manifest.json`)));
const shards = manifest[0].paths.map((p) => fs.readFileSync(path.join(dir, p)));
const buf = Buffer.concat(shards);
const weights = tf.io.decodeWeights(
  buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), manifest[0].weights);
net.loadFromWeightMap(weights);

for (const f of files) {
  const im = readPpm(f);
  const x = tf.tensor3d(Int32Array.from(im.data), [im.h, im.w, 3], 'int32');
  let v;
  if (which === 'recognition') {
    v = await net.computeFaceDescriptor(x);
  } else {
    // forward: the net's output through face-api's postProcess (for a
    // square crop: x, y in 0..1 of it)
    const out = await net.forward(x);
    v = out.dataSync();
    out.dispose();
  }
  x.dispose();
  console.log(`${f}\t${Array.from(v, (n) => n.toPrecision(7)).join(' ')}`);
}
