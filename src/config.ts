import { AppError } from './errors.js';
import { decodeEncryptionKey } from './identity/encryption-key.js';
import { CURRENCIES } from './shared/currencies.js';
import { DEFAULT_PARTITIONS } from './shared/partition.js';

/** Service configuration, read once at start from the environment, validated and frozen. */
export interface Config {
  /** HTTP port. `CENTINELA_PORT` or `PORT`; default 3000. */
  readonly port: number;
  /** Interface to listen on. `CENTINELA_HOST`; default 127.0.0.1. */
  readonly host: string;
  /** SQLite file path or `postgres://…` URL. `CENTINELA_DATABASE_URL`; default ./data/centinela.db. */
  readonly databaseUrl: string;
  /** A key accepted with the `admin` scope. `CENTINELA_ADMIN_KEY`; default none. */
  readonly adminKey: string | undefined;
  /** Currency of transactions that send none. `CENTINELA_DEFAULT_CURRENCY`; default USD. */
  readonly defaultCurrency: string;
  /** risk_score at or above which a transaction is reviewed. `CENTINELA_REVIEW_THRESHOLD`; default 50. */
  readonly reviewThreshold: number;
  /** risk_score at or above which a transaction is declined. `CENTINELA_DECLINE_THRESHOLD`; default 90. */
  readonly declineThreshold: number;
  /** SQLite `synchronous` pragma: full (fsync each commit) or normal. `CENTINELA_SQLITE_SYNCHRONOUS`; default full. */
  readonly sqliteSynchronous: 'full' | 'normal';
  /** Hours of per-account history kept in memory for velocity. `CENTINELA_VELOCITY_RETENTION_HOURS`; default 48. */
  readonly velocityRetentionHours: number;
  /** How often the service looks for a rule set activated elsewhere (ms). `CENTINELA_RULES_REFRESH_MS`; default 2000. */
  readonly rulesRefreshMs: number;
  /** NATS server for the distributed mode (streams and workers). `CENTINELA_NATS_URL`; default none (embedded). */
  readonly natsUrl: string | undefined;
  /** Prefix of the JetStream stream and consumer names (several deployments can share a server). `CENTINELA_NATS_PREFIX`; default centinela. */
  readonly natsPrefix: string;
  /** A worker's unacknowledged batch is redelivered (to another worker) after this long. `CENTINELA_WORKER_ACK_WAIT_MS`; default 30000. */
  readonly workerAckWaitMs: number;
  /** Most messages a worker decides and commits together. `CENTINELA_WORKER_BATCH`; default 500. */
  readonly workerBatch: number;
  /** How long a synchronous request waits for a worker's decision (distributed mode). `CENTINELA_DECISION_TIMEOUT_MS`; default 5000. */
  readonly decisionTimeoutMs: number;
  /** Partitions accounts are spread over (stream subjects, worker shares). `CENTINELA_PARTITIONS`; default 16. */
  readonly partitions: number;
  /** Largest accepted request body in bytes. `CENTINELA_BODY_LIMIT_BYTES`; default 1048576. */
  readonly bodyLimitBytes: number;
  /** Largest accepted image upload (identity routes pass it as their route `bodyLimit`). `CENTINELA_IMAGE_BODY_LIMIT_BYTES`; default 7340032 (base64 of a 5 MB image); compare allows twice that. */
  readonly imageBodyLimitBytes: number;
  /** Requests per minute per API key (token bucket, the whole minute as burst); 0 = off. `CENTINELA_RATE_LIMIT_PER_MINUTE`; default 1200000. */
  readonly rateLimitPerMinute: number;
  /** Longest time to receive a whole request (slow clients get 408); 0 = none. `CENTINELA_REQUEST_TIMEOUT_MS`; default 30000. */
  readonly requestTimeoutMs: number;
  /** Idle socket timeout (ms); 0 = none. `CENTINELA_CONNECTION_TIMEOUT_MS`; default 120000. */
  readonly connectionTimeoutMs: number;
  /** Structuring runs the API executes at once; more answer 429. `CENTINELA_STRUCTURING_MAX_RUNS`; default 2. */
  readonly structuringMaxRuns: number;
  /**
   * When set, `POST /v1/structuring/runs` reads only files under this folder (the CLI is not
   * bound). `CENTINELA_STRUCTURING_INPUT_DIR`; default: any file the process can read.
   */
  readonly structuringInputDir?: string;
  /** Deliveries of one webhook event before it is marked failed. `CENTINELA_WEBHOOK_MAX_ATTEMPTS`; default 8. */
  readonly webhookMaxAttempts: number;
  /** First retry delay of a webhook delivery, doubled each attempt (ms). `CENTINELA_WEBHOOK_BACKOFF_MS`; default 2000. */
  readonly webhookBackoffMs: number;
  /** Time a webhook receiver has to answer (ms). `CENTINELA_WEBHOOK_TIMEOUT_MS`; default 5000. */
  readonly webhookTimeoutMs: number;
  /** Webhook URLs may point at private, loopback and link-local addresses (a receiver on this host or network). `CENTINELA_WEBHOOK_ALLOW_PRIVATE_NETWORKS`; default false. */
  readonly webhookAllowPrivateNetworks: boolean;
  /** AES-256-GCM key of face templates and photos: 64 hex digits or base64 of 32 bytes. `CENTINELA_ENCRYPTION_KEY`; default: generated into `identity.key` beside a SQLite database, none (identity routes refused) with PostgreSQL. */
  readonly encryptionKey: string | undefined;
  /** Keep enrollment photos (encrypted) in the blob store. `CENTINELA_KEEP_REFERENCE_PHOTOS`; default false. */
  readonly keepReferencePhotos: boolean;
  /** Blob store folder (reference photos). `CENTINELA_BLOB_DIR`; default `blobs` beside the SQLite file, else ./data/blobs. */
  readonly blobDir: string | undefined;
  /** Default face match threshold (calibrated similarity 0..100). `CENTINELA_SIMILARITY_THRESHOLD`; default 80. */
  readonly similarityThreshold: number;
  /** Lowest threshold a request may ask for. `CENTINELA_SIMILARITY_THRESHOLD_MIN`; default 70. */
  readonly similarityThresholdMin: number;
  /** Highest threshold a request may ask for. `CENTINELA_SIMILARITY_THRESHOLD_MAX`; default 99.9. */
  readonly similarityThresholdMax: number;
  /** Liveness check on enrollment and verification: enforce (refuse SPOOF_SUSPECTED), report, off. `CENTINELA_LIVENESS`; default enforce. */
  readonly liveness: 'enforce' | 'report' | 'off';
  /** What a failed step-up does to a transaction in review. `CENTINELA_STEP_UP_FAILURE`; default decline. */
  readonly stepUpFailure: 'decline' | 'review';
  /** With `stepUpFailure` review: failed step-ups a transaction may take, the last of which declines it. `CENTINELA_STEP_UP_MAX_FAILURES`; default 3. */
  readonly stepUpMaxFailures: number;
  /** Face engine worker threads (started on the first identity request). `CENTINELA_FACE_WORKERS`; default 2. */
  readonly faceWorkers: number;
  /** Face requests waiting beyond which the API answers 503 ENGINE_BUSY. `CENTINELA_FACE_QUEUE`; default 16. */
  readonly faceMaxQueue: number;
  /** `eager`: `serve` loads the face models at start; `lazy`: on the first identity request. `CENTINELA_FACE_ENGINE_START`; default eager. */
  readonly faceEngineStart: 'eager' | 'lazy';
  /** pino log level. `CENTINELA_LOG_LEVEL`; default info. */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

type Env = Readonly<Record<string, string | undefined>>;

/** The embedded store: a SQLite file whose folder is created when missing (no other one is). */
export const DEFAULT_DATABASE_URL = './data/centinela.db';

const DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  databaseUrl: DEFAULT_DATABASE_URL,
  adminKey: undefined,
  defaultCurrency: 'USD',
  reviewThreshold: 50,
  declineThreshold: 90,
  sqliteSynchronous: 'full',
  velocityRetentionHours: 48,
  rulesRefreshMs: 2000,
  partitions: DEFAULT_PARTITIONS,
  natsUrl: undefined,
  natsPrefix: 'centinela',
  workerAckWaitMs: 30_000,
  workerBatch: 500,
  decisionTimeoutMs: 5000,
  bodyLimitBytes: 1_048_576,
  imageBodyLimitBytes: 7_340_032,
  rateLimitPerMinute: 1_200_000,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 120_000,
  structuringMaxRuns: 2,
  webhookMaxAttempts: 8,
  webhookBackoffMs: 2000,
  webhookTimeoutMs: 5000,
  webhookAllowPrivateNetworks: false,
  encryptionKey: undefined,
  keepReferencePhotos: false,
  blobDir: undefined,
  similarityThreshold: 80,
  similarityThresholdMin: 70,
  similarityThresholdMax: 99.9,
  liveness: 'enforce',
  stepUpFailure: 'decline',
  stepUpMaxFailures: 3,
  faceWorkers: 2,
  faceMaxQueue: 16,
  faceEngineStart: 'eager',
  logLevel: 'info',
} as const satisfies Config;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  number(name: string, options: { min: number; max: number; integer?: boolean }): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    const badInteger = options.integer === true && !Number.isInteger(value);
    if (!Number.isFinite(value) || badInteger || value < options.min || value > options.max) {
      this.problems.push(`${name}=${raw} must be a number from ${options.min} to ${options.max}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const raw = this.string(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if ((choices as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name}=${raw} must be one of ${choices.join(', ')}`);
    return undefined;
  }

  /** `true` or `false` (any case); undefined when unset. */
  flag(name: string): boolean | undefined {
    const value = this.oneOf(name, ['true', 'false'] as const);
    return value === undefined ? undefined : value === 'true';
  }
}

/**
 * Reads the configuration from `env`, with `overrides` (from CLI flags) on top.
 * Throws an `AppError('CONFIG_INVALID')` naming every bad variable.
 *
 * @example const config = loadConfig(process.env, { port: 8080 });
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const read = new EnvReader(env);
  const fromEnv: Partial<Config> = {
    port:
      read.number('CENTINELA_PORT', { min: 0, max: 65535, integer: true }) ??
      read.number('PORT', { min: 0, max: 65535, integer: true }),
    host: read.string('CENTINELA_HOST'),
    databaseUrl: read.string('CENTINELA_DATABASE_URL'),
    adminKey: read.string('CENTINELA_ADMIN_KEY'),
    defaultCurrency: read.string('CENTINELA_DEFAULT_CURRENCY')?.toUpperCase(),
    reviewThreshold: read.number('CENTINELA_REVIEW_THRESHOLD', { min: 0, max: 100 }),
    declineThreshold: read.number('CENTINELA_DECLINE_THRESHOLD', { min: 0, max: 100 }),
    sqliteSynchronous: read.oneOf('CENTINELA_SQLITE_SYNCHRONOUS', ['full', 'normal'] as const),
    velocityRetentionHours: read.number('CENTINELA_VELOCITY_RETENTION_HOURS', { min: 24, max: 24 * 90 }),
    rulesRefreshMs: read.number('CENTINELA_RULES_REFRESH_MS', { min: 100, max: 3_600_000, integer: true }),
    natsUrl: read.string('CENTINELA_NATS_URL'),
    natsPrefix: read.string('CENTINELA_NATS_PREFIX'),
    workerAckWaitMs: read.number('CENTINELA_WORKER_ACK_WAIT_MS', {
      min: 1000,
      max: 3_600_000,
      integer: true,
    }),
    workerBatch: read.number('CENTINELA_WORKER_BATCH', { min: 1, max: 10_000, integer: true }),
    decisionTimeoutMs: read.number('CENTINELA_DECISION_TIMEOUT_MS', {
      min: 100,
      max: 600_000,
      integer: true,
    }),
    partitions: read.number('CENTINELA_PARTITIONS', { min: 1, max: 1024, integer: true }),
    bodyLimitBytes: read.number('CENTINELA_BODY_LIMIT_BYTES', {
      min: 1024,
      max: 64 * 1_048_576,
      integer: true,
    }),
    logLevel: read.oneOf('CENTINELA_LOG_LEVEL', LOG_LEVELS),
    ...limitsFromEnv(read),
    ...identityFromEnv(read),
  };
  const config: Config = { ...DEFAULTS, ...withoutUndefined(fromEnv), ...withoutUndefined(overrides) };
  checkConsistency(config, read.problems);
  if (read.problems.length > 0) {
    throw new AppError('CONFIG_INVALID', `Invalid configuration: ${read.problems.join('; ')}`, {
      details: read.problems,
    });
  }
  return Object.freeze(config);
}

function limitsFromEnv(read: EnvReader): Partial<Config> {
  const int = (name: string, min: number, max: number) => read.number(name, { min, max, integer: true });
  return {
    imageBodyLimitBytes: int('CENTINELA_IMAGE_BODY_LIMIT_BYTES', 1024, 256 * 1_048_576),
    rateLimitPerMinute: int('CENTINELA_RATE_LIMIT_PER_MINUTE', 0, 1e9),
    requestTimeoutMs: int('CENTINELA_REQUEST_TIMEOUT_MS', 0, 3_600_000),
    connectionTimeoutMs: int('CENTINELA_CONNECTION_TIMEOUT_MS', 0, 3_600_000),
    structuringMaxRuns: int('CENTINELA_STRUCTURING_MAX_RUNS', 1, 64),
    structuringInputDir: read.string('CENTINELA_STRUCTURING_INPUT_DIR'),
    webhookMaxAttempts: int('CENTINELA_WEBHOOK_MAX_ATTEMPTS', 1, 100),
    webhookBackoffMs: int('CENTINELA_WEBHOOK_BACKOFF_MS', 10, 3_600_000),
    webhookTimeoutMs: int('CENTINELA_WEBHOOK_TIMEOUT_MS', 100, 600_000),
    webhookAllowPrivateNetworks: read.flag('CENTINELA_WEBHOOK_ALLOW_PRIVATE_NETWORKS'),
  };
}

function identityFromEnv(read: EnvReader): Partial<Config> {
  const key = read.string('CENTINELA_ENCRYPTION_KEY');
  if (key !== undefined && !decodeEncryptionKey(key)) {
    read.problems.push('CENTINELA_ENCRYPTION_KEY must be 32 bytes: 64 hex digits or base64');
  }
  const threshold = (name: string) => read.number(name, { min: 0, max: 100 });
  return {
    encryptionKey: key,
    keepReferencePhotos: read.flag('CENTINELA_KEEP_REFERENCE_PHOTOS'),
    blobDir: read.string('CENTINELA_BLOB_DIR'),
    similarityThreshold: threshold('CENTINELA_SIMILARITY_THRESHOLD'),
    similarityThresholdMin: threshold('CENTINELA_SIMILARITY_THRESHOLD_MIN'),
    similarityThresholdMax: threshold('CENTINELA_SIMILARITY_THRESHOLD_MAX'),
    liveness: read.oneOf('CENTINELA_LIVENESS', ['enforce', 'report', 'off'] as const),
    stepUpFailure: read.oneOf('CENTINELA_STEP_UP_FAILURE', ['decline', 'review'] as const),
    stepUpMaxFailures: read.number('CENTINELA_STEP_UP_MAX_FAILURES', { min: 1, max: 100, integer: true }),
    faceWorkers: read.number('CENTINELA_FACE_WORKERS', { min: 1, max: 64, integer: true }),
    faceMaxQueue: read.number('CENTINELA_FACE_QUEUE', { min: 0, max: 10_000, integer: true }),
    faceEngineStart: read.oneOf('CENTINELA_FACE_ENGINE_START', ['eager', 'lazy'] as const),
  };
}

/** Fewest characters of `CENTINELA_ADMIN_KEY`: an admin key must not be guessable. */
const MIN_ADMIN_KEY_LENGTH = 24;

/** A URL scheme (`mysql://`), to tell a mistyped store URL from a SQLite file path. */
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function checkConsistency(config: Config, problems: string[]): void {
  if (config.host.trim() === '') {
    // Node listens on every interface for an empty host: never by accident.
    problems.push('CENTINELA_HOST (--host) must not be empty; give 0.0.0.0 to listen on every interface');
  }
  const scheme = URL_SCHEME.exec(config.databaseUrl)?.[1];
  if (scheme !== undefined && !['postgres', 'postgresql', 'sqlite', 'file'].includes(scheme)) {
    // It was opened as a SQLite file named after the URL, password included.
    problems.push(
      `CENTINELA_DATABASE_URL (--db) starts with '${scheme}://': give a SQLite file path or a postgres:// URL (lower case)`,
    );
  }
  const { similarityThresholdMin: min, similarityThreshold: mid, similarityThresholdMax: max } = config;
  if (!(min <= mid && mid <= max)) {
    problems.push('CENTINELA_SIMILARITY_THRESHOLD must lie between its _MIN and _MAX');
  }
  if (!CURRENCIES.has(config.defaultCurrency)) {
    problems.push(
      `CENTINELA_DEFAULT_CURRENCY=${config.defaultCurrency} must be an ISO 4217 code such as USD`,
    );
  }
  if (config.reviewThreshold > config.declineThreshold) {
    problems.push('CENTINELA_REVIEW_THRESHOLD must not be above CENTINELA_DECLINE_THRESHOLD');
  }
  if (config.adminKey !== undefined && config.adminKey.length < MIN_ADMIN_KEY_LENGTH) {
    // Never the key itself: the message is printed and logged.
    problems.push(
      `CENTINELA_ADMIN_KEY must be at least ${MIN_ADMIN_KEY_LENGTH} characters (it has ${config.adminKey.length}); generate one with: openssl rand -base64 32`,
    );
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
