import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/basic/backend';
import { channelMatMul } from '../src/basic/layers/channel-matmul';
(async () => {
  await initBackend({ threads: 1, log: false });
  for (const L of [50, 200]) {
    const N = 128, d = 50;
    const a = tf.randomNormal([N, L, d]) as tf.Tensor3D, b = tf.randomNormal([N, d, L]) as tf.Tensor3D;
    const x = tf.randomNormal([L, d, N]) as tf.Tensor3D, f = tf.randomNormal([d, N, L]) as tf.Tensor3D;
    const time = (fn: () => tf.Tensor) => { fn().dispose(); const c0 = process.cpuUsage(); for (let i = 0; i < 5; i++) { const t = fn(); t.dataSync(); t.dispose(); } const c = process.cpuUsage(c0); return ((c.user + c.system) / 5000).toFixed(1); };
    console.log(`L=${L}: batched matMul ${time(() => tf.matMul(a, b))} ms cpu, depthwise ${time(() => channelMatMul(x, f))} ms cpu, flop ${(2*N*L*L*d/1e6).toFixed(0)} M`);
  }
})();
