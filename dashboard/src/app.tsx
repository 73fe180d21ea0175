import { useCallback, useMemo, useState } from 'react';
import { Shell } from './components/shell';
import { SignIn } from './components/sign-in';
import { SessionContext, type Session } from './hooks/session-context';
import { useLive, type LiveState } from './hooks/use-live';
import { useRoute, type Route } from './hooks/use-route';
import { forgetKey, rememberKey, storedKey } from './lib/session';
import { IdentityPage } from './pages/identity';
import { OverviewPage } from './pages/overview';
import { RulesPage } from './pages/rules';
import { StructuringPage } from './pages/structuring';
import { TransactionDetail } from './pages/transaction-detail';
import { TransactionsPage } from './pages/transactions';

/** Signed out: the sign-in form. Signed in: the shell and the page in the URL hash. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => storedKey());
  const signOut = useCallback(() => {
    forgetKey();
    setApiKey(null);
  }, []);
  const signIn = useCallback((key: string) => {
    rememberKey(key);
    setApiKey(key);
  }, []);
  const session = useMemo<Session | null>(() => (apiKey ? { apiKey, signOut } : null), [apiKey, signOut]);
  if (!session) return <SignIn onSignedIn={signIn} />;
  return (
    <SessionContext.Provider value={session}>
      <SignedIn apiKey={session.apiKey} onSignOut={signOut} />
    </SessionContext.Provider>
  );
}

function SignedIn({ apiKey, onSignOut }: { apiKey: string; onSignOut: () => void }) {
  const route = useRoute();
  const live = useLive(apiKey);
  return (
    <Shell page={route.page} live={live} onSignOut={onSignOut}>
      <CurrentPage route={route} live={live} />
    </Shell>
  );
}

function CurrentPage({ route, live }: { route: Route; live: LiveState }) {
  switch (route.page) {
    case 'transactions':
      return route.param ? <TransactionDetail id={route.param} /> : <TransactionsPage live={live} />;
    case 'rules':
      return <RulesPage />;
    case 'structuring':
      return <StructuringPage />;
    case 'identity':
      return <IdentityPage />;
    default:
      return <OverviewPage live={live} />;
  }
}
