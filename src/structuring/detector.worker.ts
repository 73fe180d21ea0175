/**
 * Worker thread scoring a range of rows with one detector. The feature matrix arrives on
 * shared memory; every worker fits the same seeded model on the same sample (fitting is
 * deterministic), keeps it for the task's `fitKey`, and scores only its range. A `whole`
 * task is a small group scored exactly, off the calling thread (see `detect.ts`).
 */
import { parentPort } from 'node:worker_threads';
import { DETECTORS, runDetector, type FittedDetector, type ScoreResult } from './detectors/index.js';
import type { DetectorTask, DetectorTaskResult } from './detector-pool.js';

const fitted = new Map<string, FittedDetector>();

function modelFor(task: DetectorTask): FittedDetector {
  let model = fitted.get(task.fitKey);
  if (!model) {
    const rows = { data: task.data, n: task.data.length / task.d, d: task.d };
    model = DETECTORS[task.method].fit(rows, task.options);
    fitted.clear();
    fitted.set(task.fitKey, model);
  }
  return model;
}

parentPort?.on('message', (task: DetectorTask) => {
  try {
    const rows = {
      data: task.data.subarray(task.start * task.d, task.end * task.d),
      n: task.end - task.start,
      d: task.d,
    };
    const { scores, flags }: ScoreResult = task.whole
      ? runDetector(task.method, rows, task.options)
      : modelFor(task).score(rows);
    const result: DetectorTaskResult = { id: task.id, scores, flags };
    parentPort?.postMessage(result, [scores.buffer as ArrayBuffer, flags.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort?.postMessage({ id: task.id, error: error instanceof Error ? error.message : String(error) });
  }
});
