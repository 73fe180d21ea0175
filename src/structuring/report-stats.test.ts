import { describe, expect, it } from 'vitest';
import type { GroupDetections } from './detect.js';
import { renderReport } from './report.html.js';
import { addGroup, emptyStats } from './report-stats.js';
import { FEATURES, runParamsOf } from './structuring.js';
import type { GroupFeatures, WindowGroup } from './windows.js';

describe('the report’s feature distributions', () => {
  it('chart every window feature, mean_delta and std_delta included', () => {
    const n = 2;
    const f: GroupFeatures = {
      features: Float64Array.from({ length: n * FEATURES.length }, (_, i) => 1 + i),
      endMs: new Float64Array(n),
      labels: new Int8Array(n).fill(-1),
      n,
    };
    const detections: GroupDetections = {
      results: new Map([['rules', { scores: new Float64Array(n), flags: Uint8Array.of(1, 0) }]]),
      votes: Uint8Array.of(1, 0),
      durations: {},
      skipped: {},
    };
    const group: WindowGroup = {
      index: 0,
      scope: 'user',
      window: { label: '24h', hours: 24 },
      table: 'w_0',
      n,
    };
    const stats = emptyStats(
      ['rules'],
      FEATURES.map(() => 20),
    );
    addGroup(stats, group, f, detections, 1);
    expect(stats.distributions.map((d) => d.feature)).toEqual([...FEATURES]);
    const flaggedStd = stats.distributions.find((d) => d.feature === 'std_delta');
    expect(flaggedStd?.flagged.reduce((a, b) => a + b, 0)).toBe(1);

    const html = renderReport({
      id: 'r',
      rows: n,
      windows: n,
      source: { kind: 'files', input: 'x.csv' },
      params: runParamsOf({ methods: 'rules' }),
      stats,
      top: { users: [], merchants: [] },
      durations: {},
    });
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    expect(captions).toEqual([...FEATURES]);
  });
});
