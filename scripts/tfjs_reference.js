// Reference outputs of TF.js graph models, computed once with the pure-JS @tensorflow/tfjs 4.22.0 (cpu backend)
// for tests/data/tfjs_reference.json. In an empty folder: npm install @tensorflow/tfjs@4.22.0, then
// node scripts/tfjs_reference.js DIR liveness:32 antispoof:128 emotion:64:1 gender:64:1
// (DIR: the package's models/ folder; NAME:SIZE[:CHANNELS], 3 channels by default)
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

function pattern(n, k) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = k === 0 ? (Math.sin(i * 0.37) + 1) / 2 : (Math.cos(i * 0.011) * Math.sin(i * 0.23) + 1) / 2;
  return x;
}

async function main() {
  await tf.setBackend('cpu');
  const dir = process.argv[2];
  const out = { tfjs: tf.version.tfjs, backend: tf.getBackend(), inputs: ['(sin(i*0.37)+1)/2', '(cos(i*0.011)*sin(i*0.23)+1)/2'], models: {} };
  for (const spec of process.argv.slice(3)) {
    const [name, size, channels] = spec.split(':');
    const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json')));
    const bin = fs.readFileSync(path.join(dir, json.weightsManifest[0].paths[0]));
    const specs = json.weightsManifest.flatMap((g) => g.weights);
    const model = await tf.loadGraphModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: specs,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy, signature: json.signature,
    }));
    const s = Number(size);
    const c = Number(channels || 3);
    out.models[name] = [];
    for (let k = 0; k < 2; k++) {
      const x = tf.tensor(pattern(s * s * c, k), [1, s, s, c]);
      const y = model.execute(x);
      out.models[name].push(Array.from(await (Array.isArray(y) ? y[0] : y).data()));
    }
  }
  console.log(JSON.stringify(out));
}
main();
