import { makeArtefact } from './artefact.js';
import type { DataRecord } from './dataset.js';
import { topContributions } from './explanation.js';
import type { FeatureContribution, ModelArtefact, TrainedModel } from './model.types.js';
import {
  decodeWeights,
  forward,
  networkWeights,
  weightBuffer,
  type NetworkArtefact,
  type NetworkWeights,
} from './neural-network-weights.js';
import {
  baselineRow,
  inputColumns,
  outputColumns,
  writeRow,
  type PreprocessingSpec,
} from './preprocessing.js';

/** What an NN artefact's `body` holds. */
export interface NeuralNetworkBody {
  readonly network: NetworkArtefact;
  readonly bestEpoch: number;
}

/**
 * The tabular network, scored by a pure-TS forward pass over its saved weights (batch
 * normalisation folded in, dropout off): no tfjs at scoring time.
 */
export class NeuralNetworkModel implements TrainedModel {
  readonly algorithm = 'nn' as const;
  private readonly weights: NetworkWeights;
  private readonly width: number;
  private readonly row: Float32Array;

  constructor(
    readonly preprocessing: PreprocessingSpec,
    private readonly body: NeuralNetworkBody,
    readonly threshold: number,
  ) {
    this.weights = networkWeights(decodeWeights(body.network.weightSpecs, weightBuffer(body.network)));
    this.width = outputColumns(preprocessing).length;
    this.row = new Float32Array(this.width);
  }

  /** Reads a model from its artefact. */
  static fromArtefact(artefact: ModelArtefact<NeuralNetworkBody>): NeuralNetworkModel {
    return new NeuralNetworkModel(artefact.preprocessing, artefact.body, artefact.threshold);
  }

  predict(records: readonly DataRecord[]): Float32Array {
    const scores = new Float32Array(records.length);
    const row = new Float32Array(this.width);
    records.forEach((record, i) => {
      writeRow(this.preprocessing, record, row, 0);
      scores[i] = forward(this.weights, row, 0);
    });
    return scores;
  }

  predictOne(record: DataRecord): number {
    writeRow(this.preprocessing, record, this.row, 0);
    return Math.fround(forward(this.weights, this.row, 0));
  }

  /**
   * Occlusion: a column's contribution is the drop in probability when its part of the row
   * is replaced by the training baseline (mean for numbers, category frequencies for one-hot).
   */
  explain(record: DataRecord, topK = 3): FeatureContribution[] {
    const row = new Float32Array(this.width);
    writeRow(this.preprocessing, record, row, 0);
    const score = forward(this.weights, row, 0);
    const baseline = baselineRow(this.preprocessing);
    const columns = outputColumns(this.preprocessing);
    const perInput = inputColumns(this.preprocessing).map((_, source) => {
      const occluded = row.slice();
      columns.forEach((column, i) => {
        if (column.source === source) occluded[i] = baseline[i] as number;
      });
      return score - forward(this.weights, occluded, 0);
    });
    return topContributions(this.preprocessing, record, perInput, topK);
  }

  toArtefact(): ModelArtefact<NeuralNetworkBody> {
    return makeArtefact('nn', this.threshold, this.preprocessing, this.body);
  }
}
