import type { DataRecord } from './dataset.js';
import type { PreprocessingSpec } from './preprocessing.js';

/** Learning algorithms. */
export type Algorithm = 'nn' | 'gbdt';

/** Progress of a training run, reported after each epoch (NN) or tree (GBDT). */
export interface TrainingProgress {
  /** 1-based epoch or boosting round. */
  readonly epoch: number;
  /** The most epochs/rounds the run may take (early stopping may end it sooner). */
  readonly epochs: number;
  /** Training loss (class-weighted log loss). */
  readonly loss: number;
  /** Validation loss (unweighted log loss), the early-stopping criterion. */
  readonly valLoss: number;
  readonly elapsedMs: number;
  /** Estimated time left if the run goes to `epochs`. */
  readonly etaMs: number;
}

/** Called with training progress. */
export type ProgressCallback = (progress: TrainingProgress) => void;

/** An input column's part in one score. */
export interface FeatureContribution {
  /** Input column name (a one-hot group counts as its categorical column). */
  readonly feature: string;
  /** The record's value of that column. */
  readonly value: number | string | boolean | null;
  /** How much the column moved the score: log-odds (GBDT path attribution) or probability (NN occlusion). */
  readonly contribution: number;
}

/** A serialised model: plain JSON, self-contained (preprocessing included). */
export interface ModelArtefact<Body = unknown> {
  readonly format: 'centinela-model';
  readonly formatVersion: 1;
  readonly algorithm: Algorithm;
  /** Operating threshold: a score >= threshold is fraud. */
  readonly threshold: number;
  readonly preprocessing: PreprocessingSpec;
  readonly body: Body;
}

/**
 * A trained fraud model. Scoring is pure and synchronous: safe to share across requests.
 */
export interface TrainedModel {
  readonly algorithm: Algorithm;
  readonly threshold: number;
  readonly preprocessing: PreprocessingSpec;
  /** Fraud probabilities of the records, in order. */
  predict(records: readonly DataRecord[]): Float32Array;
  /** Fraud probability of one record (the single-transaction path). */
  predictOne(record: DataRecord): number;
  /** The `topK` input columns that pushed this record's score up the most (positive contributions only). */
  explain(record: DataRecord, topK?: number): FeatureContribution[];
  /** The model as JSON-serialisable data; {@link modelFromArtefact} reads it back. */
  toArtefact(): ModelArtefact;
}
