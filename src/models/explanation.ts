import type { DataRecord } from './dataset.js';
import type { FeatureContribution } from './model.types.js';
import { inputColumns, outputColumns, type PreprocessingSpec } from './preprocessing.js';

/**
 * Sums per-output-column contributions into input columns (a one-hot group and a missing
 * indicator count for their column) and keeps the `topK` largest positive ones.
 */
export function topContributions(
  spec: PreprocessingSpec,
  record: DataRecord,
  perInput: ArrayLike<number>,
  topK: number,
): FeatureContribution[] {
  return inputColumns(spec)
    .map((feature, i) => ({ feature, value: record[feature] ?? null, contribution: perInput[i] as number }))
    .filter((item) => item.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || (a.feature < b.feature ? -1 : 1))
    .slice(0, topK);
}

/** Folds contributions of output columns onto their input columns. */
export function foldToInputs(spec: PreprocessingSpec, perOutput: ArrayLike<number>): Float64Array {
  const columns = outputColumns(spec);
  const perInput = new Float64Array(inputColumns(spec).length);
  columns.forEach((column, i) => {
    perInput[column.source] = (perInput[column.source] as number) + (perOutput[i] as number);
  });
  return perInput;
}
