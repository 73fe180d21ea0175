import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/audit-log.service.js';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { exclusiveTransaction } from '../store/exclusive-transaction.js';
import type { BlobStore } from './blob-store.js';
import { checkFace, type LivenessMode } from './face-check.js';
import type { FaceDescription, FaceEngine, LivenessResult } from './face-engine/face-engine.js';
import { runCalls } from './face-engine/face-engine.js';
import { deleteTemplates, insertTemplate, templatesOf, type TemplateInsert } from './identity.repository.js';
import {
  appErrorOf,
  failureAbout,
  faceView,
  livenessView,
  qualifiedFaceView,
  roundSimilarity,
  type FaceView,
  type QualifiedFaceView,
} from './identity.view.js';
import type { TemplateCipher } from './template-cipher.js';

/** PostgreSQL advisory lock of enrollments ({@link exclusiveTransaction}): 'CENR'. */
const ENROLLMENT_LOCK = 0x43454e52;
/** Match thresholds on the calibrated 0..100 scale. */
export interface ThresholdBounds {
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** What {@link IdentityService} needs, wired in `identity.factory.ts`. */
export interface IdentityDeps {
  readonly db: Kysely<Database>;
  readonly engine: FaceEngine;
  /** The template cipher (resolved on first use); undefined without a key: `IDENTITY_UNAVAILABLE`. */
  readonly cipher: () => TemplateCipher | undefined;
  /** Why there is no cipher, for the error message. */
  readonly unavailable?: string;
  readonly blobs: BlobStore;
  readonly keepPhotos: boolean;
  readonly audit: AuditLog;
  readonly thresholds: ThresholdBounds;
  readonly liveness: LivenessMode;
}

/** What `POST /v1/identities/:userId/faces` answers. */
export interface EnrollResult {
  readonly template_id: string;
  readonly user_id: string;
  readonly templates: number;
  readonly face: QualifiedFaceView;
  readonly liveness: LivenessResult | null;
  readonly photo_kept: boolean;
  readonly created_at: string;
}

/** What `POST /v1/faces/compare` answers (CompareFaces' shape). */
export interface CompareResult {
  readonly source_face: FaceView;
  readonly face_matches: readonly { readonly similarity: number; readonly face: FaceView }[];
  readonly unmatched_faces: readonly FaceView[];
  readonly similarity_threshold: number;
}

/** The largest face of `source` against every face of `target`, CompareFaces-style. */
export async function compareFaces(
  engine: FaceEngine,
  source: Buffer,
  target: Buffer,
  threshold: number,
): Promise<CompareResult> {
  // Both are read at once, as one request; when both fail, the source's failure is reported.
  const [sourceFaces, targetFaces] = runCalls(engine, [
    { op: 'describe', image: source },
    { op: 'describe', image: target },
  ]);
  const [a, b] = await Promise.allSettled([named(sourceFaces, 'source'), named(targetFaces, 'target')]);
  if (a.status === 'rejected') throw a.reason;
  if (b.status === 'rejected') throw b.reason;
  const main = a.value.faces[0];
  if (!main)
    throw new AppError('NO_FACE', 'No face was found in the source image.', { details: { field: 'source' } });
  const scored = b.value.faces
    .map((face) => ({
      similarity: roundSimilarity(engine.similarity(main.descriptor, face.descriptor)),
      face,
    }))
    .sort((x, y) => y.similarity - x.similarity);
  return {
    source_face: faceView(main),
    face_matches: scored
      .filter((s) => s.similarity >= threshold)
      .map((s) => ({ similarity: s.similarity, face: faceView(s.face) })),
    unmatched_faces: scored.filter((s) => s.similarity < threshold).map((s) => faceView(s.face)),
    similarity_threshold: threshold,
  };
}

/** The faces of one of compare's images; a failure names the image (`details.field`). */
async function named(described: Promise<FaceDescription>, field: 'source' | 'target') {
  try {
    return await described;
  } catch (error) {
    throw failureAbout(error, { field }, `The ${field} image`);
  }
}

/** Blob-store folder of a user's photos; hashed so any user id makes a safe key. */
export function photoPrefix(userId: string): string {
  return `faces/${createHash('sha256').update(userId).digest('hex').slice(0, 32)}`;
}

/** Associated data binding a sealed template or photo to its row. */
export const sealContext = (userId: string, templateId: string): string => `${userId}/${templateId}`;

/**
 * Enrollment, erasure and comparison of faces. Templates are sealed with AES-256-GCM before
 * they reach the store; photos reach the blob store (sealed too) only when configured.
 */
export class IdentityService {
  constructor(readonly deps: IdentityDeps) {}

  /** The cipher, or a 503 saying why identity is unavailable. */
  cipher(): TemplateCipher {
    const cipher = this.deps.cipher();
    if (cipher) return cipher;
    throw new AppError('IDENTITY_UNAVAILABLE', this.deps.unavailable ?? 'No encryption key is configured.');
  }

  /** A request's threshold within the configured bounds, or the default. */
  threshold(requested: number | undefined): number {
    const { default: fallback, min, max } = this.deps.thresholds;
    if (requested === undefined) return fallback;
    if (requested >= min && requested <= max) return requested;
    throw new AppError('VALIDATION_FAILED', `similarity_threshold must be from ${min} to ${max}.`, {
      details: [{ field: 'similarity_threshold', code: 'range', message: `from ${min} to ${max}` }],
    });
  }

  /** Adds a reference template for `userId` from a photo with one usable, live face. */
  async enroll(userId: string, image: Buffer, actor: string): Promise<EnrollResult> {
    const cipher = this.cipher();
    const { face, liveness } = await checkFace(this.deps.engine, image, this.deps.liveness).catch(
      (error: unknown) => {
        throw appErrorOf(error);
      },
    );
    await this.assertSamePerson(this.deps.db, userId, face.descriptor);
    const id = `tpl_${randomUUID()}`;
    const context = sealContext(userId, id);
    const photoKey = this.deps.keepPhotos ? `${photoPrefix(userId)}/${id}.bin` : null;
    if (photoKey) await this.deps.blobs.put(photoKey, cipher.seal(image, context));
    const createdAt = Date.now();
    const view = qualifiedFaceView(face);
    const template = {
      id,
      user_id: userId,
      model: this.deps.engine.model,
      template: cipher.sealDescriptor(face.descriptor, context),
      photo_key: photoKey,
      face: JSON.stringify(view),
      created_at: createdAt,
      created_by: actor,
    };
    const templates = await this.store(template, face.descriptor);
    return {
      template_id: id,
      user_id: userId,
      templates,
      face: view,
      liveness: livenessView(liveness),
      photo_kept: photoKey !== null,
      created_at: new Date(createdAt).toISOString(),
    };
  }

  /**
   * Stores a template, checked again where it is stored, one enrollment (or erasure) at a
   * time: two first enrollments of one user sent together both found no face to match and
   * stored two people. A refused template's photo is removed. Resolves with the user's
   * template count.
   */
  private async store(template: TemplateInsert, descriptor: Float32Array): Promise<number> {
    const { user_id: userId, photo_key: photoKey = null } = template;
    return exclusiveTransaction(this.deps.db, ENROLLMENT_LOCK, async (trx) => {
      await this.assertPhotoKept(userId, photoKey);
      await this.assertSamePerson(trx, userId, descriptor);
      await insertTemplate(trx, template);
      return (await templatesOf(trx, userId)).length;
    }).catch(async (error: unknown) => {
      if (photoKey) await this.deps.blobs.deletePrefix(photoKey).catch(() => undefined);
      throw error;
    });
  }

  /**
   * Refuses an enrollment whose photo an erasure of the user removed after it was written:
   * the erasure came after the enrollment began, so the enrollment is undone, not stored
   * pointing at a photo that is gone.
   */
  private async assertPhotoKept(userId: string, photoKey: string | null): Promise<void> {
    if (photoKey === null || (await this.deps.blobs.exists(photoKey))) return;
    throw new AppError(
      'CONFLICT',
      `The identity of user '${userId}' was erased while this photo was being enrolled; enroll it again if it is still wanted.`,
    );
  }

  /**
   * Refuses a face that matches none of the user's enrolled faces at the lowest threshold a
   * verification may ask for (`CENTINELA_SIMILARITY_THRESHOLD_MIN`): a second person's face
   * would verify as the user. Enrolling another person takes an erasure first.
   */
  private async assertSamePerson(
    db: Kysely<Database>,
    userId: string,
    descriptor: Float32Array,
  ): Promise<void> {
    const enrolled = await this.descriptorsOf(userId, db);
    if (enrolled.length === 0) return;
    const similarity = this.bestSimilarity(enrolled, descriptor);
    const threshold = this.deps.thresholds.min;
    if (similarity >= threshold) return;
    throw new AppError(
      'FACE_MISMATCH',
      `The face does not match the enrolled faces of user '${userId}' (similarity ${similarity}, under ${threshold}); erase the identity first to enroll another person.`,
      { details: { similarity, threshold } },
    );
  }

  /** The best similarity of `descriptor` to any of `enrolled`, rounded as answers show it. */
  bestSimilarity(enrolled: readonly Float32Array[], descriptor: Float32Array): number {
    return roundSimilarity(Math.max(...enrolled.map((d) => this.deps.engine.similarity(d, descriptor))));
  }

  /** The user's descriptors, decrypted; empty when not enrolled. */
  async descriptorsOf(userId: string, db: Kysely<Database> = this.deps.db): Promise<Float32Array[]> {
    const cipher = this.cipher();
    const rows = await templatesOf(db, userId);
    return rows
      .filter((row) => row.model === this.deps.engine.model)
      .map((row) => cipher.openDescriptor(row.template, sealContext(userId, row.id)));
  }

  /**
   * Removes every template and photo of a user and records it in the audit log. Runs under
   * the enrollment lock: an enrollment stored before it is removed with its photo, one that
   * wrote its photo before it but is stored after it finds the photo gone and is refused.
   */
  async erase(userId: string, actor: string): Promise<{ user_id: string; templates_deleted: number }> {
    const deleted = await exclusiveTransaction(this.deps.db, ENROLLMENT_LOCK, async (trx) => {
      const count = await deleteTemplates(trx, userId);
      await this.deps.blobs.deletePrefix(photoPrefix(userId));
      return count;
    });
    await this.deps.audit.record(actor, 'identity.erase', userId, { templates: deleted });
    return { user_id: userId, templates_deleted: deleted };
  }

  /** The largest face of `source` against every face of `target`. */
  async compare(source: Buffer, target: Buffer, requested?: number): Promise<CompareResult> {
    return compareFaces(this.deps.engine, source, target, this.threshold(requested));
  }
}
