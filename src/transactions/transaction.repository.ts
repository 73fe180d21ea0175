import type { Compilable, Insertable, Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { QueryTemplates } from '../store/query-templates.js';
import type { TransactionLabelTable } from './transaction-label.table.js';
import type { TransactionTable } from './transaction.table.js';

export type TransactionRow = Selectable<TransactionTable>;
export type NewTransactionRow = Insertable<TransactionTable>;

/**
 * Rows per INSERT statement, largest first, for writes too large for one statement. Fixed
 * sizes let the driver reuse a handful of prepared statements, and 256 rows keep bound
 * parameters under SQLite's limit (32,766).
 */
const CHUNK_SIZES = [256, 64, 16, 4, 1];

/** Columns a decision fills in on a row that was stored as pending. */
export const DECISION_COLUMNS = [
  'status',
  'decision',
  'risk_score',
  'fraud_probability',
  'reasons',
  'rule_errors',
  'features',
  'rules_version',
  'model_version',
  'shadow_model_version',
  'shadow_probability',
  'processed_at',
  'latency_ms',
] as const;

/**
 * Stores decided rows in one database transaction (all or none). A row already stored as
 * pending (async ingestion) gets its decision; a row already decided is left as it is,
 * so a redelivered message never yields a second decision.
 */
export async function storeDecisions(
  db: Kysely<Database>,
  rows: readonly NewTransactionRow[],
): Promise<void> {
  await insertAtomically(db, rows, 'decide', (chunk, target) =>
    target
      .insertInto('transactions')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .column('transaction_id')
          .doUpdateSet((eb) => Object.fromEntries(DECISION_COLUMNS.map((c) => [c, eb.ref(`excluded.${c}`)])))
          .where('transactions.status', '=', 'pending'),
      ),
  );
}

/**
 * Stores decided rows whose ids are expected to be new, all or none. False, with nothing
 * stored, when any of them is stored already (decided or pending), or another row holds one
 * of their sequences: the caller then decides again knowing the stored rows, and stores with
 * {@link storeDecisions} (which fails as STORE_UNAVAILABLE on a sequence held by another id).
 */
export async function storeNewDecisions(
  db: Kysely<Database>,
  rows: readonly NewTransactionRow[],
): Promise<boolean> {
  try {
    await insertOnce(db, rows, 'new', (chunk, target) => target.insertInto('transactions').values(chunk));
    return true;
  } catch (error) {
    if (isWriteConflict(error)) return false; // a deadlock, too, stored nothing
    throw error;
  }
}

/** Stores transactions accepted for later decision; an id already stored is left as it is. */
export async function storePending(db: Kysely<Database>, rows: readonly NewTransactionRow[]): Promise<void> {
  await insertAtomically(db, rows, 'pending', (chunk, target) =>
    target
      .insertInto('transactions')
      .values(chunk)
      .onConflict((oc) => oc.column('transaction_id').doNothing()),
  );
}

type InsertBuilder = (chunk: NewTransactionRow[], target: Kysely<Database>) => Compilable;

/** Compiled INSERTs of the hot path by kind, row count and columns (see QueryTemplates). */
const templates = new QueryTemplates();

/**
 * Inserts `rows` all or none (see insertOnce), again if a try met rows another writer was
 * inserting. In distributed mode the API stores the pending rows of messages it has just
 * published while a worker stores those messages' decisions:
 * - both rows of a message carry its stream sequence, and `seq` is unique but not the ON
 *   CONFLICT target, so on PostgreSQL the later of two concurrent inserts fails on it (about
 *   one pair in a hundred when they race);
 * - runs of rows in different orders lock each other's rows, and PostgreSQL aborts one
 *   (deadlock detected): the worker's batch failed and was delivered again after later
 *   messages of its accounts had been decided, which undercounted their velocity.
 * Either way the failed statement changed nothing; run again, it sees the other rows and ON
 * CONFLICT resolves them.
 */
async function insertAtomically(
  db: Kysely<Database>,
  rows: readonly NewTransactionRow[],
  kind: string,
  build: InsertBuilder,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await insertOnce(db, rows, kind, build);
      return;
    } catch (error) {
      if (attempt >= INSERT_ATTEMPTS || !isWriteConflict(error)) throw error;
    }
  }
}

/** Tries of an insert that meets other writers' rows (a deadlock can repeat under load). */
const INSERT_ATTEMPTS = 4;

/** SQLite's codes for a row whose primary key or unique column is taken. */
const SQLITE_UNIQUE_VIOLATIONS = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);

/** PostgreSQL's deadlock_detected. */
const DEADLOCK = '40P01';

/**
 * PostgreSQL's unique_violation or deadlock_detected, or SQLite's unique violations. (SQLite
 * has one writer, so insertAtomically's next try never finds anything new there: it fails
 * the same way, which costs a few statements.)
 */
function isWriteConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === DEADLOCK || SQLITE_UNIQUE_VIOLATIONS.has(code as string);
}

/**
 * Inserts `rows` all or none. Up to the largest chunk size that is one statement (atomic on
 * its own: one round trip to the store, which is what the embedded hot path pays for);
 * beyond it, fixed-size chunks in one database transaction.
 */
async function insertOnce(
  db: Kysely<Database>,
  rows: readonly NewTransactionRow[],
  kind: string,
  build: InsertBuilder,
): Promise<void> {
  if (rows.length === 0) return;
  const insert = (chunk: NewTransactionRow[], target: Kysely<Database>) =>
    target.executeQuery(templates.insert(db, kind, chunk, () => build(chunk, target)));
  if (rows.length <= (CHUNK_SIZES[0] ?? 1)) {
    await insert([...rows], db);
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (const chunk of fixedSizeChunks(rows)) await insert(chunk, trx);
  });
}

function* fixedSizeChunks<T>(rows: readonly T[]): Generator<T[]> {
  let i = 0;
  while (i < rows.length) {
    const size = CHUNK_SIZES.find((n) => n <= rows.length - i) ?? 1;
    yield rows.slice(i, i + size);
    i += size;
  }
}

/** Pending transactions (accepted, not yet decided) in arrival order. */
export async function pendingTransactions(db: Kysely<Database>, limit: number): Promise<TransactionRow[]> {
  return db
    .selectFrom('transactions')
    .selectAll()
    .where('status', '=', 'pending')
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/**
 * The stored rows among `ids` (every batch's idempotency check: compiled once per id count),
 * or with `only`, those of that status. The decider asks for decided rows only: a pending
 * row (an async request accepted, not yet decided) is no decision, and need not be read back.
 */
export async function findTransactions(
  db: Kysely<Database>,
  ids: readonly string[],
  only?: TransactionRow['status'],
): Promise<TransactionRow[]> {
  if (ids.length === 0) return [];
  const query = templates.compile(db, `find:${only ?? 'any'}:${ids.length}`, ids, () => {
    const rows = db.selectFrom('transactions').selectAll().where('transaction_id', 'in', ids);
    return only ? rows.where('status', '=', only) : rows;
  });
  return (await db.executeQuery<TransactionRow>(query)).rows;
}

/**
 * The stored rows among `ids` (or, with `only`, those of that status) by id, in one lookup
 * (none for no ids); a store that cannot be read is STORE_UNAVAILABLE.
 */
export async function storedRowsOf(
  db: Kysely<Database>,
  ids: readonly string[],
  only?: TransactionRow['status'],
): Promise<Map<string, TransactionRow>> {
  const rows = await findTransactions(db, [...new Set(ids)], only).catch((cause: unknown) => {
    throw new AppError('STORE_UNAVAILABLE', 'The store cannot be read; retry.', { cause });
  });
  return new Map(rows.map((r) => [r.transaction_id, r]));
}

export async function findTransaction(db: Kysely<Database>, id: string): Promise<TransactionRow | undefined> {
  return db.selectFrom('transactions').selectAll().where('transaction_id', '=', id).executeTakeFirst();
}

export interface TransactionFilter {
  readonly accountId?: string;
  readonly decision?: 'approve' | 'review' | 'decline';
  /** Event time bounds, ms, inclusive. */
  readonly from?: number;
  readonly to?: number;
  /** Only rows received before this arrival sequence number (keyset pagination). */
  readonly beforeSeq?: number;
  readonly limit: number;
}

/** Newest first by arrival. */
export async function listTransactions(
  db: Kysely<Database>,
  filter: TransactionFilter,
): Promise<TransactionRow[]> {
  let query = db.selectFrom('transactions').selectAll();
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.decision !== undefined) query = query.where('decision', '=', filter.decision);
  if (filter.from !== undefined) query = query.where('event_time', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('event_time', '<=', filter.to);
  if (filter.beforeSeq !== undefined) query = query.where('seq', '<', filter.beforeSeq);
  return query.orderBy('seq', 'desc').limit(filter.limit).execute();
}

/** Highest arrival sequence number stored, 0 when empty. */
export async function maxSeq(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('transactions')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

/**
 * The velocity inputs that live state still holds: per account, decided events within
 * `retentionMs` of that account's newest event, in arrival order. With `partitions`, only
 * rows of those partitions (and rows stored before partitions existed, -1).
 */
export async function retainedVelocityEvents(
  db: Kysely<Database>,
  retentionMs: number,
  partitions?: readonly number[],
) {
  const newest = db
    .selectFrom('transactions')
    .select((e) => ['account_id', e.fn.max('event_time').as('newest')])
    .where('status', '=', 'decided');
  return db
    .selectFrom('transactions as t')
    .innerJoin(inPartitions(newest, partitions).groupBy('account_id').as('n'), (join) =>
      join.onRef('n.account_id', '=', 't.account_id'),
    )
    .select(['t.account_id', 't.event_time', 't.amount', 't.destination_country'])
    .where('t.status', '=', 'decided')
    .whereRef('t.event_time', '>=', (eb) => eb('n.newest', '-', retentionMs))
    .orderBy('t.seq')
    .execute();
}

/** Number of decided transactions per account (of `partitions` when given). */
export async function countsByAccount(db: Kysely<Database>, partitions?: readonly number[]) {
  const counts = db
    .selectFrom('transactions')
    .select((eb) => ['account_id', eb.fn.countAll<number>().as('count')])
    .where('status', '=', 'decided');
  return inPartitions(counts, partitions).groupBy('account_id').execute();
}

function inPartitions<O>(
  query: SelectQueryBuilder<Database, 'transactions', O>,
  partitions: readonly number[] | undefined,
): SelectQueryBuilder<Database, 'transactions', O> {
  return partitions === undefined ? query : query.where('partition', 'in', [...partitions, -1]);
}

export type LabelRow = Selectable<TransactionLabelTable>;

/** Saves an analyst's label, replacing an earlier one. */
export async function upsertLabel(db: Kysely<Database>, label: LabelRow): Promise<void> {
  await db
    .insertInto('transaction_labels')
    .values(label)
    .onConflict((oc) =>
      oc.column('transaction_id').doUpdateSet({
        label: label.label,
        labelled_by: label.labelled_by,
        labelled_at: label.labelled_at,
      }),
    )
    .execute();
}

/**
 * Stores `label` only if the transaction's label is still `expected` (null: it has none), in
 * one statement; false when it is not (another analyst labelled it meanwhile).
 */
export async function replaceLabel(
  db: Kysely<Database>,
  label: LabelRow,
  expected: LabelRow['label'] | null,
): Promise<boolean> {
  if (expected === null) {
    const inserted = await db
      .insertInto('transaction_labels')
      .values(label)
      .onConflict((oc) => oc.column('transaction_id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  const updated = await db
    .updateTable('transaction_labels')
    .set({ label: label.label, labelled_by: label.labelled_by, labelled_at: label.labelled_at })
    .where('transaction_id', '=', label.transaction_id)
    .where('label', '=', expected)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

export async function findLabel(db: Kysely<Database>, id: string): Promise<LabelRow | undefined> {
  return db.selectFrom('transaction_labels').selectAll().where('transaction_id', '=', id).executeTakeFirst();
}

export async function findLabels(db: Kysely<Database>, ids: readonly string[]): Promise<LabelRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('transaction_labels').selectAll().where('transaction_id', 'in', ids).execute();
}
