import type { ReactNode } from 'react';
import { ApiError, describeError } from '../lib/api';
import type { Decision } from '../lib/types';

export function Card({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  return (
    <section className={wide ? 'card card-wide' : 'card'} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-stat={label}>
        {value}
      </div>
      {hint && <div className="stat-hint">{hint}</div>}
    </div>
  );
}

/** What is missing and what to do next. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="empty" role="status">
      <strong>{title}</strong>
      <div>{children}</div>
    </div>
  );
}

export function ErrorNotice({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <div className={forbidden ? 'notice notice-forbidden' : 'notice notice-error'} role="alert">
      {describeError(error)}
    </div>
  );
}

export function Loading() {
  return (
    <p className="muted" aria-live="polite">
      Loading…
    </p>
  );
}

export function DecisionBadge({ decision }: { decision: Decision | null }) {
  return <span className={`badge badge-${decision ?? 'pending'}`}>{decision ?? 'pending'}</span>;
}

/** A command to copy, shown in empty states. */
export function Command({ children }: { children: string }) {
  return <pre className="command">{children}</pre>;
}

/** Shows data, or the loading / error / empty-state that stands in for it. */
export function Guard<T>(props: {
  state: { data: T | undefined; error: unknown; loading: boolean };
  missing?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  const { data, error, loading } = props.state;
  if (error instanceof ApiError && error.status === 404 && props.missing) return <>{props.missing}</>;
  if (error) return <ErrorNotice error={error} />;
  if (loading && data === undefined) return <Loading />;
  return data === undefined ? null : <>{props.children(data)}</>;
}
