/** Counts at a threshold: a score >= threshold is predicted fraud. */
export interface ConfusionMatrix {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** One bin of a calibration table; mean and rate are null for an empty bin. */
export interface CalibrationBin {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  readonly meanPredicted: number | null;
  readonly observedRate: number | null;
}

/** Everything the evaluation reports, as plain JSON. */
export interface EvaluationReport {
  readonly samples: number;
  readonly positives: number;
  readonly baseRate: number;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly recallAt1PctFpr: number;
  readonly confusion: ConfusionMatrix;
  readonly calibration: readonly CalibrationBin[];
}

type Labels = ArrayLike<number>;
type Scores = ArrayLike<number>;

/** Indices ordered by descending score (ties by index, so results are deterministic). */
function descending(scores: Scores): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number) || a - b,
  );
}

/**
 * Visits each distinct threshold from the highest score down with the cumulative true and
 * false positives of predicting fraud at or above it.
 */
function sweep(labels: Labels, scores: Scores, visit: (tp: number, fp: number) => void): void {
  const order = descending(scores);
  let tp = 0;
  let fp = 0;
  order.forEach((index, k) => {
    if (labels[index] === 1) tp += 1;
    else fp += 1;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[index]) visit(tp, fp);
  });
}

function classCounts(labels: Labels): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives += 1;
  return { positives, negatives: labels.length - positives };
}

/** Area under the ROC curve (ties count half); NaN when a class is absent. */
export function rocAuc(labels: Labels, scores: Scores): number {
  const { positives, negatives } = classCounts(labels);
  if (positives === 0 || negatives === 0) return Number.NaN;
  let area = 0;
  let lastTp = 0;
  let lastFp = 0;
  sweep(labels, scores, (tp, fp) => {
    area += ((fp - lastFp) * (tp + lastTp)) / 2; // trapezoid: ties are a diagonal step
    lastTp = tp;
    lastFp = fp;
  });
  return area / (positives * negatives);
}

/** Average precision (PR-AUC as a step sum: Σ (R_k − R_{k−1}) · P_k); NaN without positives. */
export function averagePrecision(labels: Labels, scores: Scores): number {
  const { positives } = classCounts(labels);
  if (positives === 0) return Number.NaN;
  let sum = 0;
  let lastTp = 0;
  sweep(labels, scores, (tp, fp) => {
    sum += ((tp - lastTp) / positives) * (tp / (tp + fp));
    lastTp = tp;
  });
  return sum;
}

/** Highest recall at a threshold whose false-positive rate is at most `maxFpr`. */
export function recallAtFpr(labels: Labels, scores: Scores, maxFpr = 0.01): number {
  const { positives, negatives } = classCounts(labels);
  if (positives === 0) return Number.NaN;
  let best = 0;
  sweep(labels, scores, (tp, fp) => {
    if (negatives === 0 || fp / negatives <= maxFpr) best = Math.max(best, tp / positives);
  });
  return best;
}

/** Confusion matrix at `threshold` (score >= threshold is fraud). */
export function confusionMatrix(labels: Labels, scores: Scores, threshold: number): ConfusionMatrix {
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predicted = (scores[i] as number) >= threshold;
    const key = labels[i] === 1 ? (predicted ? 'tp' : 'fn') : predicted ? 'fp' : 'tn';
    counts[key] += 1;
  }
  return counts;
}

/** Precision, recall and F1 of a confusion matrix (0 where undefined). */
export function precisionRecallF1(m: ConfusionMatrix): { precision: number; recall: number; f1: number } {
  const precision = m.tp + m.fp > 0 ? m.tp / (m.tp + m.fp) : 0;
  const recall = m.tp + m.fn > 0 ? m.tp / (m.tp + m.fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1 };
}

/** Calibration table: `bins` equal-width score bins, the last one closed at 1. */
export function calibrationTable(labels: Labels, scores: Scores, bins = 10): CalibrationBin[] {
  const count = new Array<number>(bins).fill(0);
  const predicted = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const score = scores[i] as number;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(score * bins)));
    count[bin] = (count[bin] as number) + 1;
    predicted[bin] = (predicted[bin] as number) + score;
    observed[bin] = (observed[bin] as number) + (labels[i] === 1 ? 1 : 0);
  }
  return count.map((n, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: n,
    meanPredicted: n > 0 ? (predicted[b] as number) / n : null,
    observedRate: n > 0 ? (observed[b] as number) / n : null,
  }));
}

/** The full evaluation of scores against labels at the operating threshold. */
export function evaluate(labels: Labels, scores: Scores, threshold: number): EvaluationReport {
  const { positives } = classCounts(labels);
  const confusion = confusionMatrix(labels, scores, threshold);
  return {
    samples: labels.length,
    positives,
    baseRate: labels.length > 0 ? positives / labels.length : Number.NaN,
    rocAuc: rocAuc(labels, scores),
    prAuc: averagePrecision(labels, scores),
    threshold,
    ...precisionRecallF1(confusion),
    recallAt1PctFpr: recallAtFpr(labels, scores, 0.01),
    confusion,
    calibration: calibrationTable(labels, scores),
  };
}
