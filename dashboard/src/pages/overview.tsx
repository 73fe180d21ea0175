import { useEffect, useRef, useState } from 'react';
import { BarsChart, TimelineChart } from '../components/charts';
import { Card, Command, EmptyState, Guard, Stat } from '../components/ui';
import { useApi } from '../hooks/use-api';
import { liveTotal, type LiveState } from '../hooks/use-live';
import { formatCount, formatDecimal, formatMs, formatPercent } from '../lib/format';
import type { Overview } from '../lib/types';

const WINDOWS = [
  ['15m', 'Last 15 minutes'],
  ['1h', 'Last hour'],
  ['6h', 'Last 6 hours'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
] as const;

const REFRESH_MS = 5000;

/** Live counters, then the window's charts; the charts refresh when new decisions arrive. */
export function OverviewPage({ live }: { live: LiveState }) {
  const [window, setWindow] = useState<string>('1h');
  const state = useApi<Overview>(`/v1/stats/overview?window=${window}`);
  useRefreshOnActivity(live, state.reload);
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <label className="inline">
          Window{' '}
          <select value={window} onChange={(e) => setWindow(e.target.value)}>
            {WINDOWS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <LiveStats live={live} />
      <Guard state={state}>{(overview) => <OverviewBody overview={overview} />}</Guard>
    </>
  );
}

/**
 * Reloads when the live total moves: at once after a quiet spell, then at most every
 * REFRESH_MS, and once more after the last move of a burst so the charts catch up.
 */
function useRefreshOnActivity(live: LiveState, reload: () => void) {
  const total = liveTotal(live);
  const first = useRef(total);
  const lastAt = useRef(0);
  useEffect(() => {
    if (total === first.current) return;
    const timer = setTimeout(
      () => {
        lastAt.current = Date.now();
        reload();
      },
      Math.max(0, lastAt.current + REFRESH_MS - Date.now()),
    );
    return () => clearTimeout(timer);
  }, [total, reload]);
}

function LiveStats({ live }: { live: LiveState }) {
  const totals = live.counters?.totals ?? { approve: 0, review: 0, decline: 0 };
  return (
    <section className="stats" aria-label="Live counters since the service started">
      <Stat
        label="Transactions/s"
        value={formatDecimal(live.counters?.rate_per_s ?? 0)}
        hint={live.connected ? 'live' : 'connecting…'}
      />
      <Stat label="Approved" value={formatCount(totals.approve)} hint="since start" />
      <Stat label="Reviewed" value={formatCount(totals.review)} hint="since start" />
      <Stat label="Declined" value={formatCount(totals.decline)} hint="since start" />
    </section>
  );
}

function OverviewBody({ overview }: { overview: Overview }) {
  const { counts } = overview;
  const flagged = counts.total === 0 ? 0 : (counts.review + counts.decline) / counts.total;
  return (
    <>
      <section className="stats" aria-label="This window">
        <Stat
          label="Transactions"
          value={formatCount(counts.total)}
          hint={`${formatPercent(flagged)} flagged`}
        />
        <Stat label="Latency p50" value={overview.latency_ms ? formatMs(overview.latency_ms.p50) : 'n/a'} />
        <Stat label="Latency p99" value={overview.latency_ms ? formatMs(overview.latency_ms.p99) : 'n/a'} />
        <Stat
          label="Dead letters"
          value={overview.dead_letters === null ? 'n/a' : formatCount(overview.dead_letters)}
          hint={overview.dead_letters === null ? 'embedded mode: none' : undefined}
        />
        <Stat label="Rule set" value={`v${overview.rules.version}`} hint={overview.rules.name ?? undefined} />
        <Stat
          label="Model"
          value={overview.model.active ?? 'none'}
          hint={overview.model.shadow ? `shadow: ${overview.model.shadow}` : 'rules only'}
        />
      </section>
      {counts.total === 0 ? <FirstTransaction /> : <Charts overview={overview} />}
    </>
  );
}

function Charts({ overview }: { overview: Overview }) {
  return (
    <div className="grid">
      <Card title="Decisions over time" wide>
        <TimelineChart data={overview.timeline} />
      </Card>
      <Card title="Rule hits">
        <BarsChart
          data={overview.rule_hits.map((h) => ({ label: h.rule_id, value: h.count }))}
          label="Rule hits"
          empty="No rule matched in this window."
          horizontal
          color="#b45309"
        />
      </Card>
      <Card title="Risk score distribution">
        <BarsChart
          data={overview.risk_histogram.map((b) => ({ label: `${b.from}–${b.to}`, value: b.count }))}
          label="Risk score histogram"
        />
      </Card>
    </div>
  );
}

function FirstTransaction() {
  const origin = globalThis.location.origin;
  return (
    <EmptyState title="No transactions in this window yet.">
      <p>Send a first one (with a key holding transactions:write):</p>
      <Command>{`curl -H "x-api-key: $KEY" -H 'content-type: application/json' \\
  -d '{"account_id":"acc-1","amount":12500,"origin_country":"ES","destination_country":"FR"}' \\
  ${origin}/v1/transactions`}</Command>
      <p>
        or run <code>npm run demo</code> to start a service with simulated traffic.
      </p>
    </EmptyState>
  );
}
