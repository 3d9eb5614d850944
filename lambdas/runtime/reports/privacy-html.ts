/**
 * The privacy impact report as one self-contained HTML page (inline CSS, an inline SVG of where
 * personal data flows, no script, nothing fetched): it opens offline and can be filed as evidence.
 */
import type { PrivacyImpactReport } from '../../core/privacy/impact';
import { escapeHtml as esc } from '../../core/html';

const layers = ['bronze', 'silver', 'gold', 'seeds'] as const;

export function renderPrivacyReportHtml(report: PrivacyImpactReport): string {
  const { summary } = report;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Privacy impact · ${esc(report.env)}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
  h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.15rem; margin-top: 2rem; } h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
  .muted { color: #656d76; } table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; } .good { color: #1a7f37; } .warn { color: #9a6700; } .bad { color: #cf222e; }
  .cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: .5rem; padding: .75rem 1rem; min-width: 10rem; }
  .card b { display: block; font-size: 1.5rem; } code { font-size: .85rem; }
  .pii { color: #cf222e; } .confidential { color: #9a6700; } svg text { font: 11px system-ui, sans-serif; }
</style>
</head>
<body>
<h1>Privacy impact</h1>
<p class="muted">Environment <code>${esc(report.env)}</code> · generated ${esc(report.generatedAt)} · from the contracts, the models' column lineage${report.personas.length > 0 ? ', the access policy' : ''} and the data subject request log</p>
<div class="cards">
  <div class="card"><b>${summary.datasets}</b>datasets with personal data</div>
  <div class="card"><b class="pii">${summary.piiColumns}</b>pii columns</div>
  <div class="card"><b class="confidential">${summary.confidentialColumns}</b>confidential columns</div>
  <div class="card"><b>${summary.clearPiiReaders.length}</b>personas reading pii in clear${summary.clearPiiReaders.length > 0 ? `<br><span class="muted">${esc(summary.clearPiiReaders.join(', '))}</span>` : ''}</div>
  <div class="card"><b class="${summary.overdueRequests > 0 ? 'bad' : summary.openRequests > 0 ? 'warn' : 'good'}">${summary.openRequests}</b>open requests${summary.overdueRequests > 0 ? ` (${summary.overdueRequests} overdue)` : ''}</div>
  <div class="card"><b class="${report.findings.length > 0 ? 'bad' : 'good'}">${report.findings.length}</b>scanner findings against contracts</div>
</div>
<h2>Where personal data flows</h2>
${flowPicture(report)}
<h2>Datasets and columns</h2>
${report.datasets.map(datasetSection(report.personas)).join('\n')}
<h2>Scanner findings that contradict contracts</h2>
${
  report.findings.length === 0
    ? '<p class="good">None: every column the scanner found personal data in is classified at least as strongly in its contract.</p>'
    : `<table><thead><tr><th>column</th><th>scanner found</th><th>contract says</th></tr></thead><tbody>${report.findings
        .map(
          (f) =>
            `<tr><td><code>${esc(f.dataset)}.${esc(f.column)}</code></td><td class="bad">${esc(f.found)}</td><td>${esc(f.declared)}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
<h2>Data subject requests</h2>
${
  report.requests.length === 0
    ? '<p class="muted">No requests recorded.</p>'
    : `<table><thead><tr><th>request</th><th>kind</th><th>received</th><th>deadline</th><th>status</th></tr></thead><tbody>${report.requests
        .map(
          (r) =>
            `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.kind)}</td><td>${esc(r.received)}</td><td class="${r.overdue ? 'bad' : ''}">${esc(r.deadline)}${r.overdue ? ' (overdue)' : ''}</td><td>${esc(r.status)}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
</body>
</html>
`;
}

function datasetSection(personas: readonly string[]) {
  return (d: PrivacyImpactReport['datasets'][number]): string => {
    const header = personas.length > 0 ? `<th>who reads it</th>` : '';
    const rows = d.columns
      .map((c) => {
        const readers =
          personas.length > 0
            ? `<td>${c.readers.length === 0 ? '<span class="muted">nobody</span>' : c.readers.map((r) => `${esc(r.persona)} <span class="muted">(${esc(r.visibility)})</span>`).join(', ')}</td>`
            : '';
        const flows =
          c.flowsTo.length === 0
            ? '<span class="muted">—</span>'
            : c.flowsTo.map((f) => `<code>${esc(f)}</code>`).join(', ');
        return `<tr><td><code>${esc(c.name)}</code></td><td class="${c.classification}">${c.classification}</td><td>${flows}</td>${readers}</tr>`;
      })
      .join('');
    return `<h3><code>${esc(d.dataset)}</code> <span class="muted">${esc(d.layer)}${d.owner ? ` · ${esc(d.owner)}` : ''} · retention: ${esc(d.retention)}</span></h3>
<table><thead><tr><th>column</th><th>classification</th><th>flows to</th>${header}</tr></thead><tbody>${rows}</tbody></table>`;
  };
}

/** Datasets in layer columns, an arrow for each dataset-to-dataset flow of personal columns. */
function flowPicture(report: PrivacyImpactReport): string {
  const columns = layers
    .map((layer) =>
      report.reached
        .filter((n) => n.layer === layer)
        .map((n) => n.dataset)
        .sort(),
    )
    .filter((c) => c.length > 0);
  if (columns.length === 0)
    return '<p class="muted">No personal data is declared in any contract.</p>';
  const [boxWidth, boxHeight, gapX, gapY, top] = [210, 24, 90, 10, 24];
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((datasets, i) =>
    datasets.forEach((dataset, j) =>
      position.set(dataset, { x: 10 + i * (boxWidth + gapX), y: top + j * (boxHeight + gapY) }),
    ),
  );
  const width = 20 + columns.length * boxWidth + (columns.length - 1) * gapX;
  const height = top + Math.max(...columns.map((c) => c.length)) * (boxHeight + gapY) + 10;
  const personal = new Set(report.datasets.map((d) => d.dataset));
  const edges = report.flows
    .flatMap(({ from, to }) => {
      const [a, b] = [position.get(from), position.get(to)];
      if (!a || !b) return [];
      const [x1, y1, x2, y2] = [a.x + boxWidth, a.y + boxHeight / 2, b.x, b.y + boxHeight / 2];
      const mid = (x1 + x2) / 2;
      return [
        `<path d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#8c959f" stroke-width="1.2" marker-end="url(#arrow)"/>`,
      ];
    })
    .join('');
  const boxes = [...position]
    .map(
      ([dataset, { x, y }]) =>
        `<g><rect x="${x}" y="${y}" width="${boxWidth}" height="${boxHeight}" rx="4" fill="${personal.has(dataset) ? '#ffebe9' : '#f6f8fa'}" stroke="${personal.has(dataset) ? '#cf222e' : '#8c959f'}"/><text x="${x + 8}" y="${y + 16}">${esc(dataset)}</text></g>`,
    )
    .join('');
  const headers = columns
    .map((c, i) => {
      const layer = report.reached.find((n) => n.dataset === c[0])!.layer;
      return `<text x="${10 + i * (boxWidth + gapX)}" y="14" font-weight="600">${esc(layer)}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="Datasets holding personal data and the flows between them" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8c959f"/></marker></defs>
${headers}${edges}${boxes}
</svg>
<p class="muted">Red: a dataset whose contract declares pii or confidential columns. Grey: a dataset computed from such columns whose contract declares none.</p>`;
}
