import { BarsChart } from '../components/charts';
import { Card, EmptyState, Guard, Stat } from '../components/ui';
import { useApi } from '../hooks/use-api';
import { formatCount, formatDateTime, formatDecimal, formatPercent } from '../lib/format';
import type { Verification } from '../lib/types';
import { FaceForm } from './identity-forms';
import { itemsOf, tally } from '../lib/summaries';

type List<T> = { items: readonly T[] } | readonly T[];

/** Verification attempts with match rate, similarity histogram and rejections; enroll / verify. */
export function IdentityPage() {
  const log = useApi<List<Verification>>('/v1/verifications?limit=500');
  return (
    <>
      <div className="page-head">
        <h1>Identity</h1>
      </div>
      <div className="grid">
        <FaceForm onDone={log.reload} />
        <Guard state={log} missing={<NotAvailable />}>
          {(answer) => {
            const items = itemsOf(answer);
            return items.length === 0 ? <NoAttempts /> : <Attempts items={items} />;
          }}
        </Guard>
      </div>
    </>
  );
}

function Attempts({ items }: { items: readonly Verification[] }) {
  const matches = items.filter((v) => v.result === 'match').length;
  const scored = items.filter((v) => typeof v.similarity === 'number');
  const bins = Array.from({ length: 10 }, (_, i) => ({
    label: `${i * 10}–${i * 10 + 10}`,
    value: scored.filter((v) => Math.min(9, Math.floor((v.similarity ?? 0) / 10)) === i).length,
  }));
  return (
    <>
      <section className="stats card-wide" aria-label="Verification summary">
        <Stat label="Attempts" value={formatCount(items.length)} hint="latest 500" />
        <Stat label="Match rate" value={formatPercent(matches / items.length)} />
        <Stat label="Rejected" value={formatCount(items.filter((v) => v.result === 'rejected').length)} />
      </section>
      <Card title="Similarity">
        <BarsChart data={bins} label="Similarity histogram" />
      </Card>
      <Card title="Rejections by reason">
        <BarsChart
          data={tally(items, (v) => (v.result === 'rejected' ? (v.reason ?? 'unknown') : null))}
          label="Rejections by reason"
          empty="No attempt was rejected."
          horizontal
          color="#b91c1c"
        />
      </Card>
      <Card title="Latest attempts" wide>
        <AttemptTable items={items.slice(0, 25)} />
      </Card>
    </>
  );
}

function AttemptTable({ items }: { items: readonly Verification[] }) {
  return (
    <div className="table-scroll">
      <table className="data compact">
        <thead>
          <tr>
            <th scope="col">time</th>
            <th scope="col">user</th>
            <th scope="col" className="hide-narrow">
              movement
            </th>
            <th scope="col">result</th>
            <th scope="col" className="num">
              similarity
            </th>
            <th scope="col">reason</th>
          </tr>
        </thead>
        <tbody>
          {items.map((v) => (
            <tr key={v.verification_id}>
              <td>{formatDateTime(v.at)}</td>
              <td>{v.user_id}</td>
              <td className="hide-narrow">{v.movement ?? '—'}</td>
              <td>{v.result}</td>
              <td className="num">{typeof v.similarity === 'number' ? formatDecimal(v.similarity) : '—'}</td>
              <td>{v.reason ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoAttempts() {
  return (
    <EmptyState title="No verification attempt yet.">
      Enroll a reference photo for a user above, then verify another photo of them.
    </EmptyState>
  );
}

function NotAvailable() {
  return (
    <EmptyState title="The identity API is not available on this service.">
      Verification attempts appear here once <code>/v1/verifications</code> answers.
    </EmptyState>
  );
}
