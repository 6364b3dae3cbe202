/** Browser half of tfjs-setup.ts: gradients and chained tensor methods from tfjs-core's ES modules only. */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
