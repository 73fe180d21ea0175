import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { DecisionOutcome } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import { storedRowsOf, type TransactionRow } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';

/** Receives new decisions once they are durable. */
export type DecisionListener = (results: readonly DecisionResult[]) => void;

/**
 * How accepted transactions reach a decision: in this process (embedded mode) or through
 * the `transactions` stream to workers (distributed mode). Same contract for both.
 */
/** What the metrics report as consumer lag and dead letters. */
export interface Backlog {
  readonly lag: number;
  /** Absent in embedded mode, which has no dead-letter stream. */
  readonly deadLetters?: number;
}

export interface Ingestion {
  /** Decides `tx` (or returns its stored decision); resolves once the decision is durable. */
  submit(tx: TransactionInput, arrivedAt: number): Promise<DecisionOutcome>;
  /** Resolves once `tx` is durably accepted; the decision follows. */
  accept(tx: TransactionInput, arrivedAt: number): Promise<Accepted>;
  /** Calls `listener` with new decisions; returns the function that unsubscribes. */
  subscribe(listener: DecisionListener): () => void;
  /** Work accepted and not yet decided, and (distributed) messages parked in the dead-letter stream. */
  backlog(): Promise<Backlog>;
  /** Waits for the work in flight (embedded: the queue; distributed: nothing to wait for). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Where a transaction stands: stored and waiting for its decision, or decided. */
export type Status = 'pending' | 'decided';

/** An accepted transaction's status; `replayed` when its id was stored already (nothing new stored). */
export interface Accepted {
  readonly status: Status;
  readonly replayed: boolean;
}

/** Most async requests accepted in one run: one idempotency lookup and one INSERT statement of pending rows. */
export const ACCEPT_BATCH = 256;

/**
 * The stored rows among the ids of `txs`: one lookup for a whole run of requests, and none
 * for ids the parser generated, which cannot be stored yet.
 */
export function storedRows(
  db: Kysely<Database>,
  txs: readonly TransactionInput[],
): Promise<Map<string, TransactionRow>> {
  return storedRowsOf(
    db,
    txs.filter((tx) => !hasGeneratedId(tx)).map((tx) => tx.transaction_id),
  );
}

/** The first item of each key, leaving out keys in `skip`. */
export function firstOfEach<T>(items: readonly T[], key: (item: T) => string, skip = new Set<string>()): T[] {
  const seen = new Set(skip);
  return items.filter((item) => {
    if (seen.has(key(item))) return false;
    seen.add(key(item));
    return true;
  });
}

/** The client sent no id, so the parser made a new UUID: it cannot have been stored before. */
export function hasGeneratedId(tx: TransactionInput): boolean {
  return tx.raw['transaction_id'] === undefined;
}

/** Calls every listener, keeping one listener's failure from the others. */
export function notify(listeners: Iterable<DecisionListener>, results: readonly DecisionResult[]): void {
  if (results.length === 0) return;
  for (const listener of listeners) {
    try {
      listener(results);
    } catch (error) {
      console.error('decision listener failed', error);
    }
  }
}
