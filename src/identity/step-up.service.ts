import { AppError } from '../errors.js';
import type { HistoryEntry } from '../transactions/transaction-history.js';
import type { TransactionService } from '../transactions/transaction.service.js';
import type { EmitWebhook } from '../webhooks/webhook-events.js';
import type { VerificationService, VerifyResult } from './verification.service.js';

/** What a failed step-up does to the transaction: decline it, or keep it in review. */
export type StepUpFailure = 'decline' | 'review';

/**
 * What a failed step-up does: `decline` the transaction, or keep it in `review` until it has
 * failed `maxFailures` times, the last of which declines it (so a photo cannot be tried
 * without end).
 */
export interface StepUpPolicy {
  readonly onFailure: StepUpFailure;
  readonly maxFailures: number;
}

/** What `POST /v1/transactions/:id/verify-identity` answers. */
export interface StepUpResult {
  readonly transaction_id: string;
  readonly decision: 'approve' | 'review' | 'decline';
  readonly verification: {
    readonly verification_id: string;
    readonly match: boolean;
    readonly similarity: number | null;
    readonly threshold: number | null;
    readonly reason: string | null;
  };
  readonly history: readonly HistoryEntry[];
  /** While the transaction stays in review: how many more step-ups it may take (a failed last one declines it). */
  readonly attempts_left: number | null;
}

/** Codes that count as a failed step-up; any other rejection (a bad photo) changes nothing. */
const FAILING_CODES = new Set(['SPOOF_SUSPECTED']);

function verificationOf(result: VerifyResult): StepUpResult['verification'] {
  return {
    verification_id: result.verification_id,
    match: result.match,
    similarity: result.similarity,
    threshold: result.threshold,
    reason: null,
  };
}

/** Step-ups of `history` that failed and kept the transaction in review. */
function failuresIn(history: readonly HistoryEntry[]): number {
  return history.filter((h) => h.type === 'step_up' && h.to_decision === 'review').length;
}

/**
 * Resolves a transaction held for review with the account holder's face: a match approves
 * it; no match (or a suspected spoof) declines it or keeps it in review, as configured. A
 * photo that cannot be checked (no face, blurred, …) answers its error and changes nothing.
 */
export class StepUpService {
  constructor(
    private readonly transactions: TransactionService,
    private readonly verifications: VerificationService,
    private readonly policy: StepUpPolicy,
    /** Publishes `transaction.decline` when a step-up declines (as the scorer's declines are). */
    private readonly emit?: EmitWebhook,
  ) {}

  async stepUp(
    id: string,
    image: Buffer,
    context: { threshold?: number; requestId?: string; actor: string },
  ): Promise<StepUpResult> {
    const tx = await this.transactions.get(id);
    if (!tx) throw new AppError('NOT_FOUND', `Transaction '${id}' is unknown.`);
    const current = tx.decision?.decision;
    if (current !== 'review') {
      throw new AppError('CONFLICT', `Transaction '${id}' is not in review (${current ?? tx.status}).`, {
        details: { decision: current ?? null },
      });
    }
    const verification = await this.verify(tx.transaction.account_id, id, image, context);
    const to = await this.transactions.changeDecision({
      transactionId: id,
      type: 'step_up',
      from: 'review',
      to: verification.match ? 'approve' : this.policy.onFailure,
      verificationId: verification.verification_id,
      actor: context.actor,
      // The last allowed failure declines: checked under the row's lock, for step-ups sent together.
      reviewLimit: this.policy.maxFailures - 1,
    });
    const after = await this.transactions.get(id);
    if (to === 'decline' && after?.decision && this.emit) {
      const step_up = { verification_id: verification.verification_id };
      await this.emit('transaction.decline', { ...after.decision, step_up });
    }
    const history = after?.history ?? [];
    const attemptsLeft = to === 'review' ? this.policy.maxFailures - failuresIn(history) : null;
    return { transaction_id: id, decision: to, verification, history, attempts_left: attemptsLeft };
  }

  private async verify(
    userId: string,
    transactionId: string,
    image: Buffer,
    context: { threshold?: number; requestId?: string; actor: string },
  ): Promise<StepUpResult['verification']> {
    try {
      return verificationOf(
        await this.verifications.verify(userId, image, { ...context, movement: 'step_up', transactionId }),
      );
    } catch (error) {
      if (!(error instanceof AppError) || !FAILING_CODES.has(error.code)) throw error;
      const details = (error.details ?? {}) as { verification_id?: string };
      return {
        verification_id: details.verification_id ?? '',
        match: false,
        similarity: null,
        threshold: null,
        reason: error.code,
      };
    }
  }
}
