import { describe, expect, it } from 'vitest';
import { dataHash } from './dataset.js';
import { generateBehavioural, BEHAVIOURAL_SCHEMA } from './generators/behavioural.generator.js';
import { generatePrototype, PROTOTYPE_SCHEMA } from './generators/prototype.generator.js';
import { inferSchema } from './schema-inference.js';
import { compareAlgorithms } from './compare.js';
import { trainModel } from './train.js';

describe('trainModel', () => {
  it('on the prototype data, the held-out PR-AUC is far above the base rate (GBDT)', async () => {
    const records = generatePrototype({ samples: 20_000, seed: 42 });
    const { metrics, sizes, params } = await trainModel({ records, algorithm: 'gbdt', seed: 42 });
    expect(params.schema).toEqual({
      numeric: ['amount', 'hour', 'location_match', 'user_history'],
      categorical: ['device_type', 'merchant_type'],
    });
    expect(sizes.test).toBe(4_000);
    expect(metrics.prAuc).toBeGreaterThan(3 * metrics.baseRate);
    expect(metrics.rocAuc).toBeGreaterThan(0.6);
  });

  it('on the prototype data, the held-out PR-AUC is far above the base rate (NN)', async () => {
    const records = generatePrototype({ samples: 10_000, seed: 42 });
    const { metrics } = await trainModel({
      records,
      algorithm: 'nn',
      seed: 42,
      epochs: 4,
      schema: PROTOTYPE_SCHEMA,
    });
    expect(metrics.prAuc).toBeGreaterThan(3 * metrics.baseRate);
  });

  it('reports the held-out metrics, the parameters and a hash of the data', async () => {
    const records = generateBehavioural({ accounts: 80, days: 8, seed: 2, fraudAccountShare: 0.3 });
    const result = await trainModel({ records, algorithm: 'gbdt', seed: 1, gbdt: { nEstimators: 40 } });
    expect(result.params.schema).toEqual(inferSchema(records, 'is_fraud'));
    expect(new Set(result.params.schema.numeric)).toEqual(
      new Set([...BEHAVIOURAL_SCHEMA.numeric, 'balance']),
    );
    expect(result.dataHash).toBe(dataHash(records, 'is_fraud'));
    expect(result.dataHash).toMatch(/^[0-9a-f]{64}$/);
    expect(dataHash(records.slice(1), 'is_fraud')).not.toBe(result.dataHash);
    expect(result.sizes.train + result.sizes.validation + result.sizes.test).toBe(records.length);
    expect(result.metrics.samples).toBe(result.sizes.test);
  });
});

describe('compareAlgorithms', () => {
  it('trains each algorithm on the same split and ranks them by PR-AUC', async () => {
    const records = generatePrototype({ samples: 1_500, seed: 8 });
    const rows = await compareAlgorithms(records, { seed: 3, schema: PROTOTYPE_SCHEMA, epochs: 1 });
    expect(rows.map((r) => r.algorithm).sort()).toEqual(['gbdt', 'nn']);
    expect(rows[0]!.prAuc).toBeGreaterThanOrEqual(rows[1]!.prAuc);
    expect(rows[0]!.sizes).toEqual(rows[1]!.sizes);
  });
});
