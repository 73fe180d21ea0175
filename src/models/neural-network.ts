import * as tf from '@tensorflow/tfjs';
import type { LabelledMatrix } from './gbdt.js';
import type { ProgressCallback } from './model.types.js';
import {
  BATCH_NORM_EPSILON,
  LAYER_NAMES,
  weightBuffer,
  type NetworkArtefact,
} from './neural-network-weights.js';

export type { NetworkArtefact } from './neural-network-weights.js';
import type { Matrix } from './preprocessing.js';
import { Random } from './random.js';
import { SeededDropout } from './seeded-dropout.layer.js';
import { logLoss, progressReporter } from './training-progress.js';

/** Hyperparameters of the tabular network (defaults: the prototype's). */
export interface NnParams {
  readonly hiddenUnits: readonly [number, number];
  readonly dropout: readonly [number, number];
  readonly learningRate: number;
  readonly batchSize: number;
  /** Most epochs. */
  readonly epochs: number;
  /** Stop after this many epochs without a better validation loss; the best weights are kept. */
  readonly patience: number;
  /** Class weight of fraud rows. */
  readonly positiveWeight: number;
}

/** Defaults of {@link NnParams}. */
export const NN_DEFAULTS = {
  hiddenUnits: [64, 32],
  dropout: [0.3, 0.2],
  learningRate: 1e-3,
  batchSize: 32,
  epochs: 20,
  patience: 5,
  positiveWeight: 10,
} as const satisfies NnParams;

/** Outcome of {@link trainNetwork}. */
export interface NetworkResult {
  readonly network: NetworkArtefact;
  readonly bestEpoch: number;
  readonly epochsRun: number;
}

/** Makes tfjs compute on its CPU backend: exact and repeatable (WASM threads and WebGL are neither). */
export async function useCpuBackend(): Promise<void> {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
}

function buildNetwork(inputs: number, params: NnParams, random: Random): tf.Sequential {
  const init = () => tf.initializers.glorotUniform({ seed: random.seed() });
  const [units1, units2] = params.hiddenUnits;
  const [hidden1, hidden2] = LAYER_NAMES.hidden;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({
        name: hidden1,
        inputShape: [inputs],
        units: units1,
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tf.layers.batchNormalization({ name: LAYER_NAMES.norm, epsilon: BATCH_NORM_EPSILON }),
      new SeededDropout({ name: 'dropout1', rate: params.dropout[0], seed: random.seed() }),
      tf.layers.dense({ name: hidden2, units: units2, activation: 'relu', kernelInitializer: init() }),
      new SeededDropout({ name: 'dropout2', rate: params.dropout[1], seed: random.seed() }),
      tf.layers.dense({
        name: LAYER_NAMES.output,
        units: 1,
        activation: 'sigmoid',
        kernelInitializer: init(),
      }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(params.learningRate), loss: 'binaryCrossentropy' });
  return model;
}

function rowsTensor(x: Matrix, order: readonly number[]): tf.Tensor2D {
  const data = new Float32Array(order.length * x.width);
  order.forEach((row, i) => data.set(x.data.subarray(row * x.width, (row + 1) * x.width), i * x.width));
  return tf.tensor2d(data, [order.length, x.width]);
}

/** Unweighted log loss of the network on `valid` (the early-stopping criterion). */
function validationLoss(model: tf.Sequential, valid: LabelledMatrix): number {
  const p = tf.tidy(() =>
    (model.predict(tf.tensor2d(valid.x.data, [valid.x.rows, valid.x.width])) as tf.Tensor).dataSync(),
  );
  return logLoss(valid.y, (i) => p[i] as number);
}

async function fitEpoch(
  model: tf.Sequential,
  train: LabelledMatrix,
  params: NnParams,
  random: Random,
): Promise<number> {
  const order = random.shuffle(Array.from({ length: train.x.rows }, (_, i) => i));
  const xs = rowsTensor(train.x, order);
  const ys = tf.tensor2d(
    Float32Array.from(order, (row) => train.y[row] as number),
    [order.length, 1],
  );
  try {
    const history = await model.fit(xs, ys, {
      batchSize: params.batchSize,
      epochs: 1,
      shuffle: false,
      verbose: 0,
      yieldEvery: 'never',
      classWeight: { 0: 1, 1: params.positiveWeight },
    });
    return Number(history.history.loss?.[0] ?? Number.NaN);
  } finally {
    tf.dispose([xs, ys]);
  }
}

/**
 * Trains the prototype's network on `train` with early stopping on `valid`, on the CPU
 * backend, deterministically under `seed` (initialisers, dropout masks and shuffling all
 * derive from it).
 */
export async function trainNetwork(
  train: LabelledMatrix,
  valid: LabelledMatrix,
  seed: number,
  params: NnParams = NN_DEFAULTS,
  onProgress?: ProgressCallback,
): Promise<NetworkResult> {
  await useCpuBackend();
  const random = new Random(seed);
  const model = buildNetwork(train.x.width, params, random);
  const report = progressReporter(params.epochs, onProgress);
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  let epoch = 0;
  try {
    while (epoch < params.epochs && epoch - best.epoch < params.patience) {
      epoch += 1;
      const loss = await fitEpoch(model, train, params, random);
      const valLoss = validationLoss(model, valid);
      if (valLoss < best.loss) {
        tf.dispose(best.weights);
        best = { loss: valLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
      }
      report(epoch, loss, valLoss);
    }
    model.setWeights(best.weights);
    return { network: await saveNetwork(model), bestEpoch: best.epoch, epochsRun: epoch };
  } finally {
    tf.dispose(best.weights);
    model.dispose();
  }
}

/** Saves a network through an in-memory tf.io handler. */
async function saveNetwork(model: tf.LayersModel): Promise<NetworkArtefact> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } });
    }),
  );
  if (!saved?.weightSpecs || !saved.weightData || !saved.modelTopology)
    throw new Error('tfjs saved no weights');
  const buffer = tf.io.CompositeArrayBuffer.join(saved.weightData);
  return {
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs.map(({ name, shape, dtype }) => ({ name, shape: [...shape], dtype })),
    weightData: Buffer.from(buffer).toString('base64'),
  };
}

/** Loads a saved network back into tfjs (to retrain or inspect it; scoring does not need tfjs). */
export async function loadNetwork(network: NetworkArtefact): Promise<tf.LayersModel> {
  const weightData = weightBuffer(network);
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: network.modelTopology,
      weightSpecs: [...network.weightSpecs] as tf.io.WeightsManifestEntry[],
      weightData,
    }),
  );
}
