import type { FaceCall, FaceCallResults, FaceEngine } from './face-engine/face-engine.js';
import { RequestQueueEngine, runCalls } from './face-engine/face-engine.js';
import { calibratedSimilarity } from './face-engine/face-similarity.js';

/** Receives the duration of each engine call, e.g. a Prometheus histogram's `observe`. */
export type ObserveInference = (
  operation: 'detect' | 'describe' | 'embed' | 'liveness',
  seconds: number,
) => void;

/** Where a {@link LazyFaceEngine} stands. */
export type EngineState = 'idle' | 'starting' | 'ready' | 'failed' | 'closed';

/**
 * A {@link FaceEngine} started on its first call, so a service that never sees a face
 * never pays the model load (~1 s, ~60 MB per worker). A failed start is retried on the
 * next call; `state` and `lastError` feed `/readyz`.
 */
export class LazyFaceEngine extends RequestQueueEngine implements FaceEngine {
  readonly model = 'faceapi-128';
  private engine: Promise<FaceEngine> | undefined;
  private current: EngineState = 'idle';
  private error: Error | undefined;

  constructor(
    private readonly start: () => Promise<FaceEngine>,
    private readonly observe: ObserveInference = () => undefined,
  ) {
    super();
  }

  get state(): EngineState {
    return this.current;
  }

  /** Why the last start failed, if it did. */
  get lastError(): Error | undefined {
    return this.error;
  }

  /** Starts the engine now (e.g. to warm it up) and waits until it is ready. */
  async ready(): Promise<FaceEngine> {
    if (this.current === 'closed') throw new Error('The face engine is closed.');
    this.engine ??= this.begin();
    return this.engine;
  }

  /** The calls of one request, handed to the engine together once it is ready; each timed. */
  runAll<const Calls extends readonly FaceCall[]>(calls: Calls): FaceCallResults<Calls> {
    const started = this.ready().then((engine) => {
      const results: readonly Promise<unknown>[] = runCalls(engine, calls);
      return calls.map((call, i) => this.timed(call.op, () => results[i] as Promise<unknown>));
    });
    return calls.map((_, i) => started.then((results) => results[i])) as unknown as FaceCallResults<Calls>;
  }

  similarity(a: Float32Array, b: Float32Array): number {
    return calibratedSimilarity(a, b);
  }

  async close(): Promise<void> {
    this.current = 'closed';
    const engine = this.engine;
    this.engine = undefined;
    if (engine) await (await engine.catch(() => undefined))?.close();
  }

  /** Times a call once the engine is ready (the model load is not inference), failures included. */
  private async timed<T>(operation: Parameters<ObserveInference>[0], call: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await call();
    } finally {
      this.observe(operation, (performance.now() - start) / 1000);
    }
  }

  /** A method, not a field test: `close()` may run while `begin` awaits. */
  private isClosed(): boolean {
    return this.current === 'closed';
  }

  private async begin(): Promise<FaceEngine> {
    this.current = 'starting';
    try {
      const engine = await this.start();
      if (this.isClosed()) {
        await engine.close();
        throw new Error('The face engine is closed.');
      }
      this.current = 'ready';
      return engine;
    } catch (error) {
      if (!this.isClosed()) this.current = 'failed';
      this.error = error instanceof Error ? error : new Error(String(error));
      this.engine = undefined;
      throw error;
    }
  }
}
