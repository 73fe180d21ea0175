import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import type { RuleSetTable } from './rule-set.table.js';

export type RuleSetRow = Selectable<RuleSetTable>;

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
  return db.transaction().execute(async (trx) => {
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
    if (ruleSet.activate) await activateRuleSet(trx, version, ruleSet.now);
    return version;
  });
}

/** Makes `version` the only active rule set; false when it does not exist. */
export async function activateRuleSet(db: Kysely<Database>, version: number, now: number): Promise<boolean> {
  const exists = await findRuleSet(db, version);
  if (!exists) return false;
  await db.updateTable('rule_sets').set({ active: 0 }).where('active', '=', 1).execute();
  await db
    .updateTable('rule_sets')
    .set({ active: 1, activated_at: now })
    .where('version', '=', version)
    .execute();
  return true;
}
