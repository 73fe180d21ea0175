import { useState } from 'react';
import { Card, ErrorNotice } from '../components/ui';
import { useSession } from '../hooks/session-context';
import { apiRequest } from '../lib/api';
import { formatCount } from '../lib/format';
import type { BacktestReport, FieldProblem, RuleSetVersion } from '../lib/types';

type Outcome =
  | { kind: 'idle' }
  | { kind: 'invalid'; problems: readonly FieldProblem[] }
  | { kind: 'valid' }
  | { kind: 'saved'; version: number }
  | { kind: 'backtest'; report: BacktestReport }
  | { kind: 'error'; error: unknown };

/**
 * Edit the rule set as JSON; every save is validated first, and a backtest shows its effect.
 * When another version becomes active (one activated from the versions table), the editor
 * starts again from it, so a save is never based on a version other than the one named.
 */
export function RuleEditor({ active, onSaved }: { active: RuleSetVersion; onSaved: () => void }) {
  const { apiKey } = useSession();
  const [text, setText] = useState(() => documentText(active));
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const [busy, setBusy] = useState(false);
  const [basedOn, setBasedOn] = useState(active.version);
  if (basedOn !== active.version) {
    setBasedOn(active.version);
    setText(documentText(active));
    if (!(outcome.kind === 'saved' && outcome.version === active.version)) setOutcome({ kind: 'idle' });
  }
  const act = async (what: 'validate' | 'save' | 'backtest') => {
    setBusy(true);
    try {
      setOutcome(await perform(apiKey, what, text));
      if (what === 'save') onSaved();
    } catch (error) {
      setOutcome({ kind: 'error', error });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={`Edit (based on v${active.version})`} wide>
      <label htmlFor="rule-json">Rule set document (JSON)</label>
      <textarea
        id="rule-json"
        className="code"
        spellCheck={false}
        rows={18}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="buttons">
        <button type="button" className="secondary" disabled={busy} onClick={() => void act('validate')}>
          Validate
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void act('backtest')}>
          Backtest
        </button>
        <button type="button" disabled={busy} onClick={() => void act('save')}>
          Validate &amp; save
        </button>
      </div>
      <OutcomeView outcome={outcome} />
    </Card>
  );
}

function documentText(version: RuleSetVersion): string {
  return JSON.stringify(version.document, null, 2);
}

async function perform(
  apiKey: string,
  what: 'validate' | 'save' | 'backtest',
  text: string,
): Promise<Outcome> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return {
      kind: 'invalid',
      problems: [{ field: '(document)', code: 'json', message: (error as Error).message }],
    };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    const message = 'A rule set is a JSON object: {"name": …, "rules": [ … ]}.';
    return { kind: 'invalid', problems: [{ field: '(document)', code: 'type', message }] };
  }
  const check = await apiRequest<{ valid: boolean; errors: FieldProblem[] }>(
    apiKey,
    'POST',
    '/v1/rules/validate',
    document,
  );
  if (!check.valid) return { kind: 'invalid', problems: check.errors };
  if (what === 'validate') return { kind: 'valid' };
  if (what === 'backtest') {
    const report = await apiRequest<BacktestReport>(apiKey, 'POST', '/v1/rules/backtest', {
      rules: document,
      limit: 100_000,
    });
    return { kind: 'backtest', report };
  }
  const saved = await apiRequest<RuleSetVersion>(apiKey, 'POST', '/v1/rules', document);
  return { kind: 'saved', version: saved.version };
}

function OutcomeView({ outcome }: { outcome: Outcome }) {
  switch (outcome.kind) {
    case 'idle':
      return null;
    case 'error':
      return <ErrorNotice error={outcome.error} />;
    case 'valid':
      return (
        <p className="notice notice-ok" role="status">
          Valid: ready to save.
        </p>
      );
    case 'saved':
      return (
        <p className="notice notice-ok" role="status">
          Saved and activated as version {outcome.version}.
        </p>
      );
    case 'backtest':
      return <BacktestView report={outcome.report} />;
    case 'invalid':
      return (
        <div className="notice notice-error" role="alert">
          Not saved: the rule set has problems.
          <ul>
            {outcome.problems.map((p, i) => (
              <li key={i}>
                <code>{p.field}</code>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      );
  }
}

function BacktestView({ report }: { report: BacktestReport }) {
  const rows = (['approve', 'review', 'decline'] as const).map((d) => ({
    d,
    before: report.decisions.before[d],
    after: report.decisions.after[d],
  }));
  return (
    <div className="notice" role="status" aria-label="Backtest result">
      <p>
        Backtest over {formatCount(report.total)} stored decisions:{' '}
        <strong>{formatCount(report.changed)}</strong> would change.
      </p>
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col">decision</th>
            <th scope="col" className="num">
              now
            </th>
            <th scope="col" className="num">
              with this rule set
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.d}>
              <td>{r.d}</td>
              <td className="num">{formatCount(r.before)}</td>
              <td className="num">{formatCount(r.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
