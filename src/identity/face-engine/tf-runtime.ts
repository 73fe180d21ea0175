import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerFileRouter } from './model-io.js';

let ready: Promise<void> | undefined;

/**
 * Selects TensorFlow.js's WASM backend (SIMD, one thread) once per thread and lets
 * `file://` model URLs load from disk. tfjs-node cannot be installed on these machines.
 */
export function initTensorflow(): Promise<void> {
  ready ??= (async () => {
    registerFileRouter();
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js WASM backend failed to start');
    await tf.ready();
    tf.enableProdMode();
  })();
  return ready;
}
