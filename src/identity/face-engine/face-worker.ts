/**
 * Worker-thread entry of the face engine: loads the models once, then answers requests from
 * `FaceEngineClient` one at a time, so inference never blocks the API's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FaceEngineError } from './face-engine.js';
import { LocalFaceEngine } from './local-face-engine.js';
import type { LocalFaceEngineOptions } from './local-face-engine.js';

/** Operations a worker performs. */
export type FaceWorkerOp = 'detect' | 'describe' | 'embed' | 'liveness';

/** A request from the client. */
export interface FaceWorkerRequest {
  readonly id: number;
  readonly op: FaceWorkerOp;
  readonly image: Uint8Array;
}

/** A serialisable error. */
export interface FaceWorkerError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly details?: unknown;
}

/** A worker's answer: `ready` once after loading, then one per request. */
export type FaceWorkerResponse =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly error: FaceWorkerError }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: FaceWorkerError };

function serialise(error: unknown): FaceWorkerError {
  if (error instanceof FaceEngineError) {
    return { name: error.name, message: error.message, code: error.code, details: error.details };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message };
}

async function handle(engine: LocalFaceEngine, request: FaceWorkerRequest): Promise<unknown> {
  const image = Buffer.from(request.image.buffer, request.image.byteOffset, request.image.byteLength);
  switch (request.op) {
    case 'detect':
      return engine.detect(image);
    case 'describe':
      return engine.describe(image);
    case 'embed':
      return engine.embed(image);
    case 'liveness':
      return engine.liveness(image);
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('face-worker must run in a worker thread');
  let engine: LocalFaceEngine;
  try {
    engine = await LocalFaceEngine.create((workerData ?? {}) as Partial<LocalFaceEngineOptions>);
  } catch (error) {
    port.postMessage({ type: 'failed', error: serialise(error) } satisfies FaceWorkerResponse);
    return;
  }
  // Requests are handled strictly one after another: WASM inference is single-threaded.
  let chain = Promise.resolve();
  port.on('message', (request: FaceWorkerRequest) => {
    chain = chain.then(async () => {
      let response: FaceWorkerResponse;
      try {
        response = { type: 'result', id: request.id, ok: true, value: await handle(engine, request) };
      } catch (error) {
        response = { type: 'result', id: request.id, ok: false, error: serialise(error) };
      }
      port.postMessage(response);
    });
  });
  port.postMessage({ type: 'ready' } satisfies FaceWorkerResponse);
}

await main();
