import { defineDetector, type BaseOptions, type FittedDetector, type ScoreResult } from './detector.js';
import { column, type Rows } from './rows.js';
import { mean } from './stats.js';

/** Threshold rule options. */
export interface RulesOptions extends BaseOptions {
  /** Feature index of the transaction count. Default 0. */
  readonly countColumn: number;
  /** Feature index of the amount sum. Default 1. */
  readonly sumColumn: number;
  /** Flag windows with more than this many transactions. Default 4. */
  readonly maxCount: number;
  /** Flag windows whose sum exceeds this. Default 10,000. */
  readonly sumThreshold: number;
  /** Poisson tail: flag counts above this quantile of Poisson(mean count). Default 0.99. */
  readonly poissonQuantile: number;
}

/** Defaults of {@link thresholdRules}; the Poisson mean uses every row unless sampled. */
export const RULES_DEFAULTS = {
  countColumn: 0,
  sumColumn: 1,
  maxCount: 4,
  sumThreshold: 10_000,
  poissonQuantile: 0.99,
  fitSampleSize: Number.POSITIVE_INFINITY,
  seed: 0,
} as const satisfies RulesOptions;

/** Bits of `extra.rules`: which rules fired for a row. */
export const RULE_BITS = { count: 1, sum: 2, poisson: 4 } as const;

function logAdd(a: number, b: number): number {
  const max = Math.max(a, b);
  return max === -Infinity ? max : max + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * Smallest c with P(X ≤ c) ≥ q for X ~ Poisson(λ) (scipy's `poisson.ppf`). Works in log
 * space so large λ does not underflow e^(−λ).
 */
export function poissonQuantile(lambda: number, q: number): number {
  if (!(lambda > 0)) return 0;
  const target = Math.log(q);
  let logPmf = -lambda;
  let logCdf = logPmf;
  let c = 0;
  // The 1e-12 slack keeps rounding in the running sum from stepping past the quantile.
  while (logCdf < target - 1e-12 && c < lambda + 1e6) {
    c++;
    logPmf += Math.log(lambda) - Math.log(c);
    logCdf = logAdd(logCdf, logPmf);
  }
  return c;
}

/** Limits the rules compare against, fixed at fit time. */
interface RuleLimits {
  readonly countColumn: number;
  readonly sumColumn: number;
  readonly maxCount: number;
  readonly sumThreshold: number;
  readonly poissonLimit: number;
}

/** Score: how many rules fired; `extra.rules`: which (bitmask). One pass, no callbacks per row. */
function applyRules(x: Rows, limits: RuleLimits): ScoreResult {
  const fired = new Uint8Array(x.n);
  const scores = new Float64Array(x.n);
  const flags = new Uint8Array(x.n);
  for (let i = 0, p = 0; i < x.n; i++, p += x.d) {
    const count = x.data[p + limits.countColumn] ?? 0;
    const overCount = count > limits.maxCount ? 1 : 0;
    const overSum = (x.data[p + limits.sumColumn] ?? 0) > limits.sumThreshold ? 1 : 0;
    const overPoisson = count > limits.poissonLimit ? 1 : 0;
    fired[i] = (overCount * RULE_BITS.count) | (overSum * RULE_BITS.sum) | (overPoisson * RULE_BITS.poisson);
    scores[i] = overCount + overSum + overPoisson;
    flags[i] = overCount | overSum | overPoisson;
  }
  return { scores, flags, extra: { rules: fired } };
}

/**
 * Transparent threshold rules: count > maxCount, sum > sumThreshold, and count above the
 * Poisson(mean count) quantile. Score: number of rules fired; `extra.rules`: bitmask.
 *
 * @example thresholdRules.fitScore(rows, { maxCount: 6, sumThreshold: 9_000 })
 */
export const thresholdRules = defineDetector<RulesOptions, FittedDetector>(
  'rules',
  RULES_DEFAULTS,
  (sample, o) => {
    const counts = column(sample, o.countColumn);
    const limits: RuleLimits = { ...o, poissonLimit: poissonQuantile(mean(counts), o.poissonQuantile) };
    return { method: 'rules', score: (x) => applyRules(x, limits) };
  },
);
