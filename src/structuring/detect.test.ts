import { afterAll, describe, expect, it } from 'vitest';
import { detectGroup, fillMissing, RUN_DETECTOR_OPTIONS } from './detect.js';
import { DetectorPool } from './detector-pool.js';
import { DETECTORS, mulberry32 } from './detectors/index.js';
import { FEATURES } from './structuring.js';
import { sharedFloat64 } from './windows.js';

const d = FEATURES.length;

function windows(n: number): Float64Array {
  const gen = mulberry32(9);
  const data = sharedFloat64(n * d);
  for (let p = 0; p < data.length; p++) data[p] = (gen.nextUint32() / 2 ** 32) * (1 + (p % d));
  data.fill(100, 0, d); // window 0 is extreme in every feature
  return data;
}

describe('detectGroup', () => {
  const pool = new DetectorPool(2);
  afterAll(() => pool.close());

  it('scores chunks in worker threads exactly as one fitted model scores every row', async () => {
    const features = windows(3000);
    const methods = ['iforest', 'ecod', 'gmm'] as const;
    const result = await detectGroup(features.slice(), {
      methods,
      seed: 4,
      windowHours: 24,
      pool,
      parallelFrom: 1000,
      chunk: 700,
    });
    // gmm sees standardised features; iforest and ecod see them as they are.
    for (const method of ['iforest', 'ecod'] as const) {
      const options = { ...RUN_DETECTOR_OPTIONS[method], seed: 4 };
      const rows = { data: features, n: 3000, d };
      const expected = DETECTORS[method].fit(rows, options).score(rows);
      expect(Array.from(result.results.get(method)!.scores)).toEqual(Array.from(expected.scores));
      expect(Array.from(result.results.get(method)!.flags)).toEqual(Array.from(expected.flags));
    }
    const votes = Array.from(result.votes);
    const sum = methods.map((m) => result.results.get(m)!.flags);
    expect(votes).toEqual(votes.map((_, i) => sum.reduce((a, f) => a + f[i]!, 0)));
    expect(result.votes[0]).toBeGreaterThanOrEqual(2);
  });

  it('scores a small group in a worker thread when asked, exactly as this thread does', async () => {
    const features = windows(600);
    const methods = ['rules', 'zscore', 'iforest', 'lof', 'dbscan', 'gmm', 'ecod'] as const;
    const sent: string[] = [];
    const recording = {
      run: (task: Parameters<DetectorPool['run']>[0]) => {
        sent.push(`${task.method}:${task.whole === true}:${task.start}-${task.end}`);
        return pool.run(task);
      },
    } as DetectorPool;
    const options = { methods, seed: 4, windowHours: 24 };
    const here = await detectGroup(features.slice(), options);
    const there = await detectGroup(features.slice(), { ...options, pool: recording, offThread: true });
    expect(sent).toEqual(methods.map((m) => `${m}:true:0-600`));
    for (const method of methods) {
      expect(Array.from(there.results.get(method)!.scores), method).toEqual(
        Array.from(here.results.get(method)!.scores),
      );
    }
    expect(Array.from(there.votes)).toEqual(Array.from(here.votes));
    expect(here.votes[0]).toBeGreaterThanOrEqual(3);
  });

  it('fills missing features and skips model methods on tiny groups', async () => {
    const features = sharedFloat64(3 * d).fill(NaN);
    fillMissing(features, 24);
    expect(Array.from(features.subarray(0, d))).toEqual([0, 0, 0, 0, 24, 24, 0]);
    const result = await detectGroup(features, { methods: ['rules', 'lof'], seed: 0, windowHours: 24 });
    expect(result.skipped).toEqual({ lof: 'fewer than 10 windows' });
    expect(Array.from(result.votes)).toEqual([0, 0, 0]);
  });
});
