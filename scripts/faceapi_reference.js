// Reference outputs of face-api's FaceExpressionNet, computed once with @vladmandic/face-api 1.7.15 itself
// (face-api.node-wasm.js on the pure-JS tfjs 4.22.0 cpu backend) for tests/data/faceapi_reference.json.
// In an empty folder: npm install @vladmandic/face-api@1.7.15 @tensorflow/tfjs@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0
// NODE_PATH=$PWD/node_modules node scripts/faceapi_reference.js NAME=FILE.rgb ... (FILE: 112 x 112 x 3 raw RGB bytes; NAME=sin, NAME=cos: the
// patterns (sin(i*0.37)+1)/2*255 and (cos(i*0.011)*sin(i*0.23)+1)/2*255 over the 37,632 values)
const fs = require('fs');
const path = require('path');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const N = 112 * 112 * 3;

function input(spec) {
  const [name, file] = spec.split('=');
  const x = new Float32Array(N);
  if (file === 'sin') for (let i = 0; i < N; i++) x[i] = ((Math.sin(i * 0.37) + 1) / 2) * 255;
  else if (file === 'cos') for (let i = 0; i < N; i++) x[i] = ((Math.cos(i * 0.011) * Math.sin(i * 0.23) + 1) / 2) * 255;
  else {
    const raw = fs.readFileSync(file);
    if (raw.length !== N) throw new Error(`${file}: ${raw.length} bytes, expected ${N}`);
    for (let i = 0; i < N; i++) x[i] = raw[i];
  }
  return [name, x];
}

async function main() {
  await faceapi.tf.setBackend('cpu');
  await faceapi.tf.ready();
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.faceExpressionNet.loadFromDisk(dir);
  const out = {
    faceapi: faceapi.version, tfjs: faceapi.tf.version.tfjs, backend: faceapi.tf.getBackend(),
    labels: ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'], outputs: {},
  };
  for (const spec of process.argv.slice(2)) {
    const [name, x] = input(spec);
    const y = await faceapi.nets.faceExpressionNet.forward(faceapi.tf.tensor3d(x, [112, 112, 3]));
    out.outputs[name] = Array.from(await y.data());
  }
  console.log(JSON.stringify(out, null, 1));
}
main();
