import { makeArtefact } from './artefact.js';
import type { DataRecord } from './dataset.js';
import { foldToInputs, topContributions } from './explanation.js';
import {
  forestFromJson,
  forestToJson,
  pathContributions,
  rawScore,
  type Forest,
  type ForestJson,
} from './gbdt-forest.js';
import type { FeatureContribution, ModelArtefact, TrainedModel } from './model.types.js';
import { outputColumns, writeRow, type PreprocessingSpec } from './preprocessing.js';

/** What a GBDT artefact's `body` holds. */
export interface GbdtBody {
  readonly forest: ForestJson;
  readonly bestRound: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** A gradient-boosted trees model: flattened forest over preprocessed rows. */
export class GbdtModel implements TrainedModel {
  readonly algorithm = 'gbdt' as const;
  private readonly width: number;
  private readonly row: Float32Array;

  constructor(
    readonly preprocessing: PreprocessingSpec,
    readonly forest: Forest,
    readonly threshold: number,
    private readonly bestRound: number,
  ) {
    this.width = outputColumns(preprocessing).length;
    this.row = new Float32Array(this.width);
  }

  /** Reads a model from its artefact. */
  static fromArtefact(artefact: ModelArtefact<GbdtBody>): GbdtModel {
    return new GbdtModel(
      artefact.preprocessing,
      forestFromJson(artefact.body.forest),
      artefact.threshold,
      artefact.body.bestRound,
    );
  }

  predict(records: readonly DataRecord[]): Float32Array {
    const scores = new Float32Array(records.length);
    const row = new Float32Array(this.width);
    records.forEach((record, i) => {
      writeRow(this.preprocessing, record, row, 0);
      scores[i] = sigmoid(rawScore(this.forest, row, 0));
    });
    return scores;
  }

  predictOne(record: DataRecord): number {
    writeRow(this.preprocessing, record, this.row, 0);
    return Math.fround(sigmoid(rawScore(this.forest, this.row, 0)));
  }

  /** Contributions are log-odds from Saabas path attribution. */
  explain(record: DataRecord, topK = 3): FeatureContribution[] {
    const row = new Float32Array(this.width);
    writeRow(this.preprocessing, record, row, 0);
    const { contributions } = pathContributions(this.forest, row, 0, this.width);
    return topContributions(
      this.preprocessing,
      record,
      foldToInputs(this.preprocessing, contributions),
      topK,
    );
  }

  toArtefact(): ModelArtefact<GbdtBody> {
    return makeArtefact('gbdt', this.threshold, this.preprocessing, {
      forest: forestToJson(this.forest),
      bestRound: this.bestRound,
    });
  }
}
