import { useCallback } from 'react';
import { Card, EmptyState, ErrorNotice, Guard } from '../components/ui';
import { useAction, useApi } from '../hooks/use-api';
import { apiRequest } from '../lib/api';
import { formatCount, formatDateTime, formatPrecise, formatRelative } from '../lib/format';
import type { ModelVersion, Page, RuleSetSummary, RuleSetVersion } from '../lib/types';
import { RuleEditor } from './rule-editor';

/** Versions the table shows: the newest ones (`centinela rules list` lists them all). */
const VERSIONS_SHOWN = 50;

/** The active rule set, its editor, the newest versions; the model registry. */
export function RulesPage() {
  const active = useApi<RuleSetVersion>('/v1/rules');
  const versions = useApi<Page<RuleSetSummary>>(`/v1/rules/versions?limit=${VERSIONS_SHOWN}`);
  const reload = useCallback(() => {
    active.reload();
    versions.reload();
  }, [active, versions]);
  return (
    <>
      <div className="page-head">
        <h1>Rules &amp; models</h1>
      </div>
      <div className="grid">
        {/* The versions need the same scope as the active set: one notice when it is missing. */}
        <Guard state={active}>
          {(rules) => (
            <>
              <ActiveRules rules={rules} />
              <RuleEditor active={rules} onSaved={reload} />
              <Card title="Rule set versions" wide>
                <Guard state={versions}>
                  {(page) => (
                    <>
                      {page.next_cursor && (
                        <p className="muted">
                          Showing the newest {VERSIONS_SHOWN} versions; <code>centinela rules list</code>{' '}
                          lists them all.
                        </p>
                      )}
                      <VersionTable
                        items={page.items}
                        refused={rules.refused?.version}
                        onActivated={reload}
                      />
                    </>
                  )}
                </Guard>
              </Card>
            </>
          )}
        </Guard>
        <ModelsCard />
      </div>
    </>
  );
}

function ActiveRules({ rules }: { rules: RuleSetVersion }) {
  const doc = rules.document as {
    rules?: { id: string; condition: string; action: string; score: number; enabled?: boolean }[];
  };
  return (
    <Card title={`${rules.refused ? 'In use' : 'Active'}: v${rules.version} “${rules.name}”`} wide>
      <p className="muted">
        Activated {rules.activated_at ? formatRelative(rules.activated_at) : '—'} · created by{' '}
        {rules.created_by}
      </p>
      {rules.refused && (
        <div className="notice notice-error" role="alert">
          Version {rules.refused.version} is marked active but cannot be evaluated, so the service keeps using
          v{rules.version}: {rules.refused.message}
        </div>
      )}
      <div className="table-scroll">
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">rule</th>
              <th scope="col">condition</th>
              <th scope="col">action</th>
              <th scope="col" className="num">
                score
              </th>
            </tr>
          </thead>
          <tbody>
            {(doc.rules ?? []).map((r) => (
              <tr key={r.id} className={r.enabled === false ? 'disabled' : undefined}>
                <td className="mono nowrap">{r.id}</td>
                <td className="mono">{r.condition}</td>
                <td className="nowrap">{r.action}</td>
                <td className="num">{r.score}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function VersionTable({
  items,
  refused,
  onActivated,
}: {
  items: readonly RuleSetSummary[];
  /** The version marked active that the service refused (it cannot be evaluated). */
  refused: number | undefined;
  onActivated: () => void;
}) {
  const activate = useCallback(
    (key: string, version: number) => apiRequest(key, 'POST', `/v1/rules/versions/${version}/activate`),
    [],
  );
  const { run, busy, error } = useAction(activate);
  return (
    <>
      <ErrorNotice error={error} />
      <div className="table-scroll">
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">version</th>
              <th scope="col">name</th>
              <th scope="col" className="num">
                rules
              </th>
              <th scope="col">created</th>
              <th scope="col" className="hide-narrow">
                by
              </th>
              <th scope="col">
                <span className="sr-only">action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.version}>
                <td>v{v.version}</td>
                <td>{v.name}</td>
                <td className="num">{v.rules}</td>
                <td title={formatDateTime(v.created_at)}>{formatRelative(v.created_at)}</td>
                <td className="hide-narrow">{v.created_by}</td>
                <td>
                  {v.active && v.version === refused ? (
                    <span className="badge badge-decline">active, refused</span>
                  ) : v.active ? (
                    <span className="badge badge-approve">active</span>
                  ) : (
                    <button
                      type="button"
                      className="secondary small"
                      disabled={busy}
                      onClick={() => void run(v.version).then(onActivated)}
                    >
                      Activate v{v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ModelsCard() {
  const models = useApi<Page<ModelVersion>>('/v1/models');
  const post = useCallback((key: string, path: string) => apiRequest(key, 'POST', path), []);
  const { run, busy, error } = useAction(post);
  const act = (path: string) => void run(path).then(models.reload);
  return (
    <Card title="Models" wide>
      <ErrorNotice error={error} />
      <Guard state={models}>
        {(page) =>
          page.items.length === 0 ? (
            <EmptyState title="No model trained yet: decisions use the rules only.">
              Train one on labelled data with <code>centinela train</code>, then activate it here.
            </EmptyState>
          ) : (
            <>
              <ModelTable
                items={page.items}
                busy={busy}
                onActivate={(v) => act(`/v1/models/${encodeURIComponent(v)}/activate`)}
              />
              <button
                type="button"
                className="secondary"
                disabled={busy}
                onClick={() => act('/v1/models/rollback')}
              >
                Roll back to the previous model
              </button>
            </>
          )
        }
      </Guard>
    </Card>
  );
}

/** Inputs the live scorer cannot give the model: it would always see them missing. */
function UnservedWarning({ inputs }: { inputs: readonly string[] }) {
  return (
    <div className="muted small unserved" role="note">
      <span className="badge badge-review">not live-ready</span> the live scorer has no {inputs.join(', ')}:
      this model would always see {inputs.length === 1 ? 'it' : 'them'} missing
    </div>
  );
}

function ModelTable(props: {
  items: readonly ModelVersion[];
  busy: boolean;
  onActivate: (version: string) => void;
}) {
  return (
    <div className="table-scroll">
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col">version</th>
            <th scope="col">algorithm</th>
            <th scope="col">role</th>
            <th scope="col" className="num">
              samples
            </th>
            <th scope="col" className="num">
              ROC AUC
            </th>
            <th scope="col" className="num">
              PR AUC
            </th>
            <th scope="col" className="num">
              F1
            </th>
            <th scope="col">
              <span className="sr-only">action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((m) => (
            <tr key={m.version}>
              <td>
                <span className="mono">{m.version}</span>
                {m.unserved_inputs.length > 0 && <UnservedWarning inputs={m.unserved_inputs} />}
              </td>
              <td>{m.algorithm}</td>
              <td>{m.role}</td>
              <td className="num">{formatCount(m.metrics.samples)}</td>
              <td className="num">{formatPrecise(m.metrics.rocAuc)}</td>
              <td className="num">{formatPrecise(m.metrics.prAuc)}</td>
              <td className="num">{formatPrecise(m.metrics.f1)}</td>
              <td>
                {m.role !== 'active' && (
                  <button
                    type="button"
                    className="secondary small"
                    disabled={props.busy}
                    onClick={() => props.onActivate(m.version)}
                  >
                    Activate
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
