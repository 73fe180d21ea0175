import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { DEFAULT_LABEL, loadDataset, parseMappings, type LoadedDataset } from '../models/dataset-loader.js';
import { labelsOf } from '../models/dataset.js';
import { evaluate, type EvaluationReport } from '../models/metrics.js';
import type { TrainedModel } from '../models/model.js';
import { flagError, withServices, withStoreFlags, type StoreFlags } from './common.js';
import { formatTable, printResult } from './output.js';

/** `--data`, `--map` and `--label`: where labelled records come from. */
export interface DataFlags {
  readonly data?: string[];
  readonly map?: string[];
  readonly label?: string;
  readonly exclude?: string[];
}

/** Adds `--data FILES`, `--map column=field …` and `--label COLUMN` to a command. */
export function withDataFlags(command: Command): Command {
  return command
    .option('--data <files...>', 'labelled CSV or Parquet files (paths or quoted globs)')
    .option('--map <column=field...>', 'rename input columns to the names models read, e.g. amt=amount')
    .option('--label <column>', `label column: 1/true/"fraud"/"yes" is fraud (default ${DEFAULT_LABEL})`)
    .option(
      '--exclude <columns...>',
      'columns not to read (by input or mapped name), e.g. a column of bad values',
    );
}

/** Reads the records named by `--data`, `--map` and `--label`. */
export async function loadDataFlags(flags: DataFlags): Promise<LoadedDataset> {
  return loadDataset({
    inputs: flags.data ?? [],
    map: parseMappings(flags.map ?? []),
    ...(flags.label === undefined ? {} : { label: flags.label }),
    ...(flags.exclude === undefined ? {} : { exclude: flags.exclude }),
  });
}

/** What `centinela evaluate` reports. */
export interface EvaluationResult {
  readonly version: string;
  readonly algorithm: string;
  readonly data: readonly string[];
  readonly metrics: EvaluationReport;
}

/** `centinela evaluate --model VERSION --data FILES`: any registered version on a labelled file. */
export function evaluateCommand(program: Command): void {
  withDataFlags(withStoreFlags(program.command('evaluate')))
    .description('evaluate a registered model version on labelled CSV or Parquet data')
    .requiredOption('--model <version>', 'model version, e.g. v3')
    .action(async (flags: StoreFlags & DataFlags & { model: string }) => {
      if (flags.data === undefined) throw flagError('--data', 'required', 'evaluate needs --data FILES.');
      await withServices(flags, async ({ models }) => {
        const { version, model } = await models.load(flags.model); // an unknown version first
        const dataset = await loadDataFlags(flags);
        checkColumns(model, dataset.fields);
        const metrics = evaluateModel(model, dataset);
        const result: EvaluationResult = {
          version,
          algorithm: model.algorithm,
          data: flags.data ?? [],
          metrics,
        };
        printResult(Boolean(flags.json), result, () =>
          [
            `Model ${version} (${model.algorithm}) on ${result.data.join(', ')}`,
            describeEvaluation(metrics),
          ].join('\n'),
        );
      });
    });
}

/** The model's scores on the records against their labels, at the model's threshold. */
export function evaluateModel(model: TrainedModel, dataset: LoadedDataset): EvaluationReport {
  const scores = model.predict(dataset.records);
  return evaluate(labelsOf(dataset.records, dataset.labelField), scores, model.threshold);
}

/** Fails with INPUT_INVALID when the data lacks columns the model reads. */
function checkColumns(model: TrainedModel, fields: readonly string[]): void {
  const { numeric, categorical } = model.preprocessing;
  const missing = [...numeric, ...categorical].map((c) => c.name).filter((name) => !fields.includes(name));
  if (missing.length > 0) {
    throw new AppError(
      'INPUT_INVALID',
      `The data lacks columns the model reads: ${missing.join(', ')} (rename with --map column=field).`,
      { details: { missing } },
    );
  }
}

const round = (value: number, digits = 4) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);

/** The evaluation as text tables: headline metrics, confusion matrix, calibration. */
export function describeEvaluation(m: EvaluationReport): string {
  const headline = [
    { metric: 'samples', value: m.samples },
    { metric: 'fraud (base rate)', value: `${m.positives} (${(m.baseRate * 100).toFixed(2)}%)` },
    { metric: 'ROC-AUC', value: round(m.rocAuc) },
    { metric: 'PR-AUC', value: round(m.prAuc) },
    { metric: `precision @ ${m.threshold}`, value: round(m.precision) },
    { metric: `recall @ ${m.threshold}`, value: round(m.recall) },
    { metric: `F1 @ ${m.threshold}`, value: round(m.f1) },
    { metric: 'recall @ 1% FPR', value: round(m.recallAt1PctFpr) },
  ];
  const { tp, fp, tn, fn } = m.confusion;
  const confusion = [
    { actual: 'fraud', 'predicted fraud': tp, 'predicted legit': fn },
    { actual: 'legit', 'predicted fraud': fp, 'predicted legit': tn },
  ];
  const calibration = m.calibration.map((bin) => ({
    score: `${bin.lower.toFixed(1)}–${bin.upper.toFixed(1)}`,
    count: bin.count,
    'mean predicted': bin.meanPredicted === null ? null : round(bin.meanPredicted),
    'observed fraud rate': bin.observedRate === null ? null : round(bin.observedRate),
  }));
  return [
    formatTable(headline, ['metric', 'value']),
    `\nConfusion matrix at threshold ${m.threshold}`,
    formatTable(confusion, ['actual', 'predicted fraud', 'predicted legit']),
    '\nCalibration',
    formatTable(calibration, ['score', 'count', 'mean predicted', 'observed fraud rate']),
  ].join('\n');
}
