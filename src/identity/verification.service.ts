import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { AppError, withDetails } from '../errors.js';
import type { Database } from '../store/database.js';
import { nextCursor, readPage } from '../shared/keyset-cursor.js';
import type { EmitWebhook } from '../webhooks/webhook-events.js';
import { checkFace } from './face-check.js';
import type { LivenessResult } from './face-engine/face-engine.js';
import type { IdentityService } from './identity.service.js';
import {
  findVerification,
  insertVerification,
  listVerifications,
  type VerificationFilter,
  type VerificationRow,
} from './identity.repository.js';
import {
  appErrorOf,
  livenessView,
  qualifiedFaceView,
  verificationView,
  type QualifiedFaceView,
  type VerificationView,
} from './identity.view.js';

/** Who asks, and about what; none of it is biometric. */
export interface VerifyContext {
  readonly movement?: string;
  readonly transactionId?: string;
  readonly threshold?: number;
  readonly requestId?: string;
  readonly actor: string;
}

/** What `POST /v1/identities/:userId/verify` answers. */
export interface VerifyResult {
  readonly verification_id: string;
  readonly user_id: string;
  readonly match: boolean;
  readonly similarity: number;
  readonly threshold: number;
  readonly face: QualifiedFaceView;
  readonly liveness: LivenessResult | null;
  readonly movement: string | null;
  readonly transaction_id: string | null;
  readonly processed_at: string;
  readonly latency_ms: number;
}

type Outcome = Pick<VerificationRow, 'result' | 'similarity' | 'reason'>;

/**
 * Verifies a photo against a user's templates (best similarity wins) and logs every attempt:
 * match, no match and rejected, with the reason, never with biometric data. A failed or
 * rejected attempt emits the `verification.failed` webhook.
 */
export class VerificationService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly identity: IdentityService,
    private readonly emit: EmitWebhook,
  ) {}

  async verify(userId: string, image: Buffer, context: VerifyContext): Promise<VerifyResult> {
    const started = performance.now();
    const threshold = this.identity.threshold(context.threshold);
    const id = `ver_${randomUUID()}`;
    const log = (outcome: Outcome) => this.log(id, userId, threshold, context, outcome, started);
    let best: number;
    let checked;
    try {
      const descriptors = await this.identity.descriptorsOf(userId);
      if (descriptors.length === 0)
        throw new AppError('NOT_ENROLLED', `User '${userId}' has no enrolled face.`);
      checked = await checkFace(this.identity.deps.engine, image, this.identity.deps.liveness);
      const { descriptor } = checked.face;
      best = this.identity.bestSimilarity(descriptors, descriptor);
    } catch (error) {
      // Every attempt is logged, an unexpected failure too (as INTERNAL), except when the
      // engine has closed: the service is stopping.
      const failure = appErrorOf(error);
      const reason = failure instanceof AppError ? failure.code : 'INTERNAL';
      if (reason === 'IDENTITY_UNAVAILABLE') throw failure;
      // The attempt's own failure is what the caller needs, even when the log cannot be written.
      await log({ result: 'rejected', similarity: null, reason }).catch(() => undefined);
      throw failure instanceof AppError ? withDetails(failure, { verification_id: id }) : failure;
    }
    const match = best >= threshold;
    const row = await log({ result: match ? 'match' : 'no_match', similarity: best, reason: null });
    return {
      verification_id: id,
      user_id: userId,
      match,
      similarity: best,
      threshold,
      face: qualifiedFaceView(checked.face),
      liveness: livenessView(checked.liveness),
      movement: context.movement ?? null,
      transaction_id: context.transactionId ?? null,
      processed_at: new Date(Number(row.at)).toISOString(),
      latency_ms: row.latency_ms,
    };
  }

  /**
   * Logs an attempt the route refused before it reached {@link verify} (an upload over the
   * size limit) and answers the error with its `verification_id`.
   */
  async reject(userId: string, error: AppError, context: VerifyContext): Promise<AppError> {
    const id = `ver_${randomUUID()}`;
    const threshold = this.identity.deps.thresholds.default;
    await this.log(
      id,
      userId,
      threshold,
      context,
      { result: 'rejected', similarity: null, reason: error.code },
      performance.now(),
    );
    return withDetails(error, { verification_id: id });
  }

  async get(id: string): Promise<VerificationView> {
    const row = await findVerification(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', `No verification with id '${id}'.`);
    return verificationView(row);
  }

  /** Attempts matching `filter`, newest first, with the cursor of the next page (or null). */
  async list(filter: VerificationFilter): Promise<{ items: VerificationView[]; next_cursor: string | null }> {
    const page = await readPage(filter.limit, (limit) => listVerifications(this.db, { ...filter, limit }));
    const cursorAt = (row: (typeof page.rows)[number]) => ({ at: Number(row.at), id: row.id });
    return { items: page.rows.map(verificationView), next_cursor: nextCursor(page, cursorAt) };
  }

  private async log(
    id: string,
    userId: string,
    threshold: number,
    context: VerifyContext,
    outcome: Outcome,
    started: number,
  ): Promise<VerificationRow> {
    const row: VerificationRow = {
      id,
      user_id: userId,
      movement: context.movement ?? null,
      transaction_id: context.transactionId ?? null,
      ...outcome,
      threshold,
      request_id: context.requestId ?? null,
      actor: context.actor,
      at: Date.now(),
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
    };
    await insertVerification(this.db, row);
    if (row.result !== 'match') await this.emit('verification.failed', verificationView(row));
    return row;
  }
}
