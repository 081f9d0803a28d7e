#!/usr/bin/env node
// face-reference.mjs — the face descriptor computed by the package the
// weights come from: @vladmandic/face-api's FaceRecognitionNet on tfjs's
// CPU backend, in node.  The independent reference that models/face_embed.c
// (tests/tools/face-embed) is compared against in tests/unit/test_face_embed.c.
//
//   node tests/vision/face-reference.mjs [--models DIR] CROP.ppm...
//
// CROP: a 150×150 binary PPM (P6, maxval 255), RGB.  Prints, per crop,
// "PATH<TAB>v0 v1 ... v127" (7 significant digits), the format of
// face-embed.  DIR holds face_recognition_model-weights_manifest.json and
// its shard (default models/facerec/, from tools/fetch-models).
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

let dir = path.join(ROOT, 'models', 'facerec');
const files = [];
for (let a = 2; a < process.argv.length; a++) {
  if (process.argv[a] === '--models') dir = process.argv[++a];
  else files.push(process.argv[a]);
}
if (files.length === 0) {
  console.error('usage: face-reference.mjs [--models DIR] CROP.ppm...');
  process.exit(2);
}

await tf.setBackend('cpu');
await tf.ready();
const manifest = JSON.parse(fs.readFileSync(path.join(dir,
  'face_recognition_model-weights_manifest.json')));
const shards = manifest[0].paths.map((p) => fs.readFileSync(path.join(dir, p)));
const buf = Buffer.concat(shards);
const weights = tf.io.decodeWeights(
  buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), manifest[0].weights);
faceapi.nets.faceRecognitionNet.loadFromWeightMap(weights);

for (const f of files) {
  const im = readPpm(f);
  const x = tf.tensor3d(Int32Array.from(im.data), [im.h, im.w, 3], 'int32');
  const d = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(x);
  x.dispose();
  console.log(`${f}\t${Array.from(d, (v) => v.toPrecision(7)).join(' ')}`);
}
