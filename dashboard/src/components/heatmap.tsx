import { formatCount } from '../lib/format';

/**
 * Rows × 24 hours of counts, as a colour grid (a table, so screen readers read the numbers),
 * with a legend from 0 to the largest count.
 */
export function HourHeatmap({
  rows,
  label,
}: {
  rows: readonly { name: string; hours: readonly number[] }[];
  label: string;
}) {
  const max = Math.max(1, ...rows.flatMap((r) => r.hours));
  return (
    <>
      <div className="heatmap-scroll">
        <table className="heatmap" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">method</th>
              {Array.from({ length: 24 }, (_, h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.name}>
                <th scope="row">{row.name}</th>
                {row.hours.map((n, h) => (
                  <td
                    key={h}
                    title={`${row.name}, ${h}:00 UTC: ${formatCount(n)}`}
                    style={{ background: shade(n / max) }}
                  >
                    <span className="sr-only">{formatCount(n)}</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="heatmap-legend small muted">
        Per cell: 0
        {LEGEND_STEPS.map((f) => (
          <span key={f} className="swatch" style={{ background: shade(f) }} aria-hidden="true" />
        ))}
        {formatCount(max)}
      </p>
    </>
  );
}

const LEGEND_STEPS = [0, 0.25, 0.5, 0.75, 1];

function shade(fraction: number): string {
  if (fraction === 0) return '#f3f4f6';
  return `rgba(29, 78, 216, ${(0.15 + 0.85 * fraction).toFixed(2)})`;
}
