import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { generatePrototype, PROTOTYPE_SCHEMA } from './generators/prototype.generator.js';
import { modelFromArtefact } from './model.js';
import { loadNetwork, type NetworkArtefact } from './neural-network.js';
import type { NeuralNetworkBody } from './neural-network-model.js';
import { transform } from './preprocessing.js';
import { trainModel } from './train.js';

const records = generatePrototype({ samples: 2_500, seed: 21 });
const options = { records, algorithm: 'nn', seed: 5, epochs: 2, schema: PROTOTYPE_SCHEMA } as const;

function networkOf(body: unknown): NetworkArtefact {
  return (body as NeuralNetworkBody).network;
}

describe('neural network model', () => {
  it('trains to the same weights under the same seed and to others under another', async () => {
    const progress: number[] = [];
    const first = await trainModel({ ...options, onProgress: (p) => progress.push(p.epoch) });
    const second = await trainModel(options);
    const other = await trainModel({ ...options, seed: 6 });
    const weights = (result: typeof first) => networkOf(result.model.toArtefact().body).weightData;
    expect(weights(second)).toBe(weights(first));
    expect(weights(other)).not.toBe(weights(first));
    expect(progress).toEqual([1, 2]);
  });

  it('scores identically after saving and reloading, and as tfjs does', async () => {
    const { model } = await trainModel(options);
    const artefact = JSON.parse(JSON.stringify(model.toArtefact())) as ReturnType<typeof model.toArtefact>;
    const reloaded = modelFromArtefact(artefact);
    const sample = records.slice(0, 300);
    const scores = model.predict(sample);
    expect(reloaded.predict(sample)).toEqual(scores);
    expect(reloaded.predictOne(sample[3]!)).toBe(scores[3]);

    const network = await loadNetwork(networkOf(artefact.body));
    const { data, rows, width } = transform(model.preprocessing, sample);
    const tfScores = tf.tidy(() =>
      (network.predict(tf.tensor2d(data, [rows, width])) as tf.Tensor).dataSync(),
    );
    network.dispose();
    scores.forEach((score, i) => expect(score).toBeCloseTo(tfScores[i] as number, 5));
  });

  it('explains by occlusion', async () => {
    const { model } = await trainModel(options);
    const risky = {
      amount: 3000,
      hour: 2,
      merchant_type: 'online',
      user_history: 0,
      device_type: 'mobile',
      location_match: 0,
    };
    const reasons = model.explain(risky, 2);
    expect(reasons.length).toBeLessThanOrEqual(2);
    expect(reasons.every((r) => r.contribution > 0)).toBe(true);
  });
});
