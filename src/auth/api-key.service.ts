import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { AppError, ValidationError, type FieldError } from '../errors.js';
import type { Database } from '../store/database.js';
import {
  findApiKey,
  insertApiKey,
  insertFirstApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyRow,
} from './api-key.repository.js';
import { RevocationCheck } from './revocation-check.js';
import { allows, isScope, SCOPES, type Scope } from './scopes.js';

/** Who is calling: the key id (or `env-admin`) and what it may do. */
export interface Principal {
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  /** The key's own requests-per-minute limit; null = the configured default. */
  readonly rateLimitPerMinute?: number | null;
  /** When the key expires, ms since the epoch; null or absent: never. */
  readonly expiresAt?: number | null;
}

/** A key creating another through the API: what it holds, and the service's default limit. */
export interface KeyGrantor {
  readonly principal: Principal;
  /** Requests per minute of keys without their own limit (0: no limit). */
  readonly defaultPerMinute: number;
}

/** A key as listed: never the secret. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly rate_limit_per_minute: number | null;
}

/** Key format: `cnt_<id>_<secret>`; the id is public, only sha256(key) is stored. */
const KEY_FORMAT = /^cnt_([a-z0-9]{12})_[A-Za-z0-9_-]{32,}$/;
/**
 * How long a verified key (hash, scopes, expiry) is remembered (ms). Revocation is not
 * cached: {@link RevocationCheck} reads it from the store on every request.
 */
const CACHE_MS = 60_000;

interface CacheEntry {
  readonly principal: Principal | null;
  readonly until: number;
  readonly expiresAt: number | null;
}

interface NewKeyOptions {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: number | null;
  readonly rateLimitPerMinute?: number | null;
}

/** A key just created, with its secret. */
export type CreatedKey = ApiKeyInfo & { key: string };

/** A new key's row (its secret only as a hash) and the secret. */
function newKey(options: NewKeyOptions) {
  const scopes = checkScopes(options.scopes);
  const id = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const key = `cnt_${id}_${randomBytes(24).toString('base64url')}`;
  const row = {
    id,
    name: options.name.trim(),
    secret_hash: sha256(key).toString('hex'),
    scopes: JSON.stringify(scopes),
    created_at: Date.now(),
    expires_at: options.expiresAt ?? null,
    revoked_at: null,
    rate_limit_per_minute: options.rateLimitPerMinute ?? null,
  };
  return { row, key };
}

export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly adminKeyHash: Buffer | undefined;
  private readonly revocation: RevocationCheck;

  constructor(
    private readonly db: Kysely<Database>,
    adminKey?: string,
    /** Where revocation is checked on every request (`Store.reader`); `db` by default. */
    reader: Kysely<Database> = db,
  ) {
    this.adminKeyHash = adminKey ? sha256(adminKey) : undefined;
    this.revocation = new RevocationCheck(reader);
  }

  /**
   * Creates a key and returns it with its secret; the secret is shown only this once.
   * `grantor`: the key asking, through the API (the CLI, run by the operator, passes none). A
   * key gives no more than it holds ({@link withinGrantor}).
   */
  async create(requested: NewKeyOptions, grantor?: KeyGrantor): Promise<CreatedKey> {
    checkKeyOptions(requested);
    const options = grantor ? withinGrantor(requested, grantor) : requested;
    if (options.expiresAt != null && options.expiresAt <= Date.now()) {
      const message = 'expires_at must be in the future.';
      throw new AppError('VALIDATION_FAILED', message, {
        details: [{ field: 'expires_at', code: 'past', message }],
      });
    }
    const { row, key } = newKey(options);
    await insertApiKey(this.db, row);
    return { ...infoOf(row), key };
  }

  /**
   * First start: creates an admin key unless a key exists; undefined if one did. Once, however
   * many API processes start together on a new shared store.
   */
  async createFirstAdminKey(): Promise<CreatedKey | undefined> {
    const { row, key } = newKey({ name: 'first-admin', scopes: ['admin'] });
    return (await insertFirstApiKey(this.db, row)) ? { ...infoOf(row), key } : undefined;
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await listApiKeys(this.db)).map(infoOf);
  }

  /**
   * Revokes a key, named by its id (or by the whole key: its id is read from it, and the
   * secret never repeated in a message); `holder`: the scopes of the key asking (API), which
   * must hold the key's. Resolves the id revoked.
   */
  async revoke(idOrKey: string, holder?: readonly Scope[]): Promise<string> {
    const id = KEY_FORMAT.exec(idOrKey)?.[1] ?? idOrKey;
    const row = await findApiKey(this.db, id);
    if (holder && row && row.revoked_at === null)
      refuseScopesBeyond(holder, JSON.parse(row.scopes) as string[], 'revoke');
    if (!(await revokeApiKey(this.db, id, Date.now()))) {
      throw new AppError('NOT_FOUND', `No active key with id '${id}'.`);
    }
    this.cache.clear();
    return id;
  }

  /**
   * The principal for a presented key, or null when it is unknown, revoked or expired.
   * Revocation by any process is seen at once (one coalesced indexed read per round trip).
   */
  async authenticate(presented: string): Promise<Principal | null> {
    const now = Date.now();
    let entry = this.cache.get(presented);
    if (!entry || entry.until <= now) {
      entry = await this.lookup(presented, now);
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(presented, entry);
    }
    const { principal, expiresAt } = entry;
    if (!principal || (expiresAt !== null && expiresAt <= now)) return null;
    if (principal.keyId === ENV_ADMIN) return principal;
    return (await this.revocation.isRevoked(principal.keyId)) ? null : principal;
  }

  private async lookup(presented: string, now: number): Promise<CacheEntry> {
    const until = now + CACHE_MS;
    const hash = sha256(presented);
    if (this.adminKeyHash && timingSafeEqual(hash, this.adminKeyHash)) {
      return { principal: { keyId: ENV_ADMIN, scopes: ['admin'] }, until, expiresAt: null };
    }
    const id = KEY_FORMAT.exec(presented)?.[1];
    const row = id ? await findApiKey(this.db, id) : undefined;
    if (!row || !timingSafeEqual(hash, Buffer.from(row.secret_hash, 'hex')) || row.revoked_at !== null) {
      return { principal: null, until, expiresAt: null };
    }
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    const principal = {
      keyId: row.id,
      scopes: JSON.parse(row.scopes) as Scope[],
      rateLimitPerMinute: row.rate_limit_per_minute,
      expiresAt,
    };
    return { principal, until, expiresAt };
  }
}

const ENV_ADMIN = 'env-admin';

/** Most requests per minute a key may be given. */
export const MAX_RATE_LIMIT_PER_MINUTE = 1_000_000_000;

/** Most characters (Unicode code points, leading and trailing spaces left out) in a key's name. */
export const MAX_KEY_NAME_LENGTH = 100;

/** The same limits for the API and the CLI: a name not blank nor too long; a rate limit within bounds. */
function checkKeyOptions({ name, rateLimitPerMinute: rate }: NewKeyOptions): void {
  const problems: FieldError[] = [];
  const badName = nameProblem(name);
  if (badName) problems.push(badName);
  if (rate != null && !(Number.isInteger(rate) && rate >= 1 && rate <= MAX_RATE_LIMIT_PER_MINUTE))
    problems.push({
      field: 'rate_limit_per_minute',
      code: 'range',
      message: `rate_limit_per_minute must be a whole number from 1 to ${MAX_RATE_LIMIT_PER_MINUTE}.`,
    });
  if (problems.length > 0) throw new ValidationError(problems, problems.map((p) => p.message).join(' '));
}

/** What is wrong with a key's name, if anything: blank, or how much too long. */
function nameProblem(name: string): FieldError | undefined {
  const length = [...name.trim()].length;
  if (length === 0) return { field: 'name', code: 'blank', message: 'name must not be blank.' };
  if (length <= MAX_KEY_NAME_LENGTH) return undefined;
  const message = `name is too long: ${length} characters, at most ${MAX_KEY_NAME_LENGTH}.`;
  return { field: 'name', code: 'maxLength', message };
}

/**
 * The new key's options within what its grantor holds: its scopes (FORBIDDEN for others), no
 * later expiry (a key without one gets the grantor's) and no higher rate limit (a key without
 * one gets the grantor's own, if it has one).
 */
function withinGrantor(options: NewKeyOptions, { principal, defaultPerMinute }: KeyGrantor): NewKeyOptions {
  refuseScopesBeyond(principal.scopes, options.scopes, 'give');
  const ownExpiry = principal.expiresAt ?? null;
  if (ownExpiry !== null && options.expiresAt != null && options.expiresAt > ownExpiry) {
    throw beyondGrantor(
      'expires_at',
      `expires_at must not be after this key's own expiry, ${new Date(ownExpiry).toISOString()}.`,
    );
  }
  const ownLimit = principal.rateLimitPerMinute ?? null;
  const effective = ownLimit ?? defaultPerMinute;
  if (effective > 0 && options.rateLimitPerMinute != null && options.rateLimitPerMinute > effective) {
    throw beyondGrantor(
      'rate_limit_per_minute',
      `rate_limit_per_minute must not be above this key's own, ${effective}.`,
    );
  }
  return {
    ...options,
    expiresAt: options.expiresAt ?? ownExpiry,
    rateLimitPerMinute: options.rateLimitPerMinute ?? ownLimit,
  };
}

function beyondGrantor(field: string, message: string): AppError {
  return new AppError('FORBIDDEN', message, { details: { field } });
}

/** FORBIDDEN unless a key holding `holder` holds every one of `scopes`. */
function refuseScopesBeyond(
  holder: readonly Scope[],
  scopes: readonly string[],
  action: 'give' | 'revoke',
): void {
  // Unknown scopes are left to checkScopes, which names them.
  const beyond = scopes.filter((scope) => isScope(scope) && !allows(holder, scope));
  if (beyond.length === 0) return;
  const what = action === 'give' ? 'give scopes' : 'revoke a key with scopes';
  const message = `This key cannot ${what} it does not hold: ${beyond.join(', ')}.`;
  throw new AppError('FORBIDDEN', message, { details: { field: 'scopes', beyond } });
}

function checkScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    const problem = unknown.length > 0 ? `Unknown scopes: ${unknown.join(', ')}` : 'No scope given';
    const message = `${problem}; known scopes: ${SCOPES.join(', ')}.`;
    throw new AppError('VALIDATION_FAILED', message, {
      details: [{ field: 'scopes', code: 'enum', message }],
    });
  }
  return [...new Set(scopes)] as Scope[];
}

function infoOf(row: Omit<ApiKeyRow, 'secret_hash'> & { secret_hash?: string }): ApiKeyInfo {
  const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as Scope[],
    created_at: new Date(Number(row.created_at)).toISOString(),
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    rate_limit_per_minute: row.rate_limit_per_minute ?? null,
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
