import type { DataRecord } from './dataset.js';
import type { Algorithm } from './model.types.js';
import type { FeatureSchema } from './preprocessing.js';
import { trainModel, type TrainOptions } from './train.js';

/** One algorithm's held-out results in {@link compareAlgorithms}. */
export interface ComparisonRow {
  readonly algorithm: Algorithm;
  readonly rocAuc: number;
  readonly prAuc: number;
  readonly f1: number;
  readonly recallAt1PctFpr: number;
  readonly baseRate: number;
  readonly sizes: { readonly train: number; readonly validation: number; readonly test: number };
  readonly trainingMs: number;
  readonly bestIteration: number;
}

/**
 * Trains each algorithm on the same records with the same seed (hence the same split) and
 * returns their held-out metrics, best PR-AUC first.
 */
export async function compareAlgorithms(
  records: readonly DataRecord[],
  options: { readonly seed?: number; readonly schema?: FeatureSchema; readonly epochs?: number } = {},
  algorithms: readonly Algorithm[] = ['nn', 'gbdt'],
  train: (options: TrainOptions) => ReturnType<typeof trainModel> = trainModel,
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const algorithm of algorithms) {
    const result = await train({ records, algorithm, ...options });
    const { rocAuc, prAuc, f1, recallAt1PctFpr, baseRate } = result.metrics;
    const { sizes, trainingMs } = result;
    rows.push({
      algorithm,
      rocAuc,
      prAuc,
      f1,
      recallAt1PctFpr,
      baseRate,
      sizes,
      trainingMs,
      bestIteration: result.params.bestIteration,
    });
  }
  return rows.sort((a, b) => b.prAuc - a.prAuc);
}
