/** The answer of {@link RateLimiter.take}: allowed, or how many seconds to wait. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
  perMinute: number;
}

/**
 * Per-key token buckets: a key may send `perMinute` requests at once, then refills at
 * `perMinute / 60` per second. In memory, per process (each API replica limits on its own).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** @param defaultPerMinute limit of keys without their own; 0 turns limiting off for them. */
  constructor(private readonly defaultPerMinute: number) {}

  /** Takes one request from `keyId`'s bucket. `perMinute` (the key's own limit) wins over the default. */
  take(keyId: string, perMinute: number | null | undefined, now = Date.now()): RateDecision {
    const limit = perMinute ?? this.defaultPerMinute;
    if (limit <= 0) return { ok: true };
    const bucket = this.bucketOf(keyId, limit, now);
    const perMs = limit / 60_000;
    bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }

  private bucketOf(keyId: string, limit: number, now: number): Bucket {
    let bucket = this.buckets.get(keyId);
    if (!bucket || bucket.perMinute !== limit) {
      bucket = { tokens: limit, updatedAt: now, perMinute: limit };
      this.buckets.set(keyId, bucket);
    }
    return bucket;
  }
}
