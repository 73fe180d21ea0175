import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { progressPrinter } from '../structuring/progress.js';
import { runStructuring, type RunSummary } from '../structuring/run.js';
import { parseEvery, runMicroBatch, scheduleMicroBatches } from '../structuring/schedule.js';
import { runParamsOf } from '../structuring/structuring.js';
import { withServices, withStoreFlags, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

interface DetectionFlags extends StoreFlags {
  methods?: string;
  window?: string;
  map?: string[];
  minMethods?: string;
  seed?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function withDetectionFlags(command: Command): Command {
  return withStoreFlags(command)
    .option('--methods <list>', 'detectors: rules,zscore,iforest,lof,dbscan,gmm,ecod (default: all)')
    .option('--window <list>', 'rolling window lengths, e.g. 24h,72h,7d (default 24h)')
    .option(
      '--map <column=field>',
      'input column for a field (repeatable): id, user_id, merchant_id, timestamp, amount, label',
      collect,
    )
    .option('--min-methods <m>', 'consensus: windows flagged by at least m methods (default 3)')
    .option('--seed <n>', 'seed of the detectors (default 0)');
}

function paramsOf(flags: DetectionFlags) {
  return runParamsOf({
    methods: flags.methods,
    windows: flags.window,
    map: flags.map,
    minMethods: flags.minMethods === undefined ? undefined : Number(flags.minMethods),
    seed: flags.seed === undefined ? undefined : Number(flags.seed),
  });
}

function describe(summary: RunSummary): string {
  const counts = Object.entries(summary.method_counts).map(([method, windows]) => ({ method, windows }));
  return [
    `Run ${summary.id}: ${summary.rows} transactions, ${summary.windows} windows, ${summary.stored_alerts} alerts stored in ${((summary.durations_ms.total ?? 0) / 1000).toFixed(1)} s.`,
    formatTable(counts, ['method', 'windows']),
  ].join('\n');
}

/** `centinela structuring run|schedule`. */
export function structuringCommand(program: Command): void {
  const structuring = program.command('structuring').description('split-payment (structuring) detection');

  withDetectionFlags(structuring.command('run'))
    .description('detect structuring in CSV/Parquet files (a path or a glob); alerts go to the store')
    .requiredOption('--input <files>', 'CSV or Parquet file, or a glob such as logs/*.parquet')
    .option('--out <report.html>', 'write the HTML report')
    .option('--export <windows.csv|.parquet>', 'write every window with its features, scores and flags')
    .action(async (flags: DetectionFlags & { input: string; out?: string; export?: string }) => {
      const params = paramsOf(flags);
      await withServices(flags, async ({ store }) => {
        const progress = progressPrinter();
        const summary = await runStructuring({
          db: store.db,
          source: { kind: 'files', input: flags.input },
          params,
          exportTo: flags.export,
          onProgress: progress,
        }).finally(() => progress.end());
        if (flags.out) await writeFile(flags.out, summary.report);
        const { report: _report, ...shown } = summary;
        printResult(
          Boolean(flags.json),
          { ...shown, report_file: flags.out ?? null, export_file: flags.export ?? null },
          () => describe(summary),
        );
      });
    });

  withDetectionFlags(structuring.command('schedule'))
    .description('micro-batches over stored transactions every interval; alerts are never stored twice')
    .option('--every <interval>', 'interval between batches, e.g. 1h, 15m', '1h')
    .option('--once', 'run one micro-batch and exit')
    .action(async (flags: DetectionFlags & { every: string; once?: boolean }) => {
      const params = paramsOf(flags);
      const everyMs = parseEvery(flags.every);
      await withServices(flags, async ({ store }) => {
        // A signal stops the loop after the batch in flight; the store is then closed.
        const controller = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
        const report = (summary: RunSummary | null) => {
          const { report: _report, ...shown } = summary ?? { report: '' };
          printResult(Boolean(flags.json), summary ? shown : { status: 'no new transactions' }, () =>
            summary ? describe(summary) : `${new Date().toISOString()}: no new transactions.`,
          );
        };
        if (flags.once) return report(await runMicroBatch({ db: store.db, params }));
        await scheduleMicroBatches({
          db: store.db,
          params,
          everyMs,
          signal: controller.signal,
          onBatch: report,
          onError: (error) => process.stderr.write(`structuring batch failed: ${String(error)}\n`),
        });
      });
    });
}
