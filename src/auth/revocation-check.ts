import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { QueryTemplates } from '../store/query-templates.js';

/** The lookup, compiled once per number of keys asked (see QueryTemplates). */
const templates = new QueryTemplates();

interface Waiter {
  resolve(revoked: boolean): void;
  reject(error: unknown): void;
}

/**
 * Tells whether keys are still unrevoked, reading the store so that a revocation made by
 * any process takes effect on the next request. Lookups are coalesced: every key asked
 * while a query runs is checked by the next query (one primary-key `IN (…)` read), so
 * each answer comes from a read that started after the question, and a busy server runs
 * about one small query per store round trip instead of one per request.
 */
export class RevocationCheck {
  private waiting = new Map<string, Waiter[]>();
  private running = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** True when the key `id` is revoked (or no longer exists); STORE_UNAVAILABLE when it cannot tell. */
  isRevoked(id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      if (!this.running) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.running = true;
    while (this.waiting.size > 0) {
      const batch = this.waiting;
      this.waiting = new Map();
      try {
        const revoked = await this.query([...batch.keys()]);
        for (const [id, waiters] of batch) for (const w of waiters) w.resolve(revoked.has(id));
      } catch (cause) {
        // Never let a key in unchecked: the request fails with 503 instead.
        const error = new AppError('STORE_UNAVAILABLE', 'Cannot check the API key now.', { cause });
        for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
      }
    }
    this.running = false;
  }

  private async query(ids: string[]): Promise<Set<string>> {
    const query = templates.compile(this.db, `revoked:${ids.length}`, ids, () =>
      this.db.selectFrom('api_keys').select(['id', 'revoked_at']).where('id', 'in', ids),
    );
    const { rows } = await this.db.executeQuery<{ id: string; revoked_at: number | null }>(query);
    const active = new Set(rows.filter((r) => r.revoked_at === null).map((r) => r.id));
    return new Set(ids.filter((id) => !active.has(id)));
  }
}
