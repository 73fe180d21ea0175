/** Inline SVG charts for the self-contained report: no script, no external resource. */

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

export interface Bar {
  readonly label: string;
  readonly value: number;
}

/** Horizontal bar chart, one bar per item, value printed at the bar's end. */
export function barChart(bars: readonly Bar[], color = '#3b6ea8', width = 560): string {
  const row = 22;
  const labelWidth = 170;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plot = width - labelWidth - 80;
  const items = bars.map((b, i) => {
    const y = i * row;
    const w = (b.value / max) * plot;
    return `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(b.label)}</text>
<rect x="${labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 6}" fill="${color}"/>
<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 15}">${fmt(b.value)}</text>`;
  });
  return svg(width, Math.max(row, bars.length * row), items.join('\n'));
}

/** Rows × 24 hours heatmap; darker = more. */
export function heatmap(rows: readonly { label: string; values: readonly number[] }[], width = 640): string {
  const labelWidth = 90;
  const cell = (width - labelWidth) / 24;
  const row = 20;
  const cells = rows.flatMap((r, i) => {
    const max = Math.max(1, ...r.values);
    const label = `<text x="${labelWidth - 6}" y="${i * row + 14}" text-anchor="end">${escapeHtml(r.label)}</text>`;
    const boxes = r.values.map((v, h) => {
      const alpha = (v / max).toFixed(3);
      return `<rect x="${(labelWidth + h * cell).toFixed(1)}" y="${i * row}" width="${(cell - 1).toFixed(1)}" height="${row - 2}" fill="#b03a2e" fill-opacity="${alpha}"><title>${escapeHtml(r.label)} ${h}:00 UTC: ${v}</title></rect>`;
    });
    return [label, ...boxes];
  });
  const hours = Array.from(
    { length: 24 },
    (_, h) =>
      `<text x="${(labelWidth + h * cell + cell / 2).toFixed(1)}" y="${rows.length * row + 14}" text-anchor="middle">${h}</text>`,
  );
  return svg(width, rows.length * row + 20, [...cells, ...hours].join('\n'));
}

/** Two distributions over the same bins, each as a share of its own total. */
export function histogram(
  edges: readonly number[],
  flagged: readonly number[],
  normal: readonly number[],
  width = 300,
  height = 140,
): string {
  const share = (values: readonly number[]) => {
    const total = values.reduce((a, b) => a + b, 0) || 1;
    return values.map((v) => v / total);
  };
  const [a, b] = [share(flagged), share(normal)];
  const max = Math.max(1e-9, ...a, ...b);
  const bin = width / Math.max(1, edges.length);
  const bars = edges.flatMap((_, i) => {
    const x = i * bin;
    const ha = ((a[i] ?? 0) / max) * (height - 20);
    const hb = ((b[i] ?? 0) / max) * (height - 20);
    return [
      `<rect x="${x.toFixed(1)}" y="${(height - 20 - hb).toFixed(1)}" width="${(bin / 2).toFixed(1)}" height="${hb.toFixed(1)}" fill="#9aa5b1"/>`,
      `<rect x="${(x + bin / 2).toFixed(1)}" y="${(height - 20 - ha).toFixed(1)}" width="${(bin / 2).toFixed(1)}" height="${ha.toFixed(1)}" fill="#b03a2e"/>`,
    ];
  });
  const axis = `<text x="0" y="${height - 4}">0</text><text x="${width}" y="${height - 4}" text-anchor="end">${fmt(edges[edges.length - 1] ?? 0)}</text>`;
  return svg(width, height, [...bars, axis].join('\n'));
}

function svg(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">\n${body}\n</svg>`;
}
