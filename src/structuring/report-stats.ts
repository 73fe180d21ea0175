/**
 * What the HTML report shows, accumulated group by group from typed arrays (never from
 * per-window objects): flags per method, hour of day × method, feature distributions of
 * consensus-flagged versus other windows, and precision / recall when labels exist.
 */
import type { MethodName } from './detectors/index.js';
import type { GroupDetections } from './detect.js';
import { CONSENSUS_METHOD, FEATURES, type FeatureName } from './structuring.js';
import type { GroupFeatures, WindowGroup } from './windows.js';

/** Confusion counts of one method against the labels (windows with a label only). */
export interface MethodQuality {
  readonly method: string;
  readonly flagged: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
}

export interface Distribution {
  readonly feature: FeatureName;
  /** Upper edges of the bins (log scale over log1p). */
  readonly edges: number[];
  readonly flagged: number[];
  readonly normal: number[];
}

export interface ReportStats {
  readonly methods: readonly string[];
  readonly groups: { scope: string; window: string; windows: number }[];
  readonly quality: Map<string, { flagged: number; tp: number; fp: number; fn: number }>;
  /** Flags per method and UTC hour of the window end. */
  readonly hours: Map<string, number[]>;
  readonly distributions: Distribution[];
  labelled: number;
  positives: number;
}

const BINS = 24;

/**
 * Empty statistics for `methods` (consensus is added as a method); the report charts every
 * feature. `maxima` holds the largest value of each, in {@link FEATURES} order, over every
 * group, so the bins of every window length are the same and a longer window's larger values
 * are not clamped.
 */
export function emptyStats(methods: readonly MethodName[], maxima: readonly number[]): ReportStats {
  const all = [...methods, CONSENSUS_METHOD];
  return {
    methods: all,
    groups: [],
    quality: new Map(all.map((m) => [m, { flagged: 0, tp: 0, fp: 0, fn: 0 }])),
    hours: new Map(all.map((m) => [m, new Array<number>(24).fill(0)])),
    distributions: FEATURES.map((feature, j) => distributionOf(feature, maxima[j] ?? 0)),
    labelled: 0,
    positives: 0,
  };
}

function countFlags(stats: ReportStats, method: string, flags: ArrayLike<number>, f: GroupFeatures): void {
  const q = stats.quality.get(method);
  const hours = stats.hours.get(method);
  if (!q || !hours) return;
  for (let i = 0; i < f.n; i++) {
    const flag = flags[i] ?? 0;
    const label = f.labels[i] ?? -1;
    if (flag) {
      q.flagged++;
      const hour = Math.floor((f.endMs[i] ?? 0) / 3_600_000) % 24;
      hours[hour] = (hours[hour] ?? 0) + 1;
    }
    if (label < 0) continue;
    if (flag && label) q.tp++;
    else if (flag) q.fp++;
    else if (label) q.fn++;
  }
}

function distributionOf(feature: FeatureName, max: number): Distribution {
  const top = Math.log1p(Math.max(0, max)) || 1;
  const edges = Array.from({ length: BINS }, (_, b) => Math.expm1(((b + 1) * top) / BINS));
  return {
    feature,
    edges,
    flagged: new Array<number>(BINS).fill(0),
    normal: new Array<number>(BINS).fill(0),
  };
}

function addDistribution(d: Distribution, f: GroupFeatures, consensus: ArrayLike<number>): void {
  const j = FEATURES.indexOf(d.feature);
  const top = Math.log1p(d.edges[BINS - 1] ?? 1);
  for (let i = 0; i < f.n; i++) {
    const v = f.features[i * FEATURES.length + j] ?? NaN;
    if (Number.isNaN(v)) continue;
    const bin = Math.min(BINS - 1, Math.floor((Math.log1p(Math.max(0, v)) / top) * BINS));
    const target = consensus[i] ? d.flagged : d.normal;
    target[bin] = (target[bin] ?? 0) + 1;
  }
}

/** Adds one group's windows, flags and consensus (`votes ≥ minMethods`) to `stats`. */
export function addGroup(
  stats: ReportStats,
  group: WindowGroup,
  f: GroupFeatures,
  detections: GroupDetections,
  minMethods: number,
): void {
  stats.groups.push({ scope: group.scope, window: group.window.label, windows: f.n });
  for (const [method, result] of detections.results) countFlags(stats, method, result.flags, f);
  const consensus = detections.votes.map((v) => (v >= minMethods ? 1 : 0));
  countFlags(stats, CONSENSUS_METHOD, consensus, f);
  for (const d of stats.distributions) addDistribution(d, f, consensus);
  for (let i = 0; i < f.n; i++) {
    const label = f.labels[i] ?? -1;
    if (label >= 0) stats.labelled++;
    if (label > 0) stats.positives++;
  }
}

/** Precision and recall of each method (null without labelled windows). */
export function qualityOf(
  stats: ReportStats,
): (MethodQuality & { precision: number | null; recall: number | null })[] {
  return stats.methods.map((method) => {
    const q = stats.quality.get(method) ?? { flagged: 0, tp: 0, fp: 0, fn: 0 };
    const labelled = stats.labelled > 0;
    return {
      method,
      ...q,
      precision: labelled && q.tp + q.fp > 0 ? q.tp / (q.tp + q.fp) : null,
      recall: labelled && q.tp + q.fn > 0 ? q.tp / (q.tp + q.fn) : null,
    };
  });
}
