import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { initTensorflow } from './tf-runtime.js';

/** The face-api namespace (WASM build: shares `@tensorflow/tfjs` with Human). */
export type FaceApi = typeof faceapi;

/** The folder of face-api's bundled weights. */
export function faceApiModelDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

let loading: Promise<FaceApi> | undefined;

/** Loads face-api's SSD, tiny detector, 68-landmark and recognition nets once per thread. */
export function loadFaceApi(modelDir: string = faceApiModelDir()): Promise<FaceApi> {
  loading ??= (async () => {
    await initTensorflow();
    await Promise.all([
      faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir),
      faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir),
      faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir),
      faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir),
    ]);
    return faceapi;
  })();
  return loading;
}
