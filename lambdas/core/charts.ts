/**
 * Inline SVG charts for the self-contained HTML reports: no script and nothing fetched, so a page
 * opens offline and can be mailed or archived as is. Text is escaped here; callers pass raw text.
 */
import { escapeHtml as esc } from './html';

/** Series a chart draws before lumping the rest into "Other", so colours stay tellable apart. */
const chartedSeries = 6;
export const palette = [
  '#0969da',
  '#1a7f37',
  '#bf8700',
  '#8250df',
  '#cf222e',
  '#1b7c83',
  '#8c959f',
];

export interface StackedColumn {
  /** What the column stands for (a day, a run), in its tooltips. */
  readonly label: string;
  readonly values: Readonly<Record<string, number>>;
}

export interface StackedChartOptions {
  /** The axis label under a column, if it gets one. */
  readonly tick?: (column: StackedColumn, index: number) => string | undefined;
  readonly format?: (value: number) => string;
  /** What the page says instead of an empty chart. */
  readonly empty?: string;
}

/** Stacked columns of the largest series, the rest as "Other", with a legend. */
export function stackedChart(
  label: string,
  columns: readonly StackedColumn[],
  order: readonly string[],
  options: StackedChartOptions = {},
): string {
  const format = options.format ?? ((v: number) => v.toFixed(2));
  if (columns.every((d) => Object.keys(d.values).length === 0))
    return `<p class="muted">${esc(options.empty ?? 'Nothing to chart.')}</p>`;
  const shown = order.slice(0, order.length > chartedSeries + 1 ? chartedSeries : order.length);
  const keys = shown.length < order.length ? [...shown, 'Other'] : shown;
  const stacks = columns.map((d) => {
    const values = keys.map((k) =>
      k === 'Other'
        ? Object.entries(d.values)
            .filter(([key]) => !shown.includes(key))
            .reduce((sum, [, v]) => sum + v, 0)
        : (d.values[k] ?? 0),
    );
    return { column: d, values };
  });
  const max = Math.max(...stacks.map((s) => s.values.reduce((a, b) => a + b, 0)), 0.01);
  const [left, top, plotHeight, bar, gap] = [56, 10, 180, 14, 4];
  const width = left + stacks.length * (bar + gap) + 10;
  const height = top + plotHeight + 40;
  const y = (v: number) => top + plotHeight - (v / max) * plotHeight;
  const bars = stacks
    .map((s, i) => {
      let base = 0;
      const x = left + i * (bar + gap);
      const rects = s.values
        .map((v, k) => {
          if (v <= 0) return '';
          const rect = `<rect x="${x}" y="${y(base + v).toFixed(1)}" width="${bar}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${palette[k % palette.length]}"><title>${esc(s.column.label)} ${esc(keys[k]!)}: ${format(v)}</title></rect>`;
          base += v;
          return rect;
        })
        .join('');
      const label = options.tick?.(s.column, i);
      const tick =
        label === undefined
          ? ''
          : `<text x="${x}" y="${top + plotHeight + 14}">${esc(label)}</text>`;
      return rects + tick;
    })
    .join('');
  const axis = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${left - 6}" y="${y(max * f) + 4}" text-anchor="end">${format(max * f)}</text><line x1="${left}" x2="${width - 10}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#d0d7de"/>`,
    )
    .join('');
  return `<svg role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${axis}${bars}</svg>
<p class="legend">${legend(keys)}</p>`;
}

function legend(keys: readonly string[]): string {
  return keys
    .map(
      (k, i) => `<span><i style="background:${palette[i % palette.length]}"></i>${esc(k)}</span>`,
    )
    .join(' ');
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  /** Colours the bar as the pages colour their figures. */
  readonly tone?: 'good' | 'warn' | 'bad';
}

const toneColours = { good: '#1a7f37', warn: '#bf8700', bad: '#cf222e' } as const;

/** One horizontal bar per label, its value written after it: per-dataset figures. */
export function barChart(
  label: string,
  bars: readonly Bar[],
  options: {
    readonly format?: (value: number) => string;
    readonly max?: number;
    readonly empty?: string;
  } = {},
): string {
  const format = options.format ?? ((v: number) => v.toLocaleString('en-US'));
  if (bars.length === 0) return `<p class="muted">${esc(options.empty ?? 'Nothing to chart.')}</p>`;
  const max = Math.max(options.max ?? 0, ...bars.map((b) => b.value), 1e-9);
  const [labelWidth, plotWidth, row, bar] = [220, 420, 20, 14];
  const width = labelWidth + plotWidth + 90;
  const height = bars.length * row + 6;
  const rows = bars
    .map((b, i) => {
      const y = 3 + i * row;
      const length = Math.max((b.value / max) * plotWidth, b.value > 0 ? 1 : 0);
      return `<text x="${labelWidth - 6}" y="${y + 11}" text-anchor="end">${esc(b.label)}</text><rect x="${labelWidth}" y="${y}" width="${length.toFixed(1)}" height="${bar}" fill="${b.tone ? toneColours[b.tone] : palette[0]}"><title>${esc(b.label)}: ${esc(format(b.value))}</title></rect><text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 11}">${esc(format(b.value))}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="${esc(label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${rows}</svg>`;
}

/** The stylesheet of the platform's one-page HTML reports (cost, runs): the same look, offline. */
export const reportStyle = `  body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  .muted { color: #656d76; } table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; } .num { text-align: right; font-variant-numeric: tabular-nums; }
  .good { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: .5rem; padding: .75rem 1rem; min-width: 10rem; }
  .card b { display: block; font-size: 1.5rem; } svg text { font: 11px system-ui, sans-serif; fill: #656d76; }
  .legend span { margin-right: 1rem; white-space: nowrap; } .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; border-radius: 2px; }
`;
