/** Every scope a key can hold. `admin` grants all of them. */
export const SCOPES = [
  'admin',
  'transactions:write',
  'transactions:read',
  'transactions:label',
  'rules:read',
  'rules:admin',
  'keys:admin',
  'models:read',
  'models:admin',
  'structuring:run',
  'structuring:read',
  'identity:enroll',
  'identity:verify',
  'identity:admin',
  'dashboard',
  'metrics:read',
  'webhooks:admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** True when a key holding `granted` may use a route that needs `needed`. */
export function allows(granted: readonly Scope[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}
