import { existsSync, realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { AppError, ValidationError } from '../errors.js';
import { timeFieldOf } from '../shared/iso-time.js';
import { orderedRange } from '../shared/time-range.js';
import type { Database } from '../store/database.js';
import { METHOD_NAMES } from '../structuring/detectors/index.js';
import { openEngine } from '../structuring/duckdb.js';
import { progressPrinter } from '../structuring/progress.js';
import type { RunHooks } from '../structuring/run-events.js';
import { runStructuring, type RunSummary } from '../structuring/run.js';
import { filesMatching } from '../structuring/source.js';
import { parseEvery, runMicroBatch, scheduleMicroBatches } from '../structuring/schedule.js';
import { consensusWindows, findRun } from '../structuring/structuring.repository.js';
import { runParamsOf, type RunParams, type RunSource } from '../structuring/structuring.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import {
  checkTableFile,
  checkWritableFile,
  flagError,
  seedOf,
  wholeNumberOf,
  withServices,
  withStoreFlags,
  type StoreFlags,
} from './common.js';
import { formatTable, printLine, printResult } from './output.js';

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
    .option(
      '--min-methods <m>',
      'consensus: windows flagged by at least m methods (default 3, or all of them when fewer run)',
    )
    .option('--seed <n>', 'seed of the detectors (default 0)');
}

function paramsOf(flags: DetectionFlags) {
  return runParamsOf({
    methods: flags.methods,
    windows: flags.window,
    map: flags.map,
    minMethods:
      flags.minMethods === undefined
        ? undefined
        : wholeNumberOf(flags.minMethods, '--min-methods', 1, METHOD_NAMES.length),
    seed: flags.seed === undefined ? undefined : seedOf(flags.seed),
  });
}

/**
 * `structuring.alert` events go to the store's webhook outbox; a running `serve` delivers
 * them (its dispatcher polls the outbox).
 */
function hooksOf(db: Kysely<Database>): RunHooks {
  const webhooks = new WebhookService(db);
  return { emit: (event, payload) => webhooks.emit(event, payload) };
}

interface SourceFlags {
  input?: string;
  stored?: boolean;
  from?: string;
  to?: string;
}

/** `--input FILES`, or `--stored` (optionally `--from` / `--to`): exactly one. */
function sourceOf(flags: SourceFlags): RunSource {
  const stored = Boolean(flags.stored) || flags.from !== undefined || flags.to !== undefined;
  if (stored && flags.input !== undefined)
    throw flagError(
      '--input',
      'conflict',
      'Give --input FILES or --stored [--from ISO] [--to ISO], not both.',
    );
  if (!stored && flags.input === undefined)
    throw flagError('--input', 'required', 'Give --input FILES, or --stored [--from ISO] [--to ISO].');
  if (flags.input !== undefined) return { kind: 'files', input: flags.input };
  const range = { from: timeFieldOf(flags.from, '--from'), to: timeFieldOf(flags.to, '--to') };
  return { kind: 'store', ...orderedRange(range, ['--from', '--to']) };
}

function describe(summary: RunSummary): string {
  const counts = Object.entries(summary.method_counts).map(([method, windows]) => ({ method, windows }));
  return [
    `Run ${summary.id}: ${summary.rows} transactions, ${summary.windows} windows, ${summary.stored_alerts} alerts stored in ${((summary.durations_ms.total ?? 0) / 1000).toFixed(1)} s.`,
    formatTable(counts, ['method', 'windows']),
  ].join('\n');
}

/**
 * Fails at once, naming the flag, when `--out` or `--export` is one of the input's files: the
 * run overwrote it (and the next run over it failed). An input problem is left to the run.
 */
async function refuseOverwritingInput(input: string, flags: { out?: string; export?: string }) {
  const outputs = (['out', 'export'] as const)
    .map((name) => ({ flag: `--${name}`, path: flags[name] }))
    .filter((o): o is { flag: string; path: string } => o.path !== undefined && existsSync(o.path));
  if (outputs.length === 0) return;
  const engine = await openEngine({ threads: 1 });
  const files = await filesMatching(engine.connection, input)
    .catch(() => [])
    .finally(() => engine.close());
  const inputs = new Set(files.map((file) => realpathSync(file)));
  const clash = outputs.find((o) => inputs.has(realpathSync(o.path)));
  if (!clash) return;
  const message = `${clash.flag} ${clash.path} is one of the input files; the run would overwrite it.`;
  throw new ValidationError([{ field: clash.flag, code: 'is_input', message }], message);
}

/** `centinela structuring run|schedule`. */
export function structuringCommand(program: Command): void {
  const structuring = program.command('structuring').description('split-payment (structuring) detection');

  withDetectionFlags(structuring.command('run'))
    .description(
      'detect structuring in CSV/Parquet files (a path or a glob) or in stored transactions; alerts go to the store',
    )
    .option('--input <files>', 'CSV or Parquet file, or a glob such as logs/*.parquet')
    .option('--stored', "analyse the service's stored transactions instead of files")
    .option('--from <iso>', 'with --stored: event time from (inclusive)')
    .option('--to <iso>', 'with --stored: event time to (inclusive)')
    .option('--out <report.html>', 'write the HTML report')
    .option('--export <windows.csv|.parquet>', 'write every window with its features, scores and flags')
    .action(async (flags: DetectionFlags & SourceFlags & { out?: string; export?: string }) => {
      const params = paramsOf(flags);
      const source = sourceOf(flags);
      if (flags.out !== undefined) checkWritableFile(flags.out, '--out');
      if (flags.export !== undefined) checkTableFile(flags.export, '--export');
      if (source.kind === 'files') await refuseOverwritingInput(source.input, flags);
      await withServices(flags, async ({ store }) => {
        const progress = progressPrinter();
        const summary = await runStructuring({
          db: store.db,
          source,
          params,
          exportTo: flags.export,
          onProgress: progress,
          ...hooksOf(store.db),
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
        // --once prints one JSON document; the loop one JSON line a batch.
        const print = flags.once ? printResult : printLine;
        const report = (summary: RunSummary | null) => {
          const { report: _report, ...shown } = summary ?? { report: '' };
          const at = new Date().toISOString();
          print(Boolean(flags.json), summary ? shown : { status: 'no new transactions', at }, () =>
            summary ? describe(summary) : `${at}: no new transactions.`,
          );
        };
        const hooks = hooksOf(store.db);
        if (flags.once) return report(await runMicroBatch({ db: store.db, params, ...hooks }));
        await scheduleMicroBatches({
          db: store.db,
          params,
          ...hooks,
          everyMs,
          signal: controller.signal,
          onBatch: report,
          onError: (error) => process.stderr.write(`structuring batch failed: ${String(error)}\n`),
        });
      });
    });

  withStoreFlags(structuring.command('consensus'))
    .description('consensus view: windows of a stored run flagged by at least m methods')
    .argument('<run-id>', 'the run (as printed by structuring run)')
    .option('--min-methods <m>', "at least this many methods (default: the run's own)")
    .option('--limit <n>', 'at most this many windows', '100')
    .action(async (runId: string, flags: StoreFlags & { minMethods?: string; limit: string }) => {
      const limit = wholeNumberOf(flags.limit, '--limit', 1); // no offset here: any number, unlike the API's pages
      await withServices(flags, async ({ store }) => {
        const run = await findRun(store.db, runId);
        if (!run) throw new AppError('NOT_FOUND', `Structuring run '${runId}' is unknown.`);
        const m =
          flags.minMethods === undefined
            ? (JSON.parse(run.params) as RunParams).minMethods
            : wholeNumberOf(flags.minMethods, '--min-methods', 1, METHOD_NAMES.length);
        const rows = await consensusWindows(store.db, run.id, m, { limit });
        const items = rows.map((r) => ({
          ...r,
          window_start: new Date(r.window_start).toISOString(),
          window_end: new Date(r.window_end).toISOString(),
        }));
        printResult(Boolean(flags.json), { run_id: run.id, min_methods: m, items }, () =>
          formatTable(items, [
            'methods',
            'scope',
            'window_length',
            'user_id',
            'merchant_id',
            'window_end',
            'label',
          ]),
        );
      });
    });
}
