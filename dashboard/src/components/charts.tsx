import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { formatCount, formatDayTime, formatTime } from '../lib/format';
import type { Counts } from '../lib/types';

export const OUTCOME_COLORS = { approve: '#15803d', review: '#b45309', decline: '#b91c1c' } as const;

const tickFormatter = (n: number) => formatCount(n);

// Each chart sits in a role="img" wrapper with a text alternative: Recharts' own keyboard
// layer would only add unnamed Tab stops.
const NO_KEYBOARD_LAYER = { accessibilityLayer: false } as const;

/** A window longer than this shows the day on the time axis, not only the time. */
const DAY_MS = 20 * 3_600_000;

/**
 * Decisions per time bucket, stacked by outcome: declines at the bottom, approvals on top,
 * so the top line is the total (a decline line drawn on top read as a spike of declines).
 */
export function TimelineChart({ data }: { data: readonly (Counts & { t: string })[] }) {
  const first = data[0]?.t;
  const last = data.at(-1)?.t;
  const spansDays =
    first !== undefined && last !== undefined && Date.parse(last) - Date.parse(first) > DAY_MS;
  const tick = spansDays ? formatDayTime : formatTime;
  return (
    <div className="chart" role="img" aria-label="Decisions over time by outcome">
      <ResponsiveContainer width="100%" height={240}>
        <AreaChart data={[...data]} margin={{ top: 8, right: 8, left: 0, bottom: 0 }} {...NO_KEYBOARD_LAYER}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          <XAxis dataKey="t" tickFormatter={tick} minTickGap={32} fontSize={12} />
          <YAxis allowDecimals={false} tickFormatter={tickFormatter} width={48} fontSize={12} />
          <Tooltip
            labelFormatter={(t) => (typeof t === 'string' ? formatDayTime(t) : '')}
            formatter={(v) => formatCount(Number(v))}
          />
          <Legend />
          {(['decline', 'review', 'approve'] as const).map((key) => (
            <Area
              key={key}
              type="monotone"
              dataKey={key}
              stackId="1"
              stroke={OUTCOME_COLORS[key]}
              fill={OUTCOME_COLORS[key]}
              fillOpacity={0.35}
              isAnimationActive={false}
            />
          ))}
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}

export interface BarDatum {
  readonly label: string;
  readonly value: number;
}

/**
 * Bars of counts: vertical for ordered bins (histograms), horizontal for rankings; with no
 * data, the `empty` message instead of a bare axis box.
 */
export function BarsChart(props: {
  data: readonly BarDatum[];
  label: string;
  empty?: string;
  horizontal?: boolean;
  color?: string;
}) {
  const { data, label, empty = 'Nothing to show.', horizontal = false, color = '#1d4ed8' } = props;
  if (data.length === 0) return <p className="muted">{empty}</p>;
  const height = horizontal ? Math.max(120, data.length * 28 + 40) : 220;
  return (
    <div className="chart" role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart
          data={[...data]}
          layout={horizontal ? 'vertical' : 'horizontal'}
          margin={{ top: 8, right: 16, left: 0, bottom: 0 }}
          {...NO_KEYBOARD_LAYER}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e7eb" />
          {horizontal ? (
            <>
              <XAxis type="number" allowDecimals={false} tickFormatter={tickFormatter} fontSize={12} />
              <YAxis type="category" dataKey="label" width={130} fontSize={12} />
            </>
          ) : (
            <>
              <XAxis dataKey="label" fontSize={12} />
              <YAxis allowDecimals={false} tickFormatter={tickFormatter} width={48} fontSize={12} />
            </>
          )}
          <Tooltip formatter={(v) => formatCount(Number(v))} />
          <Bar dataKey="value" name="count" fill={color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
