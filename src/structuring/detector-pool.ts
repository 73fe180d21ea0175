/** A small pool of worker threads that score row ranges with a detector fitted on a sample. */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../shared/worker-thread.js';
import type { MethodName } from './detectors/index.js';

/** One range of rows to score; `data` is shared memory holding every row (n × d). */
export interface DetectorTask {
  readonly id: number;
  readonly method: MethodName;
  readonly options: Readonly<Record<string, unknown>>;
  /** Same key ⇒ same fitted model: a worker fits once per key. */
  readonly fitKey: string;
  readonly data: Float64Array;
  readonly d: number;
  readonly start: number;
  readonly end: number;
  /**
   * Score every row with the detector's exact `fitScore` (rows [start, end) must be all of
   * them), as a small group is scored in the calling thread; `fitKey` is then unused.
   */
  readonly whole?: boolean;
}

export interface DetectorTaskResult {
  readonly id: number;
  readonly scores: Float64Array;
  readonly flags: Uint8Array;
  readonly error?: string;
}

interface Slot {
  readonly worker: Worker;
  pending?: { resolve: (r: DetectorTaskResult) => void; reject: (e: Error) => void };
}

/** Worker threads scoring chunks; tasks queue and go to the first idle worker. */
export class DetectorPool {
  private readonly slots: Slot[];
  private readonly queue: { slot: (s: Slot) => void; fail: (error: Error) => void }[] = [];
  private nextId = 0;

  constructor(readonly size: number) {
    this.slots = Array.from({ length: size }, () => this.startSlot());
  }

  private startSlot(): Slot {
    const slot: Slot = { worker: startWorker(new URL('./detector.worker', import.meta.url)) };
    slot.worker.on('message', (result: DetectorTaskResult) => {
      const pending = slot.pending;
      slot.pending = undefined;
      if (result.error) pending?.reject(new Error(result.error));
      else pending?.resolve(result);
      this.queue.shift()?.slot(slot);
    });
    // A crashed worker fails its task and everything queued: nothing would run them.
    slot.worker.on('error', (error) => {
      slot.pending?.reject(error);
      for (const queued of this.queue.splice(0)) queued.fail(error);
    });
    return slot;
  }

  /** Scores rows [start, end) of `data` in a worker. */
  run(task: Omit<DetectorTask, 'id'>): Promise<DetectorTaskResult> {
    return new Promise((resolve, reject) => {
      const send = (slot: Slot) => {
        slot.pending = { resolve, reject };
        slot.worker.postMessage({ ...task, id: this.nextId++ });
      };
      const idle = this.slots.find((s) => !s.pending);
      if (idle) send(idle);
      else this.queue.push({ slot: send, fail: reject });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
