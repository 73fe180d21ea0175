import type { Command } from 'commander';
import {
  backtestRuleSet,
  MAX_BACKTEST_LIMIT,
  runBacktest,
  type BacktestReport,
} from '../rules/backtest.service.js';
import { timeFieldOf } from '../shared/iso-time.js';
import { orderedRange } from '../shared/time-range.js';
import {
  configFrom,
  readRuleSetFile,
  wholeNumberOf,
  withServices,
  withStoreFlags,
  type StoreFlags,
} from './common.js';
import { formatTable, printResult } from './output.js';

interface ReplayFlags extends StoreFlags {
  readonly from?: string;
  readonly to?: string;
  readonly rules?: string;
  readonly limit?: string;
  readonly sample?: string;
}

/**
 * `centinela replay`: re-scores stored transactions with a rule set file (or the active
 * rule set, to see drift after a threshold change) and reports how decisions would change.
 * Reads only; live decisions are never touched.
 */
export function replayCommand(program: Command): void {
  withStoreFlags(program.command('replay'))
    .description('re-score stored transactions with a candidate rule set; report how decisions would change')
    .option('--from <iso>', 'event time from (inclusive; default: the oldest stored)')
    .option('--to <iso>', 'event time to (inclusive; default: the newest stored)')
    .option('--rules <file>', 'candidate rule set JSON file (default: the active rule set)')
    .option('--limit <n>', `replay at most N transactions (1 to ${MAX_BACKTEST_LIMIT}; default: all)`)
    .option('--sample <n>', 'changed transactions to list (default 20)')
    .action(async (flags: ReplayFlags) => {
      const document = flags.rules === undefined ? undefined : await readRuleSetFile(flags.rules);
      const options = {
        ...orderedRange({ from: timeFieldOf(flags.from, '--from'), to: timeFieldOf(flags.to, '--to') }, [
          '--from',
          '--to',
        ]),
        limit: countOf(flags.limit, '--limit', 1, MAX_BACKTEST_LIMIT),
        sampleSize: countOf(flags.sample, '--sample', 0),
      };
      const config = configFrom(flags);
      const thresholds = { review: config.reviewThreshold, decline: config.declineThreshold };
      await withServices(flags, async ({ store, rules, models }) => {
        const report = await runBacktest(
          { db: store.db, models, thresholds },
          backtestRuleSet(document, rules),
          options,
        );
        printResult(Boolean(flags.json), report, () => describeReport(report));
      });
    });
}

function countOf(value: string | undefined, flag: string, min: number, max?: number): number | undefined {
  return value === undefined ? undefined : wholeNumberOf(value, flag, min, max);
}

const DECISIONS = ['approve', 'review', 'decline'] as const;

/** The report as tables for people. */
function describeReport(r: BacktestReport): string {
  const rules = `${r.rules.source} rule set '${r.rules.name}'${r.rules.version === null ? '' : ` v${r.rules.version}`}`;
  const range = `${r.range.from ?? 'start'} … ${r.range.to ?? 'end'}`;
  return [
    `Replayed ${r.total} transactions (${range}) with the ${rules}, thresholds review ${r.thresholds.review} / decline ${r.thresholds.decline}.`,
    `${r.changed} decisions would change${r.truncated ? ' (stopped at --limit; more in range)' : ''}. ${r.duration_ms} ms.`,
    section('Decisions', decisionRows(r), ['decision', 'before', 'after', 'delta']),
    section('Transitions (rows: before, columns: after)', transitionRows(r), ['before', ...DECISIONS]),
    section('Reasons', r.reasons.map(plain), ['code', 'before', 'after', 'added', 'removed']),
    section('Rule errors', r.rule_errors.map(plain), ['rule_id', 'before', 'after']),
    section('Against analyst labels (flagged = review or decline)', labelRows(r), [
      'side',
      'labelled',
      'precision',
      'recall',
      'tp',
      'fp',
      'fn',
      'tn',
    ]),
    section('Changed (sample)', r.sample_changed.map(plain), [
      'transaction_id',
      'before',
      'after',
      'added',
      'removed',
      'label',
    ]),
  ].join('\n');
}

function section(
  title: string,
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
): string {
  return `\n${title}\n${formatTable(rows, columns)}`;
}

/** A copy typed as a plain record, as formatTable takes. */
function plain<T extends object>(value: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value));
}

function decisionRows(r: BacktestReport) {
  return DECISIONS.map((decision) => {
    const before = r.decisions.before[decision];
    const after = r.decisions.after[decision];
    return { decision, before, after, delta: after - before };
  });
}

function transitionRows(r: BacktestReport) {
  return DECISIONS.map((before) => ({ before, ...r.transitions[before] }));
}

function labelRows(r: BacktestReport) {
  const { labelled, before, after } = r.labels;
  return [
    { side: 'before', labelled, ...before },
    { side: 'after', labelled, ...after },
  ];
}
