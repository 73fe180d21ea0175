import type { DecisionOutcome } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
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
  accept(tx: TransactionInput, arrivedAt: number): Promise<{ status: 'pending' | 'decided' }>;
  /** Calls `listener` with new decisions; returns the function that unsubscribes. */
  subscribe(listener: DecisionListener): () => void;
  /** Work accepted and not yet decided, and (distributed) messages parked in the dead-letter stream. */
  backlog(): Promise<Backlog>;
  /** Waits for the work in flight (embedded: the queue; distributed: nothing to wait for). */
  idle(): Promise<void>;
  close(): Promise<void>;
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
