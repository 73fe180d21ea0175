import { dataHash, labelsOf, stratifiedSplit, type DataRecord } from './dataset.js';
import { GBDT_DEFAULTS, trainGbdt, type GbdtParams, type LabelledMatrix } from './gbdt.js';
import { GbdtModel } from './gbdt-model.js';
import { evaluate, type EvaluationReport } from './metrics.js';
import type { Algorithm, ProgressCallback, TrainedModel } from './model.types.js';
import { NN_DEFAULTS, trainNetwork, type NnParams } from './neural-network.js';
import { NeuralNetworkModel } from './neural-network-model.js';
import { fitPreprocessing, transform, type FeatureSchema, type PreprocessingSpec } from './preprocessing.js';
import { Random } from './random.js';
import { inferSchema } from './schema-inference.js';

/** The algorithm used when none is asked for: GBDT evaluated better than the network on both generators. */
export const DEFAULT_ALGORITHM: Algorithm = 'gbdt';

/** Options of {@link trainModel}. */
export interface TrainOptions {
  readonly records: readonly DataRecord[];
  /** Label column (fraud = 1/true/"fraud"). Default `is_fraud`. */
  readonly labelField?: string;
  /** Default {@link DEFAULT_ALGORITHM}. */
  readonly algorithm?: Algorithm;
  /** Seed of the split, initialisation, dropout and shuffling. Default 42. */
  readonly seed?: number;
  /** Most NN epochs (overrides `nn.epochs`). Default 20. */
  readonly epochs?: number;
  /** Input columns; inferred from the records when absent. */
  readonly schema?: FeatureSchema;
  /** Operating threshold. Default 0.7. */
  readonly threshold?: number;
  /** Held-out share for the reported metrics. Default 0.2. */
  readonly testFraction?: number;
  /** Share of the training part used for early stopping. Default 0.2. */
  readonly validationFraction?: number;
  readonly nn?: Partial<NnParams>;
  readonly gbdt?: Partial<GbdtParams>;
  readonly onProgress?: ProgressCallback;
}

/** Everything needed to reproduce a training run. */
export interface TrainingParams {
  readonly algorithm: Algorithm;
  readonly labelField: string;
  readonly seed: number;
  readonly threshold: number;
  readonly testFraction: number;
  readonly validationFraction: number;
  readonly schema: FeatureSchema;
  readonly hyperparameters: NnParams | GbdtParams;
  /** Best epoch (NN) or boosting round (GBDT) kept by early stopping. */
  readonly bestIteration: number;
}

/** Outcome of {@link trainModel}. */
export interface TrainResult {
  readonly model: TrainedModel;
  /** Evaluation on the held-out split. */
  readonly metrics: EvaluationReport;
  readonly params: TrainingParams;
  /** SHA-256 of the canonical training data (all records given, with the label field name). */
  readonly dataHash: string;
  readonly sizes: { readonly train: number; readonly validation: number; readonly test: number };
  readonly trainingMs: number;
}

function pick<T>(records: readonly T[], indices: readonly number[]): T[] {
  return indices.map((i) => records[i] as T);
}

/**
 * Trains a fraud model: stratified held-out split (test), a stratified validation split of
 * the rest for early stopping, preprocessing fitted on the training part, then NN or GBDT.
 * Deterministic under `seed`.
 *
 * @example const { model, metrics } = await trainModel({ records, algorithm: 'gbdt', seed: 7 });
 */
export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const { records, labelField = 'is_fraud', seed = 42, threshold = 0.7 } = options;
  const { testFraction = 0.2, validationFraction = 0.2, algorithm = DEFAULT_ALGORITHM } = options;
  const schema = options.schema ?? inferSchema(records, labelField);
  const random = new Random(seed);
  const parts = splitData(records, labelField, testFraction, validationFraction, random);
  const preprocessing = fitPreprocessing(parts.train, schema);
  const data = (rows: readonly DataRecord[]): LabelledMatrix => ({
    x: transform(preprocessing, rows),
    y: labelsOf(rows, labelField),
  });
  const [fit, valid] = [data(parts.fit), data(parts.validation)];
  const started = performance.now();
  const trained = await fitAlgorithm(algorithm, {
    preprocessing,
    fit,
    valid,
    threshold,
    seed: random.seed(),
    options,
  });
  const trainingMs = performance.now() - started;
  const { bestIteration, hyperparameters } = trained;
  return {
    model: trained.model,
    metrics: evaluate(labelsOf(parts.test, labelField), trained.model.predict(parts.test), threshold),
    params: {
      algorithm,
      labelField,
      seed,
      threshold,
      testFraction,
      validationFraction,
      schema,
      hyperparameters,
      bestIteration,
    },
    dataHash: dataHash(records, labelField),
    sizes: { train: parts.fit.length, validation: parts.validation.length, test: parts.test.length },
    trainingMs,
  };
}

/** Held-out test part, and the training part split again into fitting and validation rows. */
function splitData(
  records: readonly DataRecord[],
  labelField: string,
  testFraction: number,
  validationFraction: number,
  random: Random,
) {
  const outer = stratifiedSplit(labelsOf(records, labelField), testFraction, random);
  const train = pick(records, outer.train);
  const inner = stratifiedSplit(labelsOf(train, labelField), validationFraction, random);
  return {
    train,
    fit: pick(train, inner.train),
    validation: pick(train, inner.test),
    test: pick(records, outer.test),
  };
}

interface FitInput {
  readonly preprocessing: PreprocessingSpec;
  readonly fit: LabelledMatrix;
  readonly valid: LabelledMatrix;
  readonly threshold: number;
  readonly seed: number;
  readonly options: TrainOptions;
}

interface Fitted {
  readonly model: TrainedModel;
  readonly hyperparameters: NnParams | GbdtParams;
  readonly bestIteration: number;
}

async function fitAlgorithm(algorithm: Algorithm, input: FitInput): Promise<Fitted> {
  const { preprocessing, fit, valid, threshold, seed, options } = input;
  if (algorithm === 'gbdt') {
    const hyperparameters: GbdtParams = { ...GBDT_DEFAULTS, ...options.gbdt };
    const result = trainGbdt(fit, valid, hyperparameters, options.onProgress);
    return {
      model: new GbdtModel(preprocessing, result.forest, threshold, result.bestRound),
      hyperparameters,
      bestIteration: result.bestRound,
    };
  }
  const hyperparameters: NnParams = {
    ...NN_DEFAULTS,
    ...options.nn,
    ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
  };
  const result = await trainNetwork(fit, valid, seed, hyperparameters, options.onProgress);
  const body = { network: result.network, bestEpoch: result.bestEpoch };
  return {
    model: new NeuralNetworkModel(preprocessing, body, threshold),
    hyperparameters,
    bestIteration: result.bestEpoch,
  };
}
