import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { Database } from '../store/database.js';
import type { Thresholds } from '../transactions/decision.js';
import { maxSeq } from '../transactions/transaction.repository.js';
import { addToTally, emptyTally, summarize, type BacktestSummary } from './backtest-report.js';
import { readBacktestPage } from './backtest.repository.js';
import { replayTransaction, type ReplayContext } from './backtest.js';
import { compileRuleSet, validateRuleSet, type CompiledRuleSet, type RuleSetDocument } from './rule-set.js';
import type { RulesService } from './rules.service.js';

/** What a backtest needs; nothing here is written to. */
export interface BacktestDeps {
  readonly db: Kysely<Database>;
  readonly thresholds: Thresholds;
  /** Model versions, to know each stored probability's flagging threshold. */
  readonly models: Pick<ModelRegistry, 'load'>;
}

/**
 * Largest `limit` of a request (`POST /v1/rules/backtest`) and of `centinela replay --limit`;
 * a longer replay is one without a limit (`centinela replay` has no default).
 */
export const MAX_BACKTEST_LIMIT = 1_000_000;

/** Which transactions to replay and how. */
export interface BacktestOptions {
  /** Event time bounds, ms since the epoch, inclusive; default: unbounded. */
  readonly from?: number;
  readonly to?: number;
  /** Most transactions to replay; default: all. The report says when it stopped early. */
  readonly limit?: number;
  /** Rows read per query; default 5,000. */
  readonly pageSize?: number;
  /** Changed transactions listed in the report; default 20. */
  readonly sampleSize?: number;
}

/** The rule set a backtest re-scores with. */
export interface BacktestRuleSet {
  /** `candidate`: a document that is not saved; `active`: the live rule set. */
  readonly source: 'candidate' | 'active';
  readonly compiled: CompiledRuleSet;
}

/** What a backtest answers: the summary plus what it was run on. */
export interface BacktestReport extends BacktestSummary {
  readonly rules: {
    readonly source: 'candidate' | 'active';
    readonly name: string;
    readonly version: number | null;
  };
  readonly thresholds: Thresholds;
  readonly range: { readonly from: string | null; readonly to: string | null };
  /** True when `limit` stopped the replay before the end of the range. */
  readonly truncated: boolean;
  readonly duration_ms: number;
}

const PAGE_SIZE = 5000;

/**
 * The rule set to backtest: `document` validated and compiled (unsaved), or the active one
 * when `document` is undefined. Throws `RULESET_INVALID` with every problem as details.
 */
export function backtestRuleSet(document: unknown, rules: Pick<RulesService, 'current'>): BacktestRuleSet {
  if (document === undefined) return { source: 'active', compiled: rules.current() };
  const errors = validateRuleSet(document);
  if (errors.length > 0) {
    throw new AppError('RULESET_INVALID', 'The candidate rule set is invalid.', { details: errors });
  }
  return { source: 'candidate', compiled: compileRuleSet(document as RuleSetDocument, 0) };
}

/**
 * Re-scores the stored decided transactions in the range with `ruleSet`, page by page
 * (keyset on `seq`, so memory stays flat however long the range), and reports how the
 * decisions would change. Reads only: live decisions are never touched.
 */
export async function runBacktest(
  deps: BacktestDeps,
  ruleSet: BacktestRuleSet,
  options: BacktestOptions = {},
): Promise<BacktestReport> {
  const started = performance.now();
  const thresholds = new ModelThresholds(deps.models);
  const context: ReplayContext = {
    ruleSet: ruleSet.compiled,
    thresholds: deps.thresholds,
    modelThreshold: (version) => thresholds.get(version),
  };
  const tally = emptyTally(options.sampleSize);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const end = await maxSeq(deps.db);
  let afterSeq = 0;
  let truncated = false;
  for (;;) {
    const remaining = limit - tally.total;
    const page = await readBacktestPage(deps.db, {
      from: options.from,
      to: options.to,
      afterSeq,
      maxSeq: end,
      limit: Math.min(pageSize, remaining + 1),
    });
    truncated = page.length > remaining;
    const rows = truncated ? page.slice(0, remaining) : page;
    await thresholds.load(rows.map((row) => row.model_version));
    for (const row of rows) {
      const replayed = replayTransaction(row, context);
      if (replayed) addToTally(tally, replayed);
    }
    if (truncated || page.length < pageSize) break;
    afterSeq = Number(page[page.length - 1]?.seq);
  }
  return reportOf(ruleSet, deps.thresholds, options, {
    summary: summarize(tally),
    truncated,
    ms: performance.now() - started,
  });
}

function reportOf(
  ruleSet: BacktestRuleSet,
  thresholds: Thresholds,
  options: BacktestOptions,
  run: { summary: BacktestSummary; truncated: boolean; ms: number },
): BacktestReport {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const { compiled, source } = ruleSet;
  return {
    rules: {
      source,
      name: compiled.document.name ?? 'unnamed',
      version: source === 'active' ? compiled.version : null,
    },
    thresholds,
    range: { from: iso(options.from), to: iso(options.to) },
    truncated: run.truncated,
    duration_ms: Math.round(run.ms),
    ...run.summary,
  };
}

/** Flagging thresholds of model versions, loaded once per version; undefined when a version cannot be loaded. */
class ModelThresholds {
  private readonly known = new Map<string, number | undefined>();

  constructor(private readonly models: Pick<ModelRegistry, 'load'>) {}

  get(version: string): number | undefined {
    return this.known.get(version);
  }

  async load(versions: readonly (string | null)[]): Promise<void> {
    for (const version of new Set(versions)) {
      if (version === null || this.known.has(version)) continue;
      const loaded = await this.models.load(version).catch(() => undefined);
      this.known.set(version, loaded?.model.threshold);
    }
  }
}
