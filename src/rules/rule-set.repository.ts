import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database } from '../store/database.js';
import { exclusiveTransaction } from '../store/exclusive-transaction.js';
import type { RuleSetTable } from './rule-set.table.js';

export type RuleSetRow = Selectable<RuleSetTable>;

/** The advisory lock of rule-set writes ("CRUL"). */
const RULE_SETS_LOCK = 0x4352554c;

export async function findActiveRuleSet(db: Kysely<Database>): Promise<RuleSetRow | undefined> {
  return db.selectFrom('rule_sets').selectAll().where('active', '=', 1).executeTakeFirst();
}

export async function findRuleSet(db: Kysely<Database>, version: number): Promise<RuleSetRow | undefined> {
  return db.selectFrom('rule_sets').selectAll().where('version', '=', version).executeTakeFirst();
}

/** Every version, newest first. */
export async function listRuleSets(db: Kysely<Database>): Promise<RuleSetRow[]> {
  return db.selectFrom('rule_sets').selectAll().orderBy('version', 'desc').execute();
}

export interface NewRuleSet {
  readonly name: string;
  readonly document: string;
  readonly createdBy: string;
  readonly activate: boolean;
  readonly now: number;
}

/** Saves a new version (the next number) and, if asked, makes it the active one. */
export async function insertRuleSet(db: Kysely<Database>, ruleSet: NewRuleSet): Promise<number> {
  return writeRuleSets(db, (trx) => insertVersion(trx, ruleSet));
}

/**
 * First start: saves and activates `ruleSet` unless a rule set is active already (another
 * process that started at the same time may have installed it). True if this call saved it.
 */
export async function installFirstRuleSet(db: Kysely<Database>, ruleSet: NewRuleSet): Promise<boolean> {
  return writeRuleSets(db, async (trx) => {
    if (await findActiveRuleSet(trx)) return false;
    await insertVersion(trx, { ...ruleSet, activate: true });
    return true;
  });
}

/** Makes `version` the only active rule set; false when it does not exist. */
export async function activateRuleSet(db: Kysely<Database>, version: number, now: number): Promise<boolean> {
  return writeRuleSets(db, (trx) => activateVersion(trx, version, now));
}

/** Rule-set writes run one at a time across processes (see {@link exclusiveTransaction}). */
function writeRuleSets<T>(
  db: Kysely<Database>,
  write: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return exclusiveTransaction(db, RULE_SETS_LOCK, write);
}

async function insertVersion(trx: Transaction<Database>, ruleSet: NewRuleSet): Promise<number> {
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
      created_at: ruleSet.now,
      created_by: ruleSet.createdBy,
      active: 0,
      activated_at: null,
    })
    .execute();
  if (ruleSet.activate) await activateVersion(trx, version, ruleSet.now);
  return version;
}

async function activateVersion(trx: Transaction<Database>, version: number, now: number): Promise<boolean> {
  const exists = await findRuleSet(trx, version);
  if (!exists) return false;
  await trx.updateTable('rule_sets').set({ active: 0 }).where('active', '=', 1).execute();
  await trx
    .updateTable('rule_sets')
    .set({ active: 1, activated_at: now })
    .where('version', '=', version)
    .execute();
  return true;
}
