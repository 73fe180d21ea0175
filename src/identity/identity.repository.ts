import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import type { FaceTemplateTable, VerificationTable } from './identity.table.js';

export type TemplateRow = Selectable<FaceTemplateTable>;
export type VerificationRow = Selectable<VerificationTable>;
export type TemplateInsert = Insertable<FaceTemplateTable>;

/** Filters of the verification log; times in ms, inclusive. */
export interface VerificationFilter {
  readonly userId?: string;
  readonly result?: VerificationRow['result'];
  readonly from?: number;
  readonly to?: number;
  /** Keyset cursor: attempts strictly older than this `(at, id)`. */
  readonly before?: { readonly at: number; readonly id: string };
  readonly limit: number;
}

/** Stores one (already sealed) template. */
export async function insertTemplate(db: Kysely<Database>, row: TemplateInsert): Promise<void> {
  await db.insertInto('face_templates').values(row).execute();
}

/** A user's templates, oldest first. */
export async function templatesOf(db: Kysely<Database>, userId: string): Promise<TemplateRow[]> {
  return db
    .selectFrom('face_templates')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Deletes a user's templates; resolves with how many there were. */
export async function deleteTemplates(db: Kysely<Database>, userId: string): Promise<number> {
  const result = await db.deleteFrom('face_templates').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Appends one attempt to the verification log. */
export async function insertVerification(
  db: Kysely<Database>,
  row: Insertable<VerificationTable>,
): Promise<void> {
  await db.insertInto('verifications').values(row).execute();
}

/** One attempt by id. */
export async function findVerification(
  db: Kysely<Database>,
  id: string,
): Promise<VerificationRow | undefined> {
  return db.selectFrom('verifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Attempts matching `filter`, newest first. */
export async function listVerifications(
  db: Kysely<Database>,
  filter: VerificationFilter,
): Promise<VerificationRow[]> {
  let query = db.selectFrom('verifications').selectAll();
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.result !== undefined) query = query.where('result', '=', filter.result);
  if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('at', '<=', filter.to);
  const before = filter.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([eb('at', '<', before.at), eb.and([eb('at', '=', before.at), eb('id', '<', before.id)])]),
    );
  }
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
