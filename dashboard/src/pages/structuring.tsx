import { useState } from 'react';
import { BarsChart } from '../components/charts';
import { HourHeatmap } from '../components/heatmap';
import { Card, Command, EmptyState, ErrorNotice, Guard } from '../components/ui';
import { useSession } from '../hooks/session-context';
import { useApi } from '../hooks/use-api';
import { apiText } from '../lib/api';
import { formatCount, formatDateTime } from '../lib/format';
import type { StructuringAlert, StructuringRun } from '../lib/types';
import { hourByMethod, itemsOf, tally } from '../lib/summaries';

type List<T> = { items: readonly T[] } | readonly T[];

/** Structuring runs and, for the chosen one, its alerts by method, user, merchant and hour. */
export function StructuringPage() {
  const runs = useApi<List<StructuringRun>>('/v1/structuring/runs');
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <>
      <div className="page-head">
        <h1>Structuring</h1>
      </div>
      <Guard state={runs} missing={<NotAvailable />}>
        {(answer) => {
          const items = itemsOf(answer);
          if (items.length === 0) return <NoRuns />;
          const runId = chosen ?? items[0]?.id ?? '';
          return (
            <div className="grid">
              <RunList runs={items} current={runId} onChoose={setChosen} />
              <RunView key={runId} runId={runId} />
            </div>
          );
        }}
      </Guard>
    </>
  );
}

function RunList({
  runs,
  current,
  onChoose,
}: {
  runs: readonly StructuringRun[];
  current: string;
  onChoose: (id: string) => void;
}) {
  return (
    <Card title="Runs" wide>
      <div className="table-scroll">
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">run</th>
              <th scope="col">status</th>
              <th scope="col">started</th>
              <th scope="col" className="num">
                rows
              </th>
              <th scope="col" className="num hide-narrow">
                windows
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} aria-selected={run.id === current}>
                <td>
                  <button
                    type="button"
                    className="link"
                    aria-pressed={run.id === current}
                    onClick={() => onChoose(run.id)}
                  >
                    {run.id}
                  </button>
                </td>
                <td>{run.status}</td>
                <td>{formatDateTime(new Date(run.started_at).toISOString())}</td>
                <td className="num">{run.row_count == null ? '—' : formatCount(run.row_count)}</td>
                <td className="num hide-narrow">
                  {run.window_count == null ? '—' : formatCount(run.window_count)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function RunView({ runId }: { runId: string }) {
  const alerts = useApi<List<StructuringAlert>>(
    `/v1/structuring/alerts?run_id=${encodeURIComponent(runId)}&limit=10000`,
  );
  return (
    <>
      <ReportLink runId={runId} />
      <Guard state={alerts}>
        {(answer) => {
          const items = itemsOf(answer);
          if (items.length === 0)
            return (
              <EmptyState title="This run raised no alerts.">Try more methods or a longer window.</EmptyState>
            );
          return <AlertCharts alerts={items} />;
        }}
      </Guard>
    </>
  );
}

function AlertCharts({ alerts }: { alerts: readonly StructuringAlert[] }) {
  return (
    <>
      <Card title="Alerts by method">
        <BarsChart data={tally(alerts, (a) => a.method)} label="Alerts by method" horizontal />
      </Card>
      <Card title="Top users">
        <BarsChart data={tally(alerts, (a) => a.user_id)} label="Alerts by user" horizontal color="#b45309" />
      </Card>
      <Card title="Top merchants">
        <BarsChart
          data={tally(alerts, (a) => a.merchant_id)}
          label="Alerts by merchant"
          empty="No alert names a merchant."
          horizontal
          color="#7c3aed"
        />
      </Card>
      <Card title="Hour of day (UTC) × method" wide>
        <HourHeatmap rows={hourByMethod(alerts)} label="Alerts by hour of day and method" />
      </Card>
    </>
  );
}

/** The run's HTML report, fetched with the key and opened in a new tab. */
function ReportLink({ runId }: { runId: string }) {
  const { apiKey } = useSession();
  const [error, setError] = useState<unknown>(undefined);
  const open = async () => {
    const tab = window.open('', '_blank');
    try {
      const html = await apiText(apiKey, `/v1/structuring/runs/${encodeURIComponent(runId)}/report`);
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      if (tab) tab.location.href = url;
      else window.location.href = url;
    } catch (caught) {
      tab?.close();
      setError(caught);
    }
  };
  return (
    <Card title={`Run ${runId}`} wide>
      <button type="button" onClick={() => void open()}>
        Open the HTML report
      </button>
      <ErrorNotice error={error} />
    </Card>
  );
}

function NoRuns() {
  return (
    <EmptyState title="No structuring run yet.">
      <p>Analyse a ledger file (or the stored transactions) with:</p>
      <Command>
        {
          'centinela simulate-ledger --users 1000 --days 30 --out ledger.parquet\ncentinela structuring run --input ledger.parquet'
        }
      </Command>
    </EmptyState>
  );
}

function NotAvailable() {
  return (
    <EmptyState title="The structuring API is not available on this service.">
      <p>
        Runs and alerts appear here once <code>/v1/structuring/runs</code> answers. Meanwhile the CLI writes a
        self-contained report:
      </p>
      <Command>{'centinela structuring run --input ledger.parquet --out report.html'}</Command>
    </EmptyState>
  );
}
