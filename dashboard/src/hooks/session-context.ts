import { createContext, useContext } from 'react';

export interface Session {
  readonly apiKey: string;
  readonly signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in key; only rendered inside the signed-in shell. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
