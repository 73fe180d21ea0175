import { useRef, type MouseEvent, type ReactNode } from 'react';
import type { LiveState } from '../hooks/use-live';
import type { PageName } from '../hooks/use-route';
import { formatDecimal } from '../lib/format';

const NAV: readonly { page: PageName; label: string }[] = [
  { page: 'overview', label: 'Overview' },
  { page: 'transactions', label: 'Transactions' },
  { page: 'rules', label: 'Rules & models' },
  { page: 'structuring', label: 'Structuring' },
  { page: 'identity', label: 'Identity' },
];

/** Header (brand, navigation, live status, sign-out) around the current page. */
export function Shell(props: {
  page: PageName;
  live: LiveState;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const { page, live, onSignOut, children } = props;
  const main = useRef<HTMLElement>(null);
  // A plain `#main` link would replace the hash route: move the focus instead.
  const skip = (e: MouseEvent) => {
    e.preventDefault();
    main.current?.focus();
  };
  return (
    <>
      <a className="skip" href="#main" onClick={skip}>
        Skip to content
      </a>
      <header className="top">
        <div className="brand">Centinela</div>
        <nav aria-label="Pages">
          <ul>
            {NAV.map((item) => (
              <li key={item.page}>
                <a href={`#/${item.page}`} aria-current={item.page === page ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="live" aria-live="off">
          <span className={live.connected ? 'dot dot-on' : 'dot'} aria-hidden="true" />
          <span data-testid="live-rate">
            {live.connected ? `${formatDecimal(live.counters?.rate_per_s ?? 0)} tx/s` : 'offline'}
          </span>
        </div>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1} ref={main}>
        {children}
      </main>
    </>
  );
}
