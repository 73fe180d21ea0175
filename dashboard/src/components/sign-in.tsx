import { useState, type FormEvent } from 'react';
import { apiRequest, ApiError } from '../lib/api';

/** Asks for an API key and checks it can read the dashboard before keeping it. */
export function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await apiRequest(key.trim(), 'GET', '/v1/stats/overview?window=15m');
      onSignedIn(key.trim());
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Centinela</h1>
        <p>
          Sign in with an API key that holds the <code>dashboard</code> scope (or an admin key).
        </p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          required
          autoFocus
        />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <p className="muted small">
          The key stays in this tab only and is forgotten when you sign out or close it. The first start of{' '}
          <code>npm start</code> prints an admin key; <code>npm run demo</code> prints one too.
        </p>
      </form>
    </main>
  );
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return 'This key is unknown, revoked or expired.';
  if (error instanceof ApiError && error.status === 403)
    return "This key lacks the 'dashboard' scope. Create one with: centinela keys create --scopes dashboard,…";
  return error instanceof Error ? error.message : String(error);
}
