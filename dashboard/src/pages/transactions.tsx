import { useState, type FormEvent } from 'react';
import { Command, DecisionBadge, EmptyState, Guard } from '../components/ui';
import { useApi } from '../hooks/use-api';
import { liveTotal, type LiveState } from '../hooks/use-live';
import { queryOf } from '../lib/api';
import { formatCount, formatDateTime, formatMoney, formatRelative } from '../lib/format';
import type { Page, StoredTransaction } from '../lib/types';

interface Filters {
  readonly account_id: string;
  readonly decision: string;
  readonly from: string;
  readonly to: string;
}

const NO_FILTERS: Filters = { account_id: '', decision: '', from: '', to: '' };
const PAGE_SIZE = 25;

/**
 * Newest transactions first, filtered by account, decision and time, a page at a time;
 * a bar tells how many were decided since the list loaded and shows the newest page.
 */
export function TransactionsPage({ live }: { live: LiveState }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const path = `/v1/transactions${queryOf({ ...apiFilters(filters), limit: PAGE_SIZE, cursor })}`;
  const state = useApi<Page<StoredTransaction>>(path);
  const arrived = useDecidedSince(state.data, liveTotal(live));
  const apply = (next: Filters) => {
    setFilters(next);
    setCursors([]);
  };
  const showNewest = () => (cursors.length === 0 ? state.reload() : setCursors([]));
  /** Another page, read from its top (the pager sits below the list). */
  const turnPage = (next: string[]) => {
    setCursors(next);
    window.scrollTo({ top: 0 });
  };
  return (
    <>
      <div className="page-head">
        <h1>Transactions</h1>
        <button type="button" className="secondary" onClick={state.reload}>
          Refresh
        </button>
      </div>
      <FilterForm initial={filters} onApply={apply} />
      {arrived > 0 && (
        <div className="notice new-bar" data-testid="new-transactions">
          {formatCount(arrived)} new {arrived === 1 ? 'transaction' : 'transactions'} since this list loaded
          {filters === NO_FILTERS ? '' : ' (before filtering)'}.{' '}
          <button type="button" className="small" onClick={showNewest}>
            Show newest
          </button>
        </div>
      )}
      <Guard state={state}>
        {(page) =>
          page.items.length === 0 ? (
            <NoTransactions filtered={filters !== NO_FILTERS} />
          ) : (
            <>
              <TransactionTable items={page.items} />
              <nav className="pager" aria-label="Pages of transactions">
                <button
                  type="button"
                  className="secondary"
                  disabled={cursors.length === 0}
                  onClick={() => turnPage(cursors.slice(0, -1))}
                >
                  Newer
                </button>
                <button
                  type="button"
                  className="secondary"
                  disabled={!page.next_cursor}
                  onClick={() => page.next_cursor && turnPage([...cursors, page.next_cursor])}
                >
                  Older
                </button>
              </nav>
            </>
          )
        }
      </Guard>
    </>
  );
}

/**
 * Decisions counted by the live feed since `shown` (the list on screen) last changed: the
 * live total then is the baseline (taken once the first counters arrive, if they come later).
 */
function useDecidedSince(shown: unknown, total: number | null): number {
  const [since, setSince] = useState({ shown, total });
  if (since.shown !== shown || (since.total === null && total !== null)) setSince({ shown, total });
  return since.total === null || total === null ? 0 : Math.max(0, total - since.total);
}

/**
 * The API query of the filters. Account ids are matched as typed: an id may hold spaces at
 * its ends. Times are taken only once {@link timeProblem} has none.
 */
function apiFilters(f: Filters) {
  const iso = (local: string) => (local === '' ? undefined : new Date(local).toISOString());
  return { account_id: f.account_id, decision: f.decision, from: iso(f.from), to: iso(f.to) };
}

/** What is wrong with a From or To value, if anything: the API takes years 1–9999. */
function timeProblem(label: string, local: string): string | undefined {
  if (local === '') return undefined;
  const time = new Date(local);
  const year = time.getUTCFullYear(); // the API reads the UTC time
  if (Number.isNaN(time.getTime()) || year < 1 || year > 9999)
    return `${label} must be a date and time with a year from 1 to 9999.`;
  return undefined;
}

function FilterForm({ initial, onApply }: { initial: Filters; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState(initial);
  const [problem, setProblem] = useState<string>();
  const set = (key: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const wrong = timeProblem('From', draft.from) ?? timeProblem('To', draft.to);
    setProblem(wrong);
    if (wrong === undefined) onApply(draft);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter transactions">
      <label>
        Account
        <input value={draft.account_id} onChange={set('account_id')} placeholder="acc-1" />
      </label>
      <label>
        Decision
        <select value={draft.decision} onChange={set('decision')}>
          <option value="">any</option>
          <option value="approve">approve</option>
          <option value="review">review</option>
          <option value="decline">decline</option>
        </select>
      </label>
      <label>
        From
        <input type="datetime-local" value={draft.from} onChange={set('from')} />
      </label>
      <label>
        To
        <input type="datetime-local" value={draft.to} onChange={set('to')} />
      </label>
      <div className="filter-actions">
        <button type="submit">Apply</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft(NO_FILTERS);
            setProblem(undefined);
            onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
      {problem && (
        <p className="notice notice-error filter-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function TransactionTable({ items }: { items: readonly StoredTransaction[] }) {
  return (
    <div className="table-scroll">
      <table className="data">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Account</th>
            <th scope="col">Decision</th>
            <th scope="col" className="hide-narrow">
              Reasons
            </th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col" className="num hide-narrow">
              Risk
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((tx) => (
            <tr key={tx.transaction_id}>
              <td>
                <a
                  href={`#/transactions/${encodeURIComponent(tx.transaction_id)}`}
                  title={formatDateTime(tx.transaction.timestamp)}
                >
                  {formatRelative(tx.transaction.timestamp)}
                </a>
                <ArrivalApart tx={tx} />
              </td>
              <td>{tx.transaction.account_id}</td>
              <td>
                <DecisionBadge decision={tx.decision?.decision ?? null} />
                {tx.label && <span className={`badge badge-label-${tx.label.label}`}>{tx.label.label}</span>}
              </td>
              <td className="reasons hide-narrow">
                {tx.decision?.reasons.map((r) => r.code).join(', ') || '—'}
              </td>
              <td className="num">{formatMoney(tx.transaction.amount, tx.transaction.currency)}</td>
              <td className="num hide-narrow">{tx.decision ? tx.decision.risk_score : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** How far apart a transaction's time and its arrival may be before the list shows both. */
const ARRIVAL_APART_MS = 60_000;

/**
 * The arrival of a transaction whose own time is more than a minute off it: the list is in
 * arrival order (newest received first), so such a row looks out of place without it.
 */
function ArrivalApart({ tx }: { tx: StoredTransaction }) {
  const apart = Math.abs(Date.parse(tx.received_at) - Date.parse(tx.transaction.timestamp));
  if (!(apart > ARRIVAL_APART_MS)) return null;
  return (
    <div className="muted small" title={formatDateTime(tx.received_at)}>
      received {formatRelative(tx.received_at)}
    </div>
  );
}

function NoTransactions({ filtered }: { filtered: boolean }) {
  if (filtered)
    return (
      <EmptyState title="No transaction matches these filters.">
        Clear the filters or widen the time range.
      </EmptyState>
    );
  return (
    <EmptyState title="No transactions yet.">
      <p>
        Send one with curl, or run <code>npm run demo</code> for simulated traffic:
      </p>
      <Command>{`curl -H "x-api-key: $KEY" -H 'content-type: application/json' \\
  -d '{"account_id":"acc-1","amount":42.5}' ${globalThis.location.origin}/v1/transactions`}</Command>
    </EmptyState>
  );
}
