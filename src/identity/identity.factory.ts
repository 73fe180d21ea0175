import { dirname, join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.service.js';
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';
import type { EmitWebhook } from '../webhooks/webhook-events.js';
import { LocalBlobStore } from './blob-store.js';
import { resolveEncryptionKey } from './encryption-key.js';
import { FaceEngineClient } from './face-engine/face-engine-client.js';
import type { FaceEngine } from './face-engine/face-engine.js';
import { IdentityService } from './identity.service.js';
import { LazyFaceEngine, type ObserveInference } from './lazy-face-engine.js';
import { TemplateCipher } from './template-cipher.js';
import { VerificationService } from './verification.service.js';

/** The identity feature, wired: services, the lazily started engine, and how to stop them. */
export interface Identity {
  readonly identity: IdentityService;
  readonly verifications: VerificationService;
  readonly engine: LazyFaceEngine;
  close(): Promise<void>;
}

const NO_KEY =
  'Identity routes need CENTINELA_ENCRYPTION_KEY (32 bytes, hex or base64) with PostgreSQL: every process must share the key that encrypts face templates.';

/** The SQLite file path of the store, or undefined for PostgreSQL. */
function sqlitePathOf(store: Store): string | undefined {
  return store.dialect === 'sqlite' ? store.location : undefined;
}

/**
 * Wires the identity feature from the configuration. The face engine starts on the first
 * identity request (a worker pool of `config.faceWorkers`), or `engine` when given (tests,
 * CLI tools that already hold one).
 */
export function createIdentity(
  config: Config,
  store: Store,
  deps: {
    audit: AuditLog;
    emit: EmitWebhook;
    engine?: () => Promise<FaceEngine>;
    observe?: ObserveInference;
  },
): Identity {
  const sqlite = sqlitePathOf(store);
  // Resolved on first use: a service that never sees a face writes no key file.
  let cipher: TemplateCipher | undefined | null = null;
  const cipherOf = () => {
    if (cipher === null) {
      const key = resolveEncryptionKey(config.encryptionKey, sqlite);
      cipher = key && new TemplateCipher(key.key);
    }
    return cipher;
  };
  const dataDir = sqlite && sqlite !== ':memory:' ? dirname(sqlite) : './data';
  const engine = new LazyFaceEngine(
    deps.engine ??
      (() => FaceEngineClient.start({ workers: config.faceWorkers, maxQueue: config.faceMaxQueue })),
    deps.observe,
  );
  const identity = new IdentityService({
    db: store.db,
    engine,
    cipher: cipherOf,
    unavailable: NO_KEY,
    blobs: new LocalBlobStore(config.blobDir ?? join(dataDir, 'blobs')),
    keepPhotos: config.keepReferencePhotos,
    audit: deps.audit,
    thresholds: {
      default: config.similarityThreshold,
      min: config.similarityThresholdMin,
      max: config.similarityThresholdMax,
    },
    liveness: config.liveness,
  });
  const verifications = new VerificationService(store.db, identity, deps.emit);
  return { identity, verifications, engine, close: () => engine.close() };
}

/** `/readyz` probe: ok while idle (starts on demand) or ready; the error after a failed start. */
export function engineProbe(engine: LazyFaceEngine): () => string {
  return () => {
    if (engine.state === 'failed') throw engine.lastError ?? new Error('face engine failed to start');
    return engine.state;
  };
}
