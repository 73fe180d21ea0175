import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FaceCall, FaceCallResults, FaceEngine, FaceErrorCode } from './face-engine.js';
import { FACE_ERROR_CODES, FaceEngineError, RequestQueueEngine } from './face-engine.js';
import { calibratedSimilarity } from './face-similarity.js';
import type { FaceWorkerError, FaceWorkerOp, FaceWorkerRequest, FaceWorkerResponse } from './face-worker.js';
import type { LocalFaceEngineOptions } from './local-face-engine.js';

/** Options of {@link FaceEngineClient}. */
export interface FaceEngineClientOptions {
  /** Worker threads, each with its own copy of the models (~60 MB). Default 1. */
  readonly workers: number;
  /**
   * Requests waiting for a worker beyond which calls fail fast with `ENGINE_BUSY`. Default 16.
   * A request is the calls of one {@link FaceEngineClient.runAll} (or one single call).
   */
  readonly maxQueue: number;
  /** Engine options handed to every worker (must be structured-cloneable). Default none. */
  readonly engine: Partial<LocalFaceEngineOptions>;
}

/** Defaults of {@link FaceEngineClientOptions}. */
export const DEFAULT_CLIENT_OPTIONS = {
  workers: 1,
  maxQueue: 16,
  engine: {},
} as const satisfies FaceEngineClientOptions;

interface Job {
  readonly id: number;
  /** The request (one {@link FaceEngineClient.runAll}) the job is a call of. */
  readonly request: number;
  readonly op: FaceWorkerOp;
  readonly image: Uint8Array;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

/**
 * Starts the worker script beside this file: `face-worker.js` once compiled; under tsx or
 * vitest (this file is `.ts`) a small bootstrap loads `face-worker.ts` through tsx's API,
 * because `execArgv: ['--import', 'tsx']` does not apply to a worker's entry on Node 20.
 */
function createWorker(workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./face-worker.js', import.meta.url), { workerData });
  const api = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./face-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData });
}

function toError(e: FaceWorkerError): Error {
  if (e.code && (FACE_ERROR_CODES as readonly string[]).includes(e.code)) {
    return new FaceEngineError(e.code as FaceErrorCode, e.message, { details: e.details });
  }
  const error = new Error(e.message);
  error.name = e.name;
  return error;
}

/**
 * A {@link FaceEngine} backed by a pool of worker threads with a bounded queue: calls return
 * promises and never block the event loop. Start with {@link FaceEngineClient.start}.
 *
 * @example
 * const engine = await FaceEngineClient.start({ workers: 1 });
 * const a = await engine.embed(photoA);
 * const b = await engine.embed(photoB);
 * const match = engine.similarity(a.descriptor, b.descriptor) >= 80;
 */
export class FaceEngineClient extends RequestQueueEngine implements FaceEngine {
  readonly model = 'faceapi-128';
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private nextRequest = 1;
  private closed = false;

  private constructor(private readonly options: FaceEngineClientOptions) {
    super();
  }

  /** Starts the workers and waits until every one has loaded its models. */
  static async start(options: Partial<FaceEngineClientOptions> = {}): Promise<FaceEngineClient> {
    const client = new FaceEngineClient({ ...DEFAULT_CLIENT_OPTIONS, ...options });
    try {
      await Promise.all(Array.from({ length: Math.max(1, client.options.workers) }, () => client.spawn()));
    } catch (error) {
      await client.close();
      throw error;
    }
    return client;
  }

  /** Queues the calls of one request together, or refuses them all when the queue is full. */
  runAll<const Calls extends readonly FaceCall[]>(calls: Calls): FaceCallResults<Calls> {
    const refusal = this.refusal();
    const request = this.nextRequest++;
    const results = calls.map((call) => (refusal ? Promise.reject(refusal) : this.enqueue(request, call)));
    this.dispatch();
    return results as unknown as FaceCallResults<Calls>;
  }

  similarity(a: Float32Array, b: Float32Array): number {
    return calibratedSimilarity(a, b);
  }

  /** Rejects queued and running requests with `ENGINE_CLOSED` and stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    const closedError = (): FaceEngineError =>
      new FaceEngineError('ENGINE_CLOSED', 'The face engine is closed.');
    for (const job of this.queue.splice(0)) job.reject(closedError());
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.job?.reject(closedError());
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /** Why a new request is refused now, if it is: the engine is closed, or its queue full. */
  private refusal(): FaceEngineError | undefined {
    if (this.closed) return new FaceEngineError('ENGINE_CLOSED', 'The face engine is closed.');
    if (this.waitingRequests() < this.options.maxQueue) return undefined;
    return new FaceEngineError('ENGINE_BUSY', 'Too many face requests are waiting; retry later.');
  }

  /** Requests with a call still waiting for a worker. */
  private waitingRequests(): number {
    return new Set(this.queue.map((job) => job.request)).size;
  }

  private enqueue(request: number, { op, image }: FaceCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, op, image: new Uint8Array(image), resolve, reject });
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      const job = this.queue.shift();
      if (!job) return;
      slot.job = job;
      const request: FaceWorkerRequest = { id: job.id, op: job.op, image: job.image };
      slot.worker.postMessage(request, [job.image.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Promise<void> {
    const worker = createWorker(this.options.engine);
    const slot: Slot = { worker, job: undefined };
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FaceWorkerResponse) => {
        if (message.type === 'ready') {
          this.slots.push(slot);
          resolve();
          this.dispatch();
        } else if (message.type === 'failed') {
          reject(toError(message.error));
          void worker.terminate();
        } else this.settle(slot, message);
      });
      worker.on('error', (error) => {
        reject(error);
        this.lose(slot, error);
      });
      worker.on('exit', (code) => this.lose(slot, new Error(`face worker exited with code ${code}`)));
    });
  }

  private settle(slot: Slot, message: Extract<FaceWorkerResponse, { type: 'result' }>): void {
    const job = slot.job;
    slot.job = undefined;
    if (job && job.id === message.id) {
      if (message.ok) job.resolve(message.value);
      else job.reject(toError(message.error));
    }
    this.dispatch();
  }

  /** A worker died: fail its request and start a replacement. */
  private lose(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    slot.job?.reject(error);
    slot.job = undefined;
    if (!this.closed) this.spawn().catch(() => undefined);
  }
}
