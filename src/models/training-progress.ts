import type { ProgressCallback } from './model.types.js';

/** Reports `(epoch, loss, valLoss)` with elapsed time and an ETA to `onProgress`, if given. */
export function progressReporter(
  epochs: number,
  onProgress: ProgressCallback | undefined,
): (epoch: number, loss: number, valLoss: number) => void {
  const started = performance.now();
  return (epoch, loss, valLoss) => {
    if (!onProgress) return;
    const elapsedMs = performance.now() - started;
    onProgress({
      epoch,
      epochs,
      loss,
      valLoss,
      elapsedMs,
      etaMs: (elapsedMs / epoch) * Math.max(0, epochs - epoch),
    });
  };
}

/** Mean log loss of probabilities `p` against labels, each row weighted by `weightOf(label)`. */
export function logLoss(
  labels: Uint8Array,
  probability: (row: number) => number,
  weightOf: (label: number) => number = () => 1,
): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, probability(i)));
    const w = weightOf(labels[i] as number);
    sum -= w * (labels[i] === 1 ? Math.log(p) : Math.log(1 - p));
    total += w;
  }
  return total > 0 ? sum / total : 0;
}
