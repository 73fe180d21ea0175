import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import {
  PATTERNS,
  TrafficGenerator,
  type Pattern,
  type SimulatedTransaction,
} from '../simulate/traffic.generator.js';
import { isDecimalText } from '../shared/decimal-text.js';
import { flagError, seedOf } from './common.js';
import { formatTable, printResult } from './output.js';

interface SimulateFlags {
  rate: string;
  duration: string;
  target: string;
  seed: string;
  apiKey?: string;
  json?: boolean;
}

type Outcome = 'approve' | 'review' | 'decline' | 'error';
const MAX_IN_FLIGHT = 256;

/** `centinela simulate`: synthetic traffic at a fixed rate, with a summary of decisions per pattern. */
export function simulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('send synthetic traffic with known fraud patterns and report the decisions')
    .option('--rate <n>', 'transactions per second', '50')
    .option('--duration <s>', 'seconds to run', '10')
    .option('--target <url>', 'service URL', 'http://127.0.0.1:3000')
    .option('--seed <n>', 'random seed', '1')
    .option('--api-key <key>', 'API key with transactions:write (default: CENTINELA_API_KEY)')
    .option('--json', 'print one JSON document')
    .action(async (flags: SimulateFlags) => {
      const apiKey = flags.apiKey ?? process.env.CENTINELA_API_KEY ?? process.env.CENTINELA_ADMIN_KEY;
      if (!apiKey)
        throw flagError('--api-key', 'required', 'An API key is needed: --api-key or CENTINELA_API_KEY.');
      const summary = await simulate({
        rate: positive(flags.rate, 'rate'),
        durationS: positive(flags.duration, 'duration'),
        target: targetOf(flags.target),
        seed: seedOf(flags.seed),
        apiKey,
      });
      printResult(Boolean(flags.json), summary, () => describe(summary));
      if (summary.sent > 0 && summary.errors === summary.sent) process.exitCode = 1;
    });
}

interface SimulationOptions {
  readonly rate: number;
  readonly durationS: number;
  readonly target: string;
  readonly seed: number;
  readonly apiKey: string;
}

/** Sends traffic at `rate` for `durationS` seconds; returns counts per pattern and outcome. */
export async function simulate(options: SimulationOptions) {
  const generator = new TrafficGenerator(options.seed);
  const counts = new Map<Pattern, Record<Outcome, number>>(PATTERNS.map((p) => [p, emptyCounts()]));
  const latencies: number[] = [];
  const errors: string[] = [];
  const backlog: SimulatedTransaction[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const durationMs = options.durationS * 1000;
  const total = requestsDue(durationMs, options.rate, options.durationS);
  let sent = 0;
  // Stops at the end of the duration even if the target could not take the rate (what was
  // sent is reported with the rate reached).
  for (;;) {
    const elapsedMs = performance.now() - start;
    const due = requestsDue(elapsedMs, options.rate, options.durationS);
    while (sent < due && inFlight.size < MAX_IN_FLIGHT) {
      if (backlog.length === 0) backlog.push(...generator.nextEpisode());
      const tx = backlog.shift() as SimulatedTransaction;
      sent++;
      const request = send(options, tx, counts, latencies, errors).finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    if (sent >= total || elapsedMs >= durationMs) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
  return summarise(counts, latencies, errors, sent, (performance.now() - start) / 1000);
}

/**
 * How many requests are due `elapsedMs` into a run: `rate` a second, and all of them
 * (rate × duration, rounded) once the duration is over, whatever the clock's rounding.
 */
export function requestsDue(elapsedMs: number, rate: number, durationS: number): number {
  const total = Math.round(rate * durationS);
  if (elapsedMs >= durationS * 1000) return total;
  return Math.min(total, Math.floor((elapsedMs * rate) / 1000));
}

async function send(
  options: SimulationOptions,
  tx: SimulatedTransaction,
  counts: Map<Pattern, Record<Outcome, number>>,
  latencies: number[],
  errors: string[],
): Promise<void> {
  const row = counts.get(tx.pattern) as Record<Outcome, number>;
  const started = performance.now();
  try {
    const response = await fetch(`${options.target}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': options.apiKey },
      body: JSON.stringify({ ...tx.body, timestamp: new Date().toISOString() }),
    });
    const body = (await response.json()) as { decision?: Outcome; error?: { code: string } };
    latencies.push(performance.now() - started);
    if (response.ok && body.decision) row[body.decision]++;
    else recordError(row, errors, `${response.status} ${body.error?.code ?? ''}`);
  } catch (error) {
    recordError(row, errors, error instanceof Error ? error.message : String(error));
  }
}

function recordError(row: Record<Outcome, number>, errors: string[], message: string): void {
  row.error++;
  if (errors.length < 5) errors.push(message);
}

function summarise(
  counts: Map<Pattern, Record<Outcome, number>>,
  latencies: number[],
  errors: string[],
  sent: number,
  seconds: number,
) {
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) =>
    round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  const patterns = [...counts].map(([pattern, c]) => ({
    pattern,
    sent: c.approve + c.review + c.decline + c.error,
    ...c,
  }));
  const errorCount = patterns.reduce((n, p) => n + p.error, 0);
  return {
    sent,
    seconds: round(seconds),
    rate: round(sent / seconds),
    latency_ms: { p50: quantile(0.5), p99: quantile(0.99) },
    errors: errorCount,
    first_errors: errors,
    patterns,
  };
}

function describe(summary: Awaited<ReturnType<typeof simulate>>): string {
  const header = `Sent ${summary.sent} transactions in ${summary.seconds} s (${summary.rate}/s); latency p50 ${summary.latency_ms.p50} ms, p99 ${summary.latency_ms.p99} ms.`;
  const errors = summary.first_errors.length > 0 ? `\nFirst errors: ${summary.first_errors.join('; ')}` : '';
  return `${header}\n${formatTable(summary.patterns, ['pattern', 'sent', 'approve', 'review', 'decline', 'error'])}${errors}`;
}

function emptyCounts(): Record<Outcome, number> {
  return { approve: 0, review: 0, decline: 0, error: 0 };
}

function positive(value: string, name: string): number {
  const n = isDecimalText(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0)
    throw flagError(`--${name}`, 'range', `--${name} must be a positive number, not '${value}'.`);
  return n;
}

/** `--target`: the service's http(s) URL, without a trailing slash. */
function targetOf(value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:')
    throw flagError('--target', 'format', `--target must be the service's http(s) URL, not '${value}'.`);
  return value.replace(/\/$/, '');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
