import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import { exclusiveTransaction } from '../store/exclusive-transaction.js';
import { readStoredDocument } from './rule-set.js';
import type { RuleSetTable } from './rule-set.table.js';

export type RuleSetRow = Selectable<RuleSetTable>;
/** A version as listed: everything but its document. */
export type RuleSetSummaryRow = Omit<RuleSetRow, 'document'>;

/** The advisory lock of rule-set writes ("CRUL"). */
const RULE_SETS_LOCK = 0x4352554c;
/** The largest version the column holds (PostgreSQL `integer`): no larger one exists. */
const MAX_VERSION = 2 ** 31 - 1;
const SUMMARY_COLUMNS = [
  'version',
  'name',
  'rule_count',
  'created_at',
  'created_by',
  'active',
  'activated_at',
] as const;

export async function findActiveRuleSet(db: Kysely<Database>): Promise<RuleSetRow | undefined> {
  return db.selectFrom('rule_sets').selectAll().where('active', '=', 1).executeTakeFirst();
}

/** The active version's number, without reading its document (null: none is active). */
export async function findActiveVersion(db: Kysely<Database>): Promise<number | null> {
  const row = await db.selectFrom('rule_sets').select('version').where('active', '=', 1).executeTakeFirst();
  return row === undefined ? null : Number(row.version);
}

export async function findRuleSet(db: Kysely<Database>, version: number): Promise<RuleSetRow | undefined> {
  if (version > MAX_VERSION) return undefined; // PostgreSQL would refuse to compare it
  return db.selectFrom('rule_sets').selectAll().where('version', '=', version).executeTakeFirst();
}

/** Up to `limit` versions below `before` (every one when undefined), newest first, without documents. */
export async function listRuleSetSummaries(
  db: Kysely<Database>,
  { before, limit }: { readonly before?: number; readonly limit: number },
): Promise<RuleSetSummaryRow[]> {
  return db
    .selectFrom('rule_sets')
    .select(SUMMARY_COLUMNS)
    .$if(before !== undefined, (q) => q.where('version', '<=', Math.min(Number(before) - 1, MAX_VERSION)))
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
}

export interface NewRuleSet {
  readonly name: string;
  readonly document: string;
  /** Default: counted from `document`. */
  readonly ruleCount?: number;
  readonly createdBy: string;
  readonly activate: boolean;
  readonly now: number;
}

/** A version written: its number and, when it was made active, the version active before (null: none). */
export interface WrittenVersion {
  readonly version: number;
  readonly activation?: Activation;
}

/** What an activation replaced: the version active before it (null: none was). */
export interface Activation {
  readonly previous: number | null;
}

/** Saves a new version (the next number) and, if asked, makes it the active one. */
export async function insertRuleSet(db: Kysely<Database>, ruleSet: NewRuleSet): Promise<number> {
  return (await writeRuleSet(db, ruleSet)).version;
}

/** {@link insertRuleSet}, also saying which version an activation replaced. */
export async function writeRuleSet(db: Kysely<Database>, ruleSet: NewRuleSet): Promise<WrittenVersion> {
  return writeRuleSets(db, (trx) => insertVersion(trx, ruleSet));
}

/**
 * First start: saves and activates `ruleSet` unless a rule set is active already (another
 * process that started at the same time may have installed it). True if this call saved it.
 */
export async function installFirstRuleSet(db: Kysely<Database>, ruleSet: NewRuleSet): Promise<boolean> {
  return writeRuleSets(db, async (trx) => {
    if ((await findActiveVersion(trx)) !== null) return false;
    await insertVersion(trx, { ...ruleSet, activate: true });
    return true;
  });
}

/** Makes `version` the only active rule set; undefined when it does not exist. */
export async function activateRuleSet(
  db: Kysely<Database>,
  version: number,
  now: number,
): Promise<Activation | undefined> {
  return writeRuleSets(db, (trx) => activateVersion(trx, version, now));
}

/** Rule-set writes run one at a time across processes (see {@link exclusiveTransaction}). */
function writeRuleSets<T>(
  db: Kysely<Database>,
  write: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return exclusiveTransaction(db, RULE_SETS_LOCK, write);
}

async function insertVersion(trx: Transaction<Database>, ruleSet: NewRuleSet): Promise<WrittenVersion> {
  const last = await trx
    .selectFrom('rule_sets')
    .select((eb) => eb.fn.max('version').as('version'))
    .executeTakeFirst();
  const version = Number(last?.version ?? 0) + 1;
  await trx
    .insertInto('rule_sets')
    .values({
      version,
      name: ruleSet.name,
      document: ruleSet.document,
      rule_count: ruleSet.ruleCount ?? ruleCountOf(ruleSet.document),
      created_at: ruleSet.now,
      created_by: ruleSet.createdBy,
      active: 0,
      activated_at: null,
    })
    .execute();
  if (!ruleSet.activate) return { version };
  return { version, activation: await activateVersion(trx, version, ruleSet.now) };
}

async function activateVersion(
  trx: Transaction<Database>,
  version: number,
  now: number,
): Promise<Activation | undefined> {
  if (version > MAX_VERSION) return undefined;
  const exists = await trx
    .selectFrom('rule_sets')
    .select('version')
    .where('version', '=', version)
    .executeTakeFirst();
  if (!exists) return undefined;
  const previous = await findActiveVersion(trx);
  await trx.updateTable('rule_sets').set({ active: 0 }).where('active', '=', 1).execute();
  await trx
    .updateTable('rule_sets')
    .set({ active: 1, activated_at: now })
    .where('version', '=', version)
    .execute();
  return { previous };
}

function ruleCountOf(document: string): number {
  return readStoredDocument(document).document?.rules.length ?? 0;
}
