/** One admin action. `details` is JSON. */
export interface AuditLogTable {
  id: string;
  /** ms since the epoch. */
  at: number;
  /** The key id that acted (`env-admin`, `cli`, …). */
  actor: string;
  /** What was done, e.g. `rules.save`, `keys.revoke`, `identity.erase`. */
  action: string;
  /** What it was done to: a rule set version, a key id, a user id… */
  target: string;
  details: string;
}
