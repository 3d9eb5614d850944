/**
 * The data-quality report as one self-contained HTML page: inline CSS and inline SVG charts, no
 * script and nothing fetched, so it opens offline and can be mailed or archived as is.
 */
import type { QualityReport, ReportDataset } from '../../core/dq/report';
import { escapeHtml as esc } from '../../core/html';

export function renderQualityReportHtml(report: QualityReport, generatedAt: Date): string {
  const errors = report.datasets.reduce((n, d) => n + d.failedErrors, 0);
  const warnings = report.datasets.reduce((n, d) => n + d.failedWarnings, 0);
  const mean =
    report.datasets.length === 0
      ? 100
      : report.datasets.reduce((n, d) => n + d.score, 0) / report.datasets.length;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data quality · run ${esc(report.runId)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  .muted { color: #656d76; } table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .good { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; border: 1px solid currentColor; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: .5rem; padding: .75rem 1rem; min-width: 10rem; }
  .card b { display: block; font-size: 1.5rem; } pre { background: #f6f8fa; padding: .5rem; overflow-x: auto; font-size: .8rem; margin: .25rem 0; }
  details { margin: .5rem 0; } summary { cursor: pointer; }
</style>
</head>
<body>
<h1>Data quality</h1>
<p class="muted">Run <code>${esc(report.runId)}</code> for ${esc(report.runDate)} · generated ${esc(generatedAt.toISOString())}</p>
<div class="cards">
  <div class="card"><b class="${tone(mean)}">${mean.toFixed(1)}</b>mean score</div>
  <div class="card"><b>${report.datasets.length}</b>datasets checked</div>
  <div class="card"><b class="${errors > 0 ? 'bad' : 'good'}">${errors}</b>failed error checks</div>
  <div class="card"><b class="${warnings > 0 ? 'warn' : 'good'}">${warnings}</b>failed warnings</div>
</div>
<h2>Scores</h2>
<table>
<thead><tr><th>dataset</th><th>layer</th><th>score</th><th>trend (recent runs)</th><th>rows</th><th>checks</th><th>failed errors</th><th>failed warnings</th></tr></thead>
<tbody>
${report.datasets.map(scoreRow).join('\n')}
</tbody>
</table>
<h2>Checks that did not pass</h2>
${
  report.datasets.some((d) => d.notPassed.length > 0)
    ? report.datasets
        .filter((d) => d.notPassed.length > 0)
        .map(failing)
        .join('\n')
    : '<p class="good">Every check passed.</p>'
}
<h2>Profiles</h2>
${report.datasets.map(profile).join('\n')}
</body>
</html>
`;
}

function scoreRow(d: ReportDataset): string {
  return `<tr><td><a href="#${anchor(d.dataset)}">${esc(d.dataset)}</a></td><td>${esc(d.layer)}</td><td class="num ${tone(d.score)}">${d.score.toFixed(1)}</td><td>${sparkline(
    d.trend.map((t) => t.score),
    d.dataset,
  )}</td><td class="num">${d.rows.toLocaleString('en-US')}</td><td class="num">${d.checks}</td><td class="num ${d.failedErrors > 0 ? 'bad' : ''}">${d.failedErrors}</td><td class="num ${d.failedWarnings > 0 ? 'warn' : ''}">${d.failedWarnings}</td></tr>`;
}

function failing(d: ReportDataset): string {
  return `<h3 id="${anchor(d.dataset)}-checks">${esc(d.dataset)}</h3>
<table>
<thead><tr><th>check</th><th>severity</th><th>status</th><th>observed</th><th>expected</th><th>outcome</th></tr></thead>
<tbody>
${d.notPassed
  .map(
    (c) =>
      `<tr><td><code>${esc(c.check)}</code></td><td><span class="badge ${c.severity === 'error' ? 'bad' : 'warn'}">${esc(c.severity)}</span></td><td>${esc(c.status)}</td><td class="num">${c.observed === null ? '' : esc(String(c.observed))}</td><td>${esc(c.expected)}</td><td>${esc(c.message)}${c.sample.length > 0 ? `<details><summary>${c.sample.length} sample row(s)</summary><pre>${esc(JSON.stringify(c.sample, null, 2))}</pre></details>` : ''}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>`;
}

function profile(d: ReportDataset): string {
  const cell = (v: unknown) =>
    v === null || v === undefined
      ? ''
      : typeof v === 'number'
        ? Number(v.toFixed(3)).toLocaleString('en-US')
        : esc(String(v));
  return `<details id="${anchor(d.dataset)}"><summary><b>${esc(d.dataset)}</b> <span class="muted">${d.rows.toLocaleString('en-US')} rows</span></summary>
${d.partialProfile ? `<p class="muted">The quality gate computed only what its checks read (the row count, freshness, anomaly metrics): an empty cell was not computed (or is hidden by the column’s classification). <code>medallion dq profile ${esc(d.dataset)}</code> profiles every column.</p>\n` : ''}<table>
<thead><tr><th>column</th><th>type</th><th>null %</th><th>distinct</th><th>min</th><th>max</th><th>mean</th><th>median</th><th>length</th><th>top values</th></tr></thead>
<tbody>
${d.profile
  .map((p) => {
    const top = (p.top_values as { value: string | null; count: number }[] | undefined) ?? [];
    const lengths =
      p.min_length === null || p.min_length === undefined
        ? ''
        : `${cell(p.min_length)}–${cell(p.max_length)}`;
    return `<tr><td><code>${esc(String(p.column_name))}</code></td><td>${esc(String(p.data_type))}</td><td class="num">${cell(p.null_percent)}</td><td class="num">${cell(p.distinct_count)}</td><td>${cell(p.min_value)}</td><td>${cell(p.max_value)}</td><td class="num">${cell(p.mean)}</td><td class="num">${cell(p.median)}</td><td class="num">${lengths}</td><td>${top.map((t) => `${esc(t.value ?? 'NULL')} <span class="muted">(${t.count})</span>`).join(', ')}</td></tr>`;
  })
  .join('\n')}
</tbody>
</table>
</details>`;
}

/** Scores 0–100 as a small line chart with the last value marked. */
function sparkline(scores: readonly number[], label: string): string {
  const width = 140;
  const height = 28;
  if (scores.length === 0) return '';
  const x = (i: number) =>
    scores.length === 1 ? width - 4 : 4 + (i * (width - 8)) / (scores.length - 1);
  const y = (s: number) => height - 3 - (Math.max(0, Math.min(100, s)) / 100) * (height - 6);
  const points = scores.map((s, i) => `${x(i).toFixed(1)},${y(s).toFixed(1)}`).join(' ');
  const last = scores.at(-1)!;
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}: scores of the last ${scores.length} run(s)"><line x1="0" y1="${y(100)}" x2="${width}" y2="${y(100)}" stroke="#d0d7de" stroke-dasharray="2 2"/><polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${points}"/><circle cx="${x(scores.length - 1)}" cy="${y(last)}" r="2.5" fill="${last >= 99.95 ? '#1a7f37' : last >= 90 ? '#9a6700' : '#cf222e'}"/></svg>`;
}

function tone(score: number): string {
  return score >= 99.95 ? 'good' : score >= 90 ? 'warn' : 'bad';
}

function anchor(dataset: string): string {
  return `ds-${dataset.replace(/[^a-z0-9]+/gi, '-')}`;
}
