import { describe, expect, it } from 'vitest';
import { forestToJson, pathContributions, rawScore } from './gbdt-forest.js';
import { trainGbdt, GBDT_DEFAULTS } from './gbdt.js';
import { generateBehavioural, BEHAVIOURAL_SCHEMA } from './generators/behavioural.generator.js';
import { modelFromArtefact } from './model.js';
import { Random } from './random.js';
import { trainModel } from './train.js';

function toyData(rows: number, seed: number) {
  const random = new Random(seed);
  const data = new Float32Array(rows * 2);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    data[r * 2] = random.next();
    data[r * 2 + 1] = random.next();
    y[r] = (data[r * 2] as number) > 0.6 && (data[r * 2 + 1] as number) < 0.5 ? 1 : 0;
  }
  return { x: { data, rows, width: 2 }, y };
}

describe('trainGbdt', () => {
  const params = { ...GBDT_DEFAULTS, nEstimators: 60 };

  it('learns an interaction and is deterministic', () => {
    const train = toyData(2_000, 1);
    const valid = toyData(500, 2);
    const a = trainGbdt(train, valid, params);
    const b = trainGbdt(train, valid, params);
    expect(forestToJson(a.forest)).toEqual(forestToJson(b.forest));
    const test = toyData(500, 3);
    let correct = 0;
    for (let r = 0; r < test.x.rows; r++) {
      const fraud = rawScore(a.forest, test.x.data, r * 2) > 0;
      if (fraud === (test.y[r] === 1)) correct += 1;
    }
    expect(correct / test.x.rows).toBeGreaterThan(0.97);
  });

  it('splits the raw score exactly into a bias and per-feature path contributions', () => {
    const { forest } = trainGbdt(toyData(1_000, 4), toyData(300, 5), params);
    const row = Float32Array.from([0.9, 0.1]);
    const { bias, contributions } = pathContributions(forest, row, 0, 2);
    expect(bias + (contributions[0] as number) + (contributions[1] as number)).toBeCloseTo(
      rawScore(forest, row, 0),
      9,
    );
    expect(contributions[0]).toBeGreaterThan(0);
  });
});

describe('GBDT model', () => {
  const records = generateBehavioural({ accounts: 150, days: 10, seed: 9, fraudAccountShare: 0.3 });
  const options = {
    records,
    algorithm: 'gbdt',
    seed: 11,
    schema: BEHAVIOURAL_SCHEMA,
    gbdt: { nEstimators: 80 },
  } as const;

  it('gives identical scores after saving and reloading, and the same model when trained twice', async () => {
    const first = await trainModel(options);
    const second = await trainModel(options);
    expect(second.model.toArtefact()).toEqual(first.model.toArtefact());
    const reloaded = modelFromArtefact(JSON.parse(JSON.stringify(first.model.toArtefact())));
    expect(reloaded.predict(records)).toEqual(first.model.predict(records));
    expect(reloaded.predictOne(records[7]!)).toBe(first.model.predict([records[7]!])[0]);
    expect(first.metrics.rocAuc).toBeGreaterThan(0.9);
  });

  it('explains a fraud score by the columns that pushed it up', async () => {
    const { model } = await trainModel(options);
    const fraud = records
      .filter((r) => r.is_fraud === 1)
      .sort((a, b) => model.predictOne(b) - model.predictOne(a))[0]!;
    const reasons = model.explain(fraud, 3);
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.length).toBeLessThanOrEqual(3);
    expect(
      reasons.every(
        (r, i) => r.contribution > 0 && (i === 0 || r.contribution <= reasons[i - 1]!.contribution),
      ),
    ).toBe(true);
    expect(Object.keys(fraud)).toContain(reasons[0]!.feature);
  });
});
