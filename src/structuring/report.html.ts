/** The run report: one self-contained HTML file with inline SVG charts. */
import { qualityOf, type ReportStats } from './report-stats.js';
import type { RunParams, RunSource } from './structuring.js';
import { barChart, escapeHtml, heatmap, histogram } from './svg-charts.js';

export interface ReportInput {
  readonly id: string;
  readonly rows: number;
  readonly windows: number;
  readonly source: RunSource;
  readonly params: RunParams;
  readonly stats: ReportStats;
  readonly top: { users: { key: string; alerts: number }[]; merchants: { key: string; alerts: number }[] };
  readonly durations: Record<string, number>;
}

const STYLE = `body{font-family:sans-serif;margin:2rem;color:#222;max-width:1100px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:1.5rem}
.note{color:#666;font-size:.9rem}.key span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}`;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

function table(head: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null) =>
    v === null ? '–' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : escapeHtml(String(v));
  return `<table><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((v) => `<td>${cell(v)}</td>`).join('')}</tr>`)
    .join('')}</table>`;
}

function summary(r: ReportInput): string {
  const source = r.source.kind === 'files' ? r.source.input : 'stored transactions';
  return table(
    ['', ''],
    [
      ['run', r.id],
      ['source', source],
      ['transactions', r.rows],
      ['windows scored', r.windows],
      ['groups', r.stats.groups.map((g) => `${g.scope} ${g.window}: ${g.windows}`).join('; ')],
      ['methods', r.params.methods.join(', ')],
      ['consensus', `flagged by at least ${r.params.minMethods} methods`],
      ['seconds', (r.durations.total ?? 0) / 1000],
    ],
  );
}

function qualitySection(r: ReportInput): string {
  if (r.stats.labelled === 0)
    return '<p class="note">The input has no label column: precision and recall are not available.</p>';
  const rows = qualityOf(r.stats).map((q) => [q.method, q.flagged, q.tp, q.fp, q.fn, q.precision, q.recall]);
  return `<p class="note">${r.stats.positives} of ${r.stats.labelled} labelled windows end at a structuring transaction.</p>${table(['method', 'flagged', 'TP', 'FP', 'FN', 'precision', 'recall'], rows)}`;
}

function distributions(r: ReportInput): string {
  const key =
    '<p class="key"><span style="background:#b03a2e"></span>consensus-flagged<span style="background:#9aa5b1"></span>other windows (share of each; log-scale bins)</p>';
  const charts = r.stats.distributions.map(
    (d) =>
      `<figure><figcaption>${escapeHtml(d.feature)}</figcaption>${histogram(d.edges, d.flagged, d.normal)}</figure>`,
  );
  return `${key}<div class="grid">${charts.join('')}</div>`;
}

/** Renders the report of a finished run. */
export function renderReport(r: ReportInput): string {
  const perMethod = r.stats.methods.map((m) => ({ label: m, value: r.stats.quality.get(m)?.flagged ?? 0 }));
  const hours = r.stats.methods.map((m) => ({ label: m, values: r.stats.hours.get(m) ?? [] }));
  const bars = (items: { key: string; alerts: number }[]) =>
    items.length === 0
      ? '<p class="note">No consensus alerts.</p>'
      : barChart(
          items.map((i) => ({ label: i.key, value: i.alerts })),
          '#b03a2e',
        );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Structuring run ${escapeHtml(r.id)}</title><style>${STYLE}</style></head>
<body><h1>Structuring detection report</h1>
${section('summary', 'Run', summary(r))}
${section('alerts-per-method', 'Alerts per method', barChart(perMethod))}
${section('top-users', 'Top users (consensus alerts)', bars(r.top.users))}
${section('top-merchants', 'Top merchants (consensus alerts)', bars(r.top.merchants))}
${section('hour-heatmap', 'Hour of day (UTC) × method', heatmap(hours))}
${section('feature-distributions', 'Feature distributions: flagged vs normal', distributions(r))}
${section('precision-recall', 'Precision and recall per method', qualitySection(r))}
</body></html>
`;
}
