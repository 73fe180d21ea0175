import { useCallback, useEffect } from 'react';
import { Card, DecisionBadge, ErrorNotice, Guard } from '../components/ui';
import { useAction, useApi } from '../hooks/use-api';
import { ApiError, apiRequest } from '../lib/api';
import { formatDateTime, formatExact, formatMoney, formatMs, formatPercent } from '../lib/format';
import type { Decision, DecisionResult, HistoryEntry, StoredTransaction } from '../lib/types';

/** One transaction: input, decision and reasons, features, scores, history; label it. */
export function TransactionDetail({ id }: { id: string }) {
  const state = useApi<StoredTransaction>(`/v1/transactions/${encodeURIComponent(id)}`);
  return (
    <>
      <div className="page-head">
        <h1>Transaction</h1>
        <a href="#/transactions">← All transactions</a>
      </div>
      <Guard state={state}>{(tx) => <Detail tx={tx} onLabelled={state.reload} />}</Guard>
    </>
  );
}

function Detail({ tx, onLabelled }: { tx: StoredTransaction; onLabelled: () => void }) {
  const t = tx.transaction;
  return (
    <div className="grid">
      <Card title="Summary">
        <dl className="facts">
          <dt>Id</dt>
          <dd className="mono">{tx.transaction_id}</dd>
          <dt>Account</dt>
          <dd>{t.account_id}</dd>
          <dt>Amount</dt>
          <dd>{formatMoney(t.amount, t.currency)}</dd>
          <dt>Time</dt>
          <dd>{formatDateTime(t.timestamp)}</dd>
          <dt>Route</dt>
          <dd>{[t.origin_country, t.destination_country].filter(Boolean).join(' → ') || '—'}</dd>
          <dt>Merchant</dt>
          <dd>{t.merchant_id ?? '—'}</dd>
          <dt>Decision</dt>
          <dd>
            <DecisionBadge decision={tx.decision?.decision ?? null} />{' '}
            {tx.decision && `risk ${tx.decision.risk_score}`}
          </dd>
        </dl>
        <LabelButtons tx={tx} onLabelled={onLabelled} />
      </Card>
      {tx.decision && <DecisionCards decision={tx.decision} />}
      <Card title="Decision history">
        <History tx={tx} />
      </Card>
    </div>
  );
}

function LabelButtons({ tx, onLabelled }: { tx: StoredTransaction; onLabelled: () => void }) {
  // expected_label: the label shown here; if another analyst changed it since, the API answers
  // 409 naming who.
  const label = useCallback(
    (key: string, value: 'fraud' | 'legit', expected: 'fraud' | 'legit' | null) =>
      apiRequest<StoredTransaction>(
        key,
        'POST',
        `/v1/transactions/${encodeURIComponent(tx.transaction_id)}/label`,
        { label: value, expected_label: expected },
      ),
    [tx.transaction_id],
  );
  const { run, busy, error } = useAction(label);
  const current = tx.label;
  // Refused because another analyst labelled it since: show their label under the message.
  useEffect(() => {
    if (error instanceof ApiError && error.status === 409) onLabelled();
  }, [error, onLabelled]);
  const click = (value: 'fraud' | 'legit') => {
    // Another analyst's label is not replaced by a stray click.
    const change = current
      ? `This transaction is labelled ${current.label} by ${current.labelled_by} (${formatDateTime(current.labelled_at)}). Change it to ${value}?`
      : undefined;
    if (change !== undefined && !window.confirm(change)) return;
    void run(value, current?.label ?? null).then((done) => done && onLabelled());
  };
  return (
    <div className="label-row">
      <p data-testid="current-label">
        Label:{' '}
        <strong>
          {tx.label
            ? `${tx.label.label} (by ${tx.label.labelled_by}, ${formatDateTime(tx.label.labelled_at)})`
            : 'none'}
        </strong>
      </p>
      <div className="buttons">
        <button
          type="button"
          className="danger"
          disabled={busy || current?.label === 'fraud'}
          onClick={() => click('fraud')}
        >
          Label fraud
        </button>
        <button
          type="button"
          className="secondary"
          disabled={busy || current?.label === 'legit'}
          onClick={() => click('legit')}
        >
          Label legit
        </button>
      </div>
      <ErrorNotice error={error} />
    </div>
  );
}

function DecisionCards({ decision }: { decision: DecisionResult }) {
  return (
    <>
      <Card title="Reasons">
        {decision.reasons.length === 0 ? (
          <p className="muted">No rule matched.</p>
        ) : (
          <ul className="reasons-list">
            {decision.reasons.map((r) => (
              <li key={`${r.rule_id}-${r.code}`}>
                <span className={`badge badge-sev-${r.severity}`}>{r.severity}</span>{' '}
                <strong>{r.code}</strong> {r.message}
              </li>
            ))}
          </ul>
        )}
        {decision.rule_errors.length > 0 && (
          <p className="muted">
            Rules that could not be evaluated: {decision.rule_errors.map((e) => e.rule_id).join(', ')}
          </p>
        )}
      </Card>
      <Card title="Scores">
        <dl className="facts">
          <dt>Risk score</dt>
          <dd>{decision.risk_score}</dd>
          <dt>Model ({decision.model_version ?? 'none'})</dt>
          <dd>{decision.fraud_probability === null ? '—' : formatPercent(decision.fraud_probability)}</dd>
          <dt>Shadow ({decision.shadow?.model_version ?? 'none'})</dt>
          <dd>{decision.shadow ? formatPercent(decision.shadow.fraud_probability) : '—'}</dd>
          <dt>Rule set</dt>
          <dd>v{decision.rules_version}</dd>
          <dt>Latency</dt>
          <dd>{formatMs(decision.latency_ms)}</dd>
        </dl>
      </Card>
      <Card title="Features">
        <dl className="facts">
          {Object.entries(decision.features).map(([name, value]) => (
            <FeatureRow key={name} name={name} value={value} />
          ))}
        </dl>
      </Card>
    </>
  );
}

function FeatureRow({ name, value }: { name: string; value: number | null }) {
  return (
    <>
      <dt className="mono">{name}</dt>
      <dd>{value === null ? '—' : formatExact(value)}</dd>
    </>
  );
}

interface Step {
  readonly at: string;
  readonly what: string;
  readonly decision?: Decision;
  readonly detail?: string;
}

/** Received, each decision (the first one and any step-up), and the label. */
function stepsOf(tx: StoredTransaction): Step[] {
  const steps: Step[] = [{ at: tx.received_at, what: 'received' }];
  const history = tx.history ?? [];
  if (history.length > 0) steps.push(...history.map(stepOf));
  else if (tx.decision)
    steps.push({ at: tx.decision.processed_at, what: 'decided', decision: tx.decision.decision });
  if (tx.label)
    steps.push({
      at: tx.label.labelled_at,
      what: `labelled ${tx.label.label}`,
      detail: `by ${tx.label.labelled_by}`,
    });
  return steps;
}

function stepOf(entry: HistoryEntry): Step {
  const what = entry.type === 'step_up' ? 'face step-up' : entry.type;
  const verification = entry.verification_id ? `, verification ${entry.verification_id}` : '';
  return { at: entry.at, what, decision: entry.to_decision, detail: `by ${entry.actor}${verification}` };
}

function History({ tx }: { tx: StoredTransaction }) {
  return (
    <ol className="history">
      {stepsOf(tx).map((s, i) => (
        <li key={i}>
          <time dateTime={s.at}>{formatDateTime(s.at)}</time> {s.what}
          {s.decision && (
            <>
              {' '}
              <DecisionBadge decision={s.decision} />
            </>
          )}
          {s.detail && <span className="muted"> {s.detail}</span>}
        </li>
      ))}
    </ol>
  );
}
