import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import { exclusiveTransaction } from '../store/exclusive-transaction.js';
import type { ModelVersionTable } from './model-version.table.js';

export type ModelVersionRow = Selectable<ModelVersionTable>;
export type ModelVersionSummaryRow = Omit<ModelVersionRow, 'artefact'>;

const SUMMARY_COLUMNS = [
  'version',
  'algorithm',
  'metrics',
  'feature_schema',
  'params',
  'data_hash',
  'source',
  'created_at',
  'role',
  'activated_at',
  'rolled_back_at',
] as const;

/** The advisory lock of model-version writes ("CMOD"): numbers and roles, one writer at a time. */
const MODEL_VERSIONS_LOCK = 0x434d4f44;

/** Saves a new version with the next number (`v1`, `v2`, …) and returns it. */
export async function insertModelVersion(
  db: Kysely<Database>,
  row: Omit<Insertable<ModelVersionTable>, 'version'>,
): Promise<string> {
  return exclusiveTransaction(db, MODEL_VERSIONS_LOCK, async (trx) => {
    const count = await trx
      .selectFrom('model_versions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    const version = `v${Number(count?.n ?? 0) + 1}`;
    await trx
      .insertInto('model_versions')
      .values({ ...row, version })
      .execute();
    return version;
  });
}

/** Every version without its artefact, newest first. */
export async function listModelVersions(db: Kysely<Database>): Promise<ModelVersionSummaryRow[]> {
  return db.selectFrom('model_versions').select(SUMMARY_COLUMNS).orderBy('created_at', 'desc').execute();
}

export async function findModelVersion(
  db: Kysely<Database>,
  version: string,
): Promise<ModelVersionRow | undefined> {
  return db.selectFrom('model_versions').selectAll().where('version', '=', version).executeTakeFirst();
}

/** The versions holding a role (`active`, `shadow`), with their artefacts. */
export async function findModelsWithRoles(db: Kysely<Database>): Promise<ModelVersionRow[]> {
  return db.selectFrom('model_versions').selectAll().where('role', '!=', 'none').execute();
}

/** Clears `role`; answers the version that held it (null when none did). */
export async function clearModelRole(db: Kysely<Database>, role: 'shadow'): Promise<string | null> {
  return exclusiveTransaction(db, MODEL_VERSIONS_LOCK, async (trx) => {
    const holder = await trx
      .selectFrom('model_versions')
      .select('version')
      .where('role', '=', role)
      .executeTakeFirst();
    if (holder === undefined) return null;
    await trx.updateTable('model_versions').set({ role: 'none' }).where('role', '=', role).execute();
    return holder.version;
  });
}

/**
 * Gives `version` the `role`, taking it from whichever version held it ({@link clearModelRole}
 * clears one). False, changing nothing, when `version` is to be the shadow but is the
 * active model (checked under the lock: another process may have just activated it).
 */
export async function assignModelRole(
  db: Kysely<Database>,
  role: 'active' | 'shadow',
  version: string,
  now: number,
): Promise<boolean> {
  return exclusiveTransaction(db, MODEL_VERSIONS_LOCK, async (trx) => {
    if (role === 'shadow' && (await roleOf(trx, version)) === 'active') return false;
    if (role === 'active') {
      await makeActive(trx, version, now, {});
      return true;
    }
    await trx.updateTable('model_versions').set({ role: 'none' }).where('role', '=', role).execute();
    await trx.updateTable('model_versions').set({ role }).where('version', '=', version).execute();
    return true;
  });
}

async function roleOf(db: Kysely<Database>, version: string) {
  const row = await db
    .selectFrom('model_versions')
    .select('role')
    .where('version', '=', version)
    .executeTakeFirst();
  return row?.role;
}

/**
 * Rolls the live model back: the active version is marked rolled back from, and the version
 * active most recently among the others not rolled back from becomes active. So rollbacks walk
 * back through the activations (v3 → v2 → v1), never back to a version just left; activating a
 * version clears its mark. Undefined, changing nothing, when there is none to go back to.
 */
export async function rollBackModel(db: Kysely<Database>, now: number): Promise<string | undefined> {
  return exclusiveTransaction(db, MODEL_VERSIONS_LOCK, async (trx) => {
    const previous = await trx
      .selectFrom('model_versions')
      .select('version')
      .where('role', '!=', 'active')
      .where('activated_at', 'is not', null)
      .where('rolled_back_at', 'is', null)
      .orderBy('activated_at', 'desc')
      .executeTakeFirst();
    if (!previous) return undefined;
    await makeActive(trx, previous.version, now, { rolled_back_at: now });
    return previous.version;
  });
}

/**
 * Makes `version` the active one (clearing its rolled-back mark); the version active until
 * now gets the role none and `left` (a rollback marks it rolled back from).
 */
async function makeActive(
  trx: Kysely<Database>,
  version: string,
  now: number,
  left: { readonly rolled_back_at?: number },
): Promise<void> {
  await trx
    .updateTable('model_versions')
    .set({ role: 'none', ...left })
    .where('role', '=', 'active')
    .execute();
  await trx
    .updateTable('model_versions')
    .set({ role: 'active', activated_at: now, rolled_back_at: null })
    .where('version', '=', version)
    .execute();
}
