import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { evaluatePairs, type PairEvaluation } from '../identity/evaluate.js';
import { FaceEngineClient } from '../identity/face-engine/face-engine-client.js';
import { createIdentity, type Identity } from '../identity/identity.factory.js';
import { compareFaces } from '../identity/identity.service.js';
import { WebhookService } from '../webhooks/webhook.service.js';
import type { Config } from '../config.js';
import { enrollableUserId, MAX_TEXT_FIELD, userParamsSchema } from '../identity/identity.schema.js';
import { readInputFile } from '../shared/read-input.js';
import {
  configFrom,
  numberOf,
  textOf,
  wholeNumberOf,
  withServices,
  withStoreFlags,
  type StoreFlags,
} from './common.js';
import { formatTable, printResult } from './output.js';

const ACTOR = 'cli';
/** Each face engine worker holds its own models (hundreds of MB): more than this only thrashes. */
const MAX_EVALUATE_WORKERS = 16;

/** Runs `run` with the identity feature on the store named by the flags (one engine worker). */
async function withIdentity(flags: StoreFlags, run: (identity: Identity) => Promise<void>): Promise<void> {
  const config = configFrom(flags);
  await withServices(flags, async ({ store, audit }) => {
    const webhooks = new WebhookService(store.db);
    const identity = createIdentity(config, store, {
      audit,
      emit: (event, data) => webhooks.emit(event, data),
      engine: () => FaceEngineClient.start({ workers: 1 }),
    });
    try {
      await identity.engine.ready(); // the model load is not part of any latency reported
      await run(identity);
    } finally {
      await identity.close();
    }
  });
}

/** A failure as a result row, so one bad photo does not hide the others. */
function failureOf(file: string, error: unknown): { file: string; error: string; message: string } {
  process.exitCode = 1;
  if (error instanceof AppError) return { file, error: error.code, message: error.message };
  return { file, error: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** Longest user id and movement text, as in the API (`identity.schema.ts`). */
const MAX_USER_ID = userParamsSchema.properties.userId.maxLength;
const MAX_MOVEMENT = MAX_TEXT_FIELD;

/** `--threshold`: within the configured bounds (70–99.9 by default), as the API takes it. */
function thresholdOf(value: string, config: Config): number {
  return numberOf(value, '--threshold', config.similarityThresholdMin, config.similarityThresholdMax);
}

function enrollCommand(face: Command): void {
  withStoreFlags(face.command('enroll'))
    .description('add reference faces for a user (templates encrypted in the store)')
    .requiredOption('--user <id>', 'user (account) id')
    .argument('<images...>', 'JPEG, PNG or WebP photos with one face each')
    .action(async (images: string[], flags: StoreFlags & { user: string }) => {
      enrollableUserId(textOf(flags.user, '--user', MAX_USER_ID), '--user');
      await withIdentity(flags, async ({ identity }) => {
        const rows: Record<string, unknown>[] = [];
        for (const file of images) {
          try {
            const result = await identity.enroll(flags.user, await readInputFile(file), ACTOR);
            rows.push({
              file,
              template_id: result.template_id,
              size_px: result.face.quality.size_px,
              live: result.liveness?.passed,
            });
          } catch (error) {
            rows.push(failureOf(file, error));
          }
        }
        printResult(Boolean(flags.json), rows, () =>
          formatTable(rows, ['file', 'template_id', 'size_px', 'live', 'error', 'message']),
        );
      });
    });
}

interface VerifyFlags extends StoreFlags {
  readonly user: string;
  readonly threshold?: string;
  readonly movement?: string;
}

function verifyCommand(face: Command): void {
  withStoreFlags(face.command('verify'))
    .description(
      "verify a photo against a user's enrolled faces (logged like API attempts); exit code 1 unless it matches",
    )
    .requiredOption('--user <id>', 'user (account) id')
    .option('--threshold <n>', 'similarity threshold (default 80, within the configured bounds)')
    .option('--movement <text>', 'what is being authorised')
    .argument('<image>', 'the photo to verify')
    .action(async (image: string, flags: VerifyFlags) => {
      textOf(flags.user, '--user', MAX_USER_ID);
      if (flags.movement !== undefined) textOf(flags.movement, '--movement', MAX_MOVEMENT, 0);
      const threshold =
        flags.threshold === undefined ? undefined : thresholdOf(flags.threshold, configFrom(flags));
      await withIdentity(flags, async ({ verifications }) => {
        const result = await verifications.verify(flags.user, await readInputFile(image), {
          ...(threshold === undefined ? {} : { threshold }),
          ...(flags.movement === undefined ? {} : { movement: flags.movement }),
          actor: ACTOR,
        });
        if (!result.match) process.exitCode = 1;
        printResult(Boolean(flags.json), result, () =>
          formatTable(
            [{ ...result, face: undefined, live: result.liveness?.passed }],
            ['verification_id', 'user_id', 'match', 'similarity', 'threshold', 'live', 'latency_ms'],
          ),
        );
      });
    });
}

function compareCommand(face: Command): void {
  face
    .command('compare')
    .description('compare the largest face of SOURCE with every face of TARGET')
    .argument('<source>', 'source photo')
    .argument('<target>', 'target photo (may show several faces)')
    .option('--threshold <n>', 'similarity threshold (default 80, within the configured bounds)', '80')
    .option('--json', 'print one JSON document')
    .action(async (source: string, target: string, flags: { threshold: string; json?: boolean }) => {
      const threshold = thresholdOf(flags.threshold, configFrom({}));
      const engine = await FaceEngineClient.start({ workers: 2 });
      try {
        const [a, b] = await Promise.all([readInputFile(source), readInputFile(target)]);
        const result = await compareFaces(engine, a, b, threshold);
        const rows = [
          ...result.face_matches.map((m) => ({
            match: true,
            similarity: m.similarity,
            ...m.face.bounding_box,
          })),
          ...result.unmatched_faces.map((f) => ({ match: false, similarity: null, ...f.bounding_box })),
        ];
        printResult(Boolean(flags.json), result, () =>
          formatTable(rows, ['match', 'similarity', 'left', 'top', 'width', 'height']),
        );
      } finally {
        await engine.close();
      }
    });
}

const pct = (value: number | null) => (value === null ? 'n/a' : `${(100 * value).toFixed(2)} %`);

/** A rate with its count, `n/a (0 pairs)` when no pair of that kind was given. */
const rateText = (rate: number | null, pairs: number) =>
  rate === null ? `n/a (0 pairs)` : `${pct(rate)} (${Math.round(rate * pairs)} / ${pairs})`;

/** The evaluation report for people: the rate table, best accuracy, photos with no face. */
export function formatEvaluation(result: PairEvaluation): string {
  const rows = result.rates.map((r) => ({
    threshold: r.threshold,
    false_match_rate: rateText(r.falseMatchRate, r.n_diff),
    false_non_match_rate: rateText(r.falseNonMatchRate, r.n_same),
  }));
  return [
    formatTable(rows, ['threshold', 'false_match_rate', 'false_non_match_rate']),
    '',
    `pairs: ${result.pairs}`,
    `best-threshold accuracy: ${result.bestThreshold === null ? 'n/a' : `${pct(result.accuracyAtBest)} at similarity ${result.bestThreshold.toFixed(1)}`}`,
    `balanced accuracy (same and different pairs weighted equally, 10-fold, LFW-style): ${pct(result.balancedAccuracy)}`,
    `photos with no face: ${result.noFace}${result.noFace ? ` (${result.noFaceImages.join(', ')})` : ''}`,
    `pairs with a photo without a face (scored 0): ${result.noFacePairs}`,
  ].join('\n');
}

function evaluateFaceCommand(face: Command): void {
  face
    .command('evaluate')
    .description(
      'false-match / false-non-match rates at 70, 80, 90, 99 on a labelled pairs file (faces-dev format)',
    )
    .requiredOption('--pairs <file>', 'pairs.tsv: person_a image_a person_b image_b same (header line)')
    .requiredOption('--images <dir>', 'folder with <Person>/<image> photos')
    .option('--workers <n>', `face engine worker threads (1–${MAX_EVALUATE_WORKERS})`, '2')
    .option('--json', 'print one JSON document')
    .action(async (flags: { pairs: string; images: string; workers: string; json?: boolean }) => {
      const workers = wholeNumberOf(flags.workers, '--workers', 1, MAX_EVALUATE_WORKERS);
      const engine = await FaceEngineClient.start({ workers, maxQueue: 1000 });
      try {
        const result = await evaluatePairs({
          pairsFile: flags.pairs,
          imagesDir: flags.images,
          engine,
          concurrency: workers,
        });
        const { scored: _scored, ...summary } = result;
        printResult(Boolean(flags.json), summary, () => formatEvaluation(result));
      } finally {
        await engine.close();
      }
    });
}

/** `centinela face enroll|verify|compare|evaluate`. */
export function faceCommand(program: Command): void {
  const face = program.command('face').description('face identity: enroll, verify, compare, evaluate');
  enrollCommand(face);
  verifyCommand(face);
  compareCommand(face);
  evaluateFaceCommand(face);
}
