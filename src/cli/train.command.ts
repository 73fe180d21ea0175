import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { labelsOf, type DataRecord } from '../models/dataset.js';
import { DEFAULT_LABEL } from '../models/dataset-loader.js';
import { BEHAVIOURAL_SCHEMA, generateBehavioural } from '../models/generators/behavioural.generator.js';
import { PROTOTYPE_SCHEMA, generatePrototype } from '../models/generators/prototype.generator.js';
import type { ModelVersionInfo } from '../models/model-registry.service.js';
import type { Algorithm, ProgressCallback } from '../models/model.js';
import type { FeatureSchema } from '../models/preprocessing.js';
import { DEFAULT_ALGORITHM, trainModel, type TrainResult } from '../models/train.js';
import { readLabelledTransactions } from '../models/training-data.repository.js';
import type { Services } from './common.js';
import { flagError, seedOf, wholeNumberOf, withServices, withStoreFlags, type StoreFlags } from './common.js';
import { describeEvaluation, loadDataFlags, withDataFlags, type DataFlags } from './evaluate.command.js';
import { activateAudited, shadowAudited, unservedNote } from './models.command.js';
import { printResult } from './output.js';

interface TrainFlags extends StoreFlags, DataFlags {
  readonly generator?: string;
  readonly samples?: string;
  readonly fromStore?: boolean;
  readonly algorithm?: string;
  readonly epochs?: string;
  readonly seed: string;
  readonly activate?: boolean;
  readonly shadow?: boolean;
}

/** Labelled records to train on, where they came from, and the model inputs when known. */
interface TrainingData {
  readonly records: readonly DataRecord[];
  readonly labelField: string;
  readonly source: string;
  readonly schema?: FeatureSchema;
}

/** Behavioural histories hold about this many transactions per account (30 days). */
const TRANSACTIONS_PER_ACCOUNT = 56;

/**
 * `centinela train`: trains a model on generated data, labelled files or labelled stored
 * transactions, evaluates it on a held-out split, registers it as a new version and
 * optionally makes it the active or shadow model.
 */
export function trainCommand(program: Command): void {
  withDataFlags(withStoreFlags(program.command('train')))
    .description('train a fraud model, evaluate it on held-out data and register it as a new version')
    .option(
      '--generator <name>',
      'generated data: prototype | behavioural (default when no --data/--from-store)',
    )
    .option(
      '--samples <n>',
      'generated records (prototype: exactly; behavioural: about) (default 15000 / 55000)',
    )
    .option('--from-store', 'train on stored transactions labelled by analysts')
    .option('--algorithm <name>', `nn | gbdt (default ${DEFAULT_ALGORITHM}; nn when --epochs is given)`)
    .option('--epochs <n>', 'most epochs of the network (early stopping may end sooner) (default 20)')
    .option('--seed <n>', 'seed of the generator, split and training', '42')
    .option('--activate', 'make the new version the live model')
    .option('--shadow', 'run the new version in shadow beside the live model')
    .action(async (flags: TrainFlags) => {
      const algorithm = algorithmOf(flags);
      const seed = seedOf(flags.seed);
      if (flags.activate && flags.shadow)
        throw invalid('--activate', 'Use --activate or --shadow, not both.');
      await withServices(flags, async (services) => {
        const data = await trainingData(flags, seed, services);
        checkLabels(data);
        const progress = flags.json ? undefined : progressBar(algorithm);
        const result = await trainModel({
          ...{ records: data.records, labelField: data.labelField, algorithm, seed },
          ...(data.schema ? { schema: data.schema } : {}),
          ...(flags.epochs === undefined ? {} : { epochs: wholeNumberOf(flags.epochs, '--epochs', 1) }),
          ...(progress ? { onProgress: progress.onProgress } : {}),
        }).finally(() => progress?.stop());
        const info = await register(services, result, data.source, flags);
        printResult(Boolean(flags.json), info, () => describeRun(info, result, data));
      });
    });
}

async function trainingData(flags: TrainFlags, seed: number, services: Services): Promise<TrainingData> {
  const given = [
    flags.data !== undefined && '--data',
    Boolean(flags.fromStore) && '--from-store',
    flags.generator !== undefined && '--generator',
  ].filter((flag) => flag !== false);
  // Named by the second source given: the first alone would have been fine.
  if (given.length > 1)
    throw invalid(given[1] ?? '--data', 'Use one of --data, --from-store or --generator.');
  if (flags.data !== undefined) {
    const dataset = await loadDataFlags(flags);
    return { ...dataset, source: flags.data.join(',') };
  }
  const labelField = flags.label ?? DEFAULT_LABEL;
  if (flags.fromStore) {
    const records = await readLabelledTransactions(services.store.db, labelField);
    return { records, labelField, source: 'store', schema: BEHAVIOURAL_SCHEMA };
  }
  return generated(flags.generator ?? 'behavioural', flags.samples, seed);
}

function generated(generator: string, samples: string | undefined, seed: number): TrainingData {
  const count = samples === undefined ? undefined : wholeNumberOf(samples, '--samples', 1);
  const source = `generator:${generator}`;
  if (generator === 'prototype') {
    const records = generatePrototype({ seed, ...(count === undefined ? {} : { samples: count }) });
    return { records, labelField: 'is_fraud', source, schema: PROTOTYPE_SCHEMA };
  }
  if (generator === 'behavioural') {
    const accounts =
      count === undefined ? {} : { accounts: Math.max(1, Math.round(count / TRANSACTIONS_PER_ACCOUNT)) };
    return {
      records: generateBehavioural({ seed, ...accounts }),
      labelField: 'is_fraud',
      source,
      schema: BEHAVIOURAL_SCHEMA,
    };
  }
  throw invalid('--generator', `--generator must be prototype or behavioural, not '${generator}'.`);
}

/** Training needs both classes, with enough of each to hold some out. */
function checkLabels(data: TrainingData): void {
  const labels = labelsOf(data.records, data.labelField);
  const fraud = labels.reduce((sum, label) => sum + label, 0);
  const legit = labels.length - fraud;
  if (fraud < 2 || legit < 2) {
    throw new AppError(
      'INPUT_INVALID',
      `Training needs at least 2 fraud and 2 legit records in '${data.labelField}'; ${data.source} has ${fraud} fraud and ${legit} legit.`,
      { details: { source: data.source, fraud, legit } },
    );
  }
}

/** Registers the new version; making it live or shadow is an admin action, so it is audited. */
async function register(
  services: Services,
  result: TrainResult,
  source: string,
  flags: TrainFlags,
): Promise<ModelVersionInfo> {
  const info = await services.models.register(result, source);
  if (flags.activate) return activateAudited(services, info.version);
  if (flags.shadow) return (await shadowAudited(services, info.version)) ?? info;
  return info;
}

/** A progress bar on stderr: epoch (or tree), loss, validation loss and ETA; `stop()` ends it. */
function progressBar(algorithm: Algorithm): { readonly onProgress: ProgressCallback; stop(): void } {
  const unit = algorithm === 'gbdt' ? 'tree' : 'epoch';
  const bar = new SingleBar({
    format: `${unit} {value}/{total} [{bar}] loss {loss} | val_loss {val_loss} | ETA {eta_s}s`,
    stream: process.stderr,
    noTTYOutput: true,
    notTTYSchedule: 1000,
    hideCursor: true,
  });
  let started = false;
  const onProgress: ProgressCallback = (p) => {
    const payload = {
      loss: p.loss.toFixed(4),
      val_loss: p.valLoss.toFixed(4),
      eta_s: (p.etaMs / 1000).toFixed(1),
    };
    if (!started) bar.start(p.epochs, p.epoch, payload);
    started = true;
    bar.update(p.epoch, payload);
  };
  return {
    onProgress,
    stop: () => {
      if (started) bar.stop();
    },
  };
}

function describeRun(info: ModelVersionInfo, result: TrainResult, data: TrainingData): string {
  const { sizes, params } = result;
  const role = info.role === 'none' ? '' : ` (${info.role})`;
  return [
    `Trained ${params.algorithm} on ${data.records.length} records from ${data.source} in ${(result.trainingMs / 1000).toFixed(1)} s` +
      ` (train ${sizes.train}, validation ${sizes.validation}, held out ${sizes.test}; best iteration ${params.bestIteration}).`,
    `\nHeld-out evaluation`,
    describeEvaluation(result.metrics),
    `\nRegistered model version ${info.version}${role}.${info.role === 'none' ? '' : unservedNote(info)}`,
  ].join('\n');
}

/** `--algorithm`; without it, epochs ask for the network (the prototype's `--samples 15000 --epochs 20`). */
function algorithmOf(flags: TrainFlags): Algorithm {
  const value = flags.algorithm ?? (flags.epochs === undefined ? DEFAULT_ALGORITHM : 'nn');
  if (value === 'nn' || value === 'gbdt') return value;
  throw invalid('--algorithm', `--algorithm must be nn or gbdt, not '${value}'.`);
}

function invalid(flag: string, message: string): AppError {
  return flagError(flag, 'invalid', message);
}
