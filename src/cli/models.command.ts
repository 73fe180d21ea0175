import type { Command } from 'commander';
import type { ModelVersionInfo } from '../models/model-registry.service.js';
import { shadowReport, type ShadowReport, type ShadowSide } from '../models/shadow-report.js';
import { timeFieldOf } from '../shared/iso-time.js';
import { orderedRange } from '../shared/time-range.js';
import { flagError, withServices, withStoreFlags, type Services, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

/**
 * `centinela models list|activate|rollback|shadow`. A running service picks a change up
 * without a restart (it polls the registry).
 */
export function modelsCommand(program: Command): void {
  const models = program.command('models').description('model versions: list, activate, roll back, shadow');

  withStoreFlags(models.command('list'))
    .description('list model versions with their held-out metrics, newest first')
    .action(async (flags: StoreFlags) => {
      await withServices(flags, async ({ models: registry }) => {
        const items = await registry.list();
        printResult(Boolean(flags.json), items, () => describeList(items));
      });
    });

  withStoreFlags(models.command('activate'))
    .description('make a version the live model')
    .argument('<version>', 'model version, e.g. v3')
    .action(async (version: string, flags: StoreFlags) => {
      await withServices(flags, async (services) => {
        const active = await activateAudited(services, version);
        printResult(
          Boolean(flags.json),
          active,
          () => `Model ${active.version} is active.${unservedNote(active)}`,
        );
      });
    });

  withStoreFlags(models.command('rollback'))
    .description('re-activate the version that was active before the current one')
    .action(async (flags: StoreFlags) => {
      await withServices(flags, async ({ models: registry, audit }) => {
        const active = await registry.rollback();
        await audit.record('cli', 'models.rollback', active.version);
        printResult(Boolean(flags.json), active, () => `Rolled back: model ${active.version} is active.`);
      });
    });

  shadowReportCommand(models);

  withStoreFlags(models.command('shadow'))
    .description('score a version in shadow beside the live model (never used for decisions)')
    .argument('[version]', 'model version, e.g. v4')
    .option('--off', 'stop shadow scoring')
    .action(async (version: string | undefined, flags: StoreFlags & { off?: boolean }) => {
      if ((version === undefined) === !flags.off) {
        throw flagError(
          flags.off ? '--off' : 'version',
          flags.off ? 'conflict' : 'required',
          'Give a VERSION to shadow or --off (not both).',
        );
      }
      await withServices(flags, async (services) => {
        const shadow = await shadowAudited(services, flags.off ? null : (version ?? null));
        printResult(Boolean(flags.json), { shadow }, () =>
          shadow === null
            ? 'No model runs in shadow.'
            : `Model ${shadow.version} runs in shadow.${unservedNote(shadow)}`,
        );
      });
    });
}

/** Makes `version` the live model, with the audit entry every CLI model change writes. */
export async function activateAudited(
  { models, audit }: Services,
  version: string,
): Promise<ModelVersionInfo> {
  const active = await models.activate(version);
  await audit.record('cli', 'models.activate', active.version);
  return active;
}

/** Runs `version` in shadow (or stops shadow scoring for null), audited. */
export async function shadowAudited(
  { models, audit }: Services,
  version: string | null,
): Promise<ModelVersionInfo | null> {
  if (version === null) {
    const stopped = await models.stopShadow();
    if (stopped !== null) await audit.record('cli', 'models.shadow_stop', stopped);
    return null;
  }
  const shadow = await models.shadow(version);
  await audit.record('cli', 'models.shadow', shadow.version);
  return shadow;
}

/** A warning when the live scorer cannot give the model some of its inputs; '' otherwise. */
export function unservedNote(info: ModelVersionInfo): string {
  if (info.unserved_inputs.length === 0) return '';
  return (
    `\nWarning: the live scorer has no ${info.unserved_inputs.join(', ')}: this model always sees ` +
    'them missing. Train on the behavioural generator, --from-store, or data with the live fields.'
  );
}

interface ShadowReportFlags extends StoreFlags {
  readonly version?: string;
  readonly from?: string;
  readonly to?: string;
}

function shadowReportCommand(models: Command): void {
  withStoreFlags(models.command('shadow-report'))
    .description("compare a challenger's stored shadow scores with the live model's")
    .option('--version <version>', 'the challenger (default: the version in shadow now)')
    .option('--from <iso>', 'event time from (inclusive)')
    .option('--to <iso>', 'event time to (inclusive)')
    .action(async (flags: ShadowReportFlags) => {
      const range = { from: timeFieldOf(flags.from, '--from'), to: timeFieldOf(flags.to, '--to') };
      const { from, to } = orderedRange(range, ['--from', '--to']); // as the API refuses it
      await withServices(flags, async ({ store, models: registry }) => {
        const report = await shadowReport(store.db, registry, {
          ...(flags.version === undefined ? {} : { version: flags.version }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
        });
        printResult(Boolean(flags.json), report, () => describeShadowReport(report));
      });
    });
}

function describeShadowReport(r: ShadowReport): string {
  const share = (value: number | null) => (value === null ? '-' : `${(value * 100).toFixed(1)}%`);
  const side = (name: string, s: ShadowSide) => ({
    model: name,
    versions: s.versions.join(', ') || '-',
    flagged: s.flagged,
    'mean probability': s.mean_probability === null ? '-' : s.mean_probability.toFixed(4),
    precision: share(s.precision),
    recall: share(s.recall),
  });
  const columns = ['model', 'versions', 'flagged', 'mean probability', 'precision', 'recall'];
  return [
    `Shadow ${r.shadow_version} over ${r.transactions} transactions (${r.from ?? 'start'} … ${r.to ?? 'end'}); ` +
      `${r.labelled} labelled, ${r.labelled_fraud} fraud.`,
    formatTable([side('live', r.live), side('shadow', r.shadow)], columns),
    `Flagged by both: ${r.flagged_by_both}; agreement: ${share(r.agreement)}.`,
  ].join('\n');
}

function describeList(items: readonly ModelVersionInfo[]): string {
  const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '-');
  const rows = items.map((m) => ({
    version: m.version,
    role: m.role === 'none' ? '' : m.role,
    algorithm: m.algorithm,
    'ROC-AUC': fixed(m.metrics.rocAuc),
    'PR-AUC': fixed(m.metrics.prAuc),
    F1: fixed(m.metrics.f1),
    'recall@1%FPR': fixed(m.metrics.recallAt1PctFpr),
    source: m.source,
    created_at: m.created_at,
  }));
  return formatTable(rows, [
    'version',
    'role',
    'algorithm',
    'ROC-AUC',
    'PR-AUC',
    'F1',
    'recall@1%FPR',
    'source',
    'created_at',
  ]);
}
