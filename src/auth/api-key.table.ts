/** API keys; only a hash of the secret is stored. */
export interface ApiKeyTable {
  /** Public part of the key, shown in lists. */
  id: string;
  name: string;
  /** sha256 of the whole key, hex. */
  secret_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  /** Requests per minute; null = the configured default. */
  rate_limit_per_minute: number | null;
}
