import { performance } from 'node:perf_hooks';
import { VelocityState } from '../src/features/velocity.js';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { compileRuleSet } from '../src/rules/rule-set.js';
import { TrafficGenerator } from '../src/simulate/traffic.generator.js';
import { scoreTransaction, velocityEventOf } from '../src/transactions/scoring.js';
import { parseTransaction } from '../src/transactions/transaction.js';
import { median, printTable, writeResult } from './lib.js';

const COUNT = 200_000;
const RUNS = 5;
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);

/** Traffic to score: how many accounts share it, and the time between two transactions. */
interface Population {
  readonly name: string;
  readonly accounts: number;
  readonly spacingMs: number;
}

const POPULATIONS: readonly Population[] = [
  { name: `${ACCOUNTS.toLocaleString('en')} accounts`, accounts: ACCOUNTS, spacingMs: 20 },
  // 20,000 transactions per account in 24 h: each one's windows hold thousands of events.
  { name: '10 busy accounts (20,000 each in 24 h)', accounts: 10, spacingMs: 432 },
];

/** In-process scoring rate on one core: validation, features and rules, no I/O. */
export function runScoringBench() {
  const rows = POPULATIONS.map(measure);
  printTable(
    'In-process scoring (validation + features + rules, one core, no I/O)',
    rows.map((r) => ({
      traffic: r.population,
      transactions: COUNT,
      runs: RUNS,
      'median tx/s': r.median_per_s,
    })),
  );
  const [main, ...others] = rows;
  const result = { ...main, others };
  writeResult('scoring-in-process', result);
  return result;
}

function measure(population: Population) {
  const bodies = generate(COUNT, population);
  const context = { ruleSet: compileRuleSet(DEFAULT_RULE_SET, 1), thresholds: { review: 50, decline: 90 } };
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const velocity = new VelocityState();
    const start = performance.now();
    let flagged = 0;
    for (const body of bodies) {
      const parsed = parseTransaction(body, { currency: 'USD', now: 0 });
      if (!parsed.ok) throw new Error('generated transaction rejected');
      const features = velocity.next(velocityEventOf(parsed.value));
      if (scoreTransaction(parsed.value, features, context, 0).decision !== 'approve') flagged++;
    }
    const seconds = (performance.now() - start) / 1000;
    rates.push(COUNT / seconds);
    if (run === 0) console.log(`  ${population.name}: ${flagged} of ${COUNT} flagged`);
  }
  return {
    population: population.name,
    transactions: COUNT,
    runs: RUNS,
    rates_per_s: rates.map(Math.round),
    median_per_s: Math.round(median(rates)),
  };
}

function generate(count: number, population: Population): Record<string, unknown>[] {
  const generator = new TrafficGenerator(7, population.accounts);
  const start = Date.UTC(2026, 0, 1);
  const bodies: Record<string, unknown>[] = [];
  while (bodies.length < count) {
    for (const tx of generator.nextEpisode()) {
      const time = start + bodies.length * population.spacingMs;
      bodies.push({ ...tx.body, timestamp: new Date(time).toISOString() });
    }
  }
  return bodies.slice(0, count);
}
