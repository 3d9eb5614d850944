/**
 * The docs site: a static site that works from `file://` with nothing fetched (styles and
 * scripts inline, the search index embedded in the index page). One page per dataset (bronze,
 * silver, gold and seeds) with its schema, owner, classifications, contract version, freshness
 * against its SLA, DQ score and trend, neighbourhood and column lineage, and last runs; an index
 * with search; and the lineage graph of the whole platform, pannable and zoomable.
 */
import type { CatalogEntry, DatasetRun } from '../catalog';
import { escapeHtml as esc } from '../html';
import type { LineageGraph, LineageNode } from '../lineage/graph';
import { graphCss, graphLegend, graphScript, graphSvg, graphTools } from './graph-svg';
import { layoutGraph, type GraphEdge, type GraphNode } from './layout';

export interface ScorePoint {
  readonly checkedAt: string;
  readonly score: number;
}

export interface DocsInput {
  /** `medallion (local)`: the project and environment, for titles. */
  readonly title: string;
  readonly entries: readonly CatalogEntry[];
  readonly graph: LineageGraph;
  /** What the lake recorded; absent when there is no lake yet (definitions only). */
  readonly lake?: {
    /** Per dataset, its latest runs, newest first. */
    readonly runs: ReadonlyMap<string, readonly DatasetRun[]>;
    /** Per dataset, its DQ scores, oldest first. */
    readonly scores: ReadonlyMap<string, readonly ScorePoint[]>;
  };
  /** Where the lake would be, for the definitions-only hint. */
  readonly lakeRoot: string;
  readonly generatedAt: Date;
}

export interface SiteFile {
  /** Relative to the site folder, with `/` separators. */
  readonly path: string;
  readonly content: string;
}

/** A dataset with a page: a contracted dataset, or a seed. */
export interface SiteDataset {
  readonly id: string;
  readonly layer: LineageNode['layer'];
  readonly description: string;
  readonly owner?: string;
  /** From the site root. */
  readonly path: string;
  /** The catalog entry of a contracted dataset; seeds have none. */
  readonly entry?: CatalogEntry;
}

/** Each dataset's page file, from the site root: `datasets/gold.fact_orders.html`. */
export function datasetPath(id: string): string {
  return `datasets/${id.replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
}

const layerOrder = ['bronze', 'seeds', 'silver', 'gold'];

export function siteDatasets(input: Pick<DocsInput, 'entries' | 'graph'>): SiteDataset[] {
  const contracted = input.entries.map((entry) => ({
    id: entry.dataset,
    layer: entry.layer,
    description: entry.description,
    owner: entry.owner,
    path: datasetPath(entry.dataset),
    entry,
  }));
  const seeds = [...input.graph.nodes.values()]
    .filter((n) => n.layer === 'seeds' && !contracted.some((c) => c.id === n.id))
    .map((n) => ({
      id: n.id,
      layer: n.layer,
      description: n.description ?? '',
      path: datasetPath(n.id),
    }));
  return [...contracted, ...seeds].sort(
    (a, b) => layerOrder.indexOf(a.layer) - layerOrder.indexOf(b.layer) || a.id.localeCompare(b.id),
  );
}

/** What the search box matches: names, description, owner, domain, tags, columns and classifications. */
export interface SearchEntry {
  readonly id: string;
  readonly path: string;
  readonly text: string;
}

export function searchIndex(datasets: readonly SiteDataset[], graph: LineageGraph): SearchEntry[] {
  return datasets.map((d) => {
    const e = d.entry;
    const columns = e
      ? e.columns.flatMap((c) => [c.name, c.description, c.classification, ...c.tags])
      : (graph.nodes.get(d.id)?.columns.map((c) => c.name) ?? []);
    const words = [
      d.id,
      d.layer,
      d.description,
      d.owner ?? '',
      ...(e ? [e.relation, e.domain ?? '', ...e.tags] : []),
      ...columns,
    ];
    return {
      id: d.id,
      path: d.path,
      text: [...new Set(words.filter(Boolean))].join(' ').toLowerCase(),
    };
  });
}

/** The whole platform's lineage as graph nodes: every source, dataset and seed, linked to its page. */
export function platformGraph(
  graph: LineageGraph,
  datasets: readonly SiteDataset[],
  hrefOf: (dataset: SiteDataset) => string,
  keep: (id: string) => boolean = () => true,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const pages = new Map(datasets.map((d) => [d.id, d]));
  const nodes = [...graph.nodes.values()]
    .filter((n) => keep(n.id))
    .map((n) => {
      const page = pages.get(n.id);
      return {
        id: n.id,
        label: n.id,
        layer: n.layer,
        title: `${n.id} (${n.layer})${n.owner ? `, owner ${n.owner}` : ''}${n.description ? `\n${n.description}` : ''}`,
        ...(page ? { href: hrefOf(page) } : {}),
      };
    });
  const edges = graph.datasetEdges
    .filter((e) => keep(e.from) && keep(e.to))
    .map((e) => ({ from: e.from, to: e.to, title: `${e.from} → ${e.to} (${e.via})` }));
  return { nodes, edges };
}

export function buildDocsSite(input: DocsInput): SiteFile[] {
  const datasets = siteDatasets(input);
  return [
    { path: 'index.html', content: indexPage(input, datasets) },
    { path: 'lineage.html', content: lineagePage(input, datasets) },
    ...datasets.map((d) => ({ path: d.path, content: datasetPage(input, datasets, d) })),
  ];
}

const css = `
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 0 2rem 2rem; color: #1f2328; }
nav { padding: .75rem 0; border-bottom: 1px solid #d0d7de; margin-bottom: 1rem; }
nav a { margin-right: 1.25rem; } a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
h1 { font-size: 1.5rem; margin: .25rem 0; } h2 { font-size: 1.15rem; margin-top: 1.75rem; }
.muted { color: #656d76; } code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 90%; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { text-align: left; padding: .3rem .75rem .3rem 0; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-weight: 600; } .facts th { width: 9rem; color: #656d76; font-weight: normal; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: 85%; border: 1px solid #d0d7de; }
.pii, .stale, .fail { background: #ffebe9; border-color: #ff8182; } .fresh, .pass { background: #dafbe1; border-color: #4ac26b; }
.hint { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem .9rem; }
.sparkline { vertical-align: middle; margin: 0 .5rem; }
#search { font: inherit; padding: .4rem .6rem; width: min(30rem, 100%); border: 1px solid #d0d7de; border-radius: 6px; }
${graphCss}`;

function page(
  title: string,
  root: string,
  body: string,
  generatedAt: Date,
  script = '',
  /** `graph-page`: the page is the graph, which takes the window's height. */
  bodyClass = '',
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${css}
</style>
</head>
<body${bodyClass ? ` class="${bodyClass}"` : ''}>
<nav><a href="${root}index.html">Datasets</a><a href="${root}lineage.html">Lineage graph</a></nav>
${body}
<p class="muted">Generated ${esc(generatedAt.toISOString())} by <code>medallion docs build</code>.</p>
${script}
</body>
</html>
`;
}

function noLakeHint(input: DocsInput): string {
  return `<p class="hint">No lake at <code>${esc(input.lakeRoot)}</code> yet: rows, DQ scores and trends, freshness and last runs appear here once a pipeline run has written it (<code>npm run pipeline</code>), then <code>medallion docs build</code> again.</p>`;
}

function indexPage(input: DocsInput, datasets: readonly SiteDataset[]): string {
  const rows = datasets
    .map((d) => {
      const s = d.entry?.status;
      return `<tr data-id="${esc(d.id)}"><td><a href="${esc(d.path)}">${esc(d.id)}</a></td><td>${esc(d.layer)}</td><td>${esc(d.owner ?? '')}</td><td>${esc(d.description)}</td><td>${s?.dqScore ?? ''}</td><td>${freshnessBadge(d.entry)}</td></tr>`;
    })
    .join('\n');
  const index = JSON.stringify(searchIndex(datasets, input.graph)).replaceAll('<', '\\u003c');
  const body = `<h1>${esc(input.title)}: datasets</h1>
<p class="muted">${datasets.length} datasets · <a href="lineage.html">lineage graph</a></p>
${input.lake ? '' : noLakeHint(input)}
<p><input id="search" type="search" placeholder="Search names, owners, columns, tags, classifications (e.g. pii)" aria-label="Search datasets" autofocus> <span id="count" class="muted">${datasets.length} of ${datasets.length}</span></p>
<table id="datasets"><thead><tr><th>Dataset</th><th>Layer</th><th>Owner</th><th>Description</th><th>DQ score</th><th>Freshness</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
  const script = `<script id="search-index" type="application/json">${index}</script>
<script>
(() => {
  const index = JSON.parse(document.getElementById('search-index').textContent);
  const input = document.getElementById('search');
  const count = document.getElementById('count');
  const rows = new Map([...document.querySelectorAll('#datasets tbody tr')].map((row) => [row.dataset.id, row]));
  const filter = () => {
    const terms = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
    let shown = 0;
    for (const entry of index) {
      const hit = terms.every((term) => entry.text.includes(term));
      rows.get(entry.id).hidden = !hit;
      if (hit) shown += 1;
    }
    count.textContent = shown + ' of ' + index.length;
  };
  input.addEventListener('input', filter);
  filter();
})();
</script>`;
  return page(`${input.title}: datasets`, '', body, input.generatedAt, script);
}

function lineagePage(input: DocsInput, datasets: readonly SiteDataset[]): string {
  const { nodes, edges } = platformGraph(input.graph, datasets, (d) => d.path);
  const layout = layoutGraph(nodes, edges);
  const body = `<h1>${esc(input.title)}: lineage</h1>
${graphLegend(['source', 'bronze', 'seeds', 'silver', 'gold'])}
${graphTools('drag to pan, wheel to zoom, click a dataset to open it')}
${graphSvg(layout, { interactive: true, label: 'lineage graph of every dataset' })}`;
  return page(`${input.title}: lineage`, '', body, input.generatedAt, graphScript, 'graph-page');
}

function freshnessBadge(entry: CatalogEntry | undefined): string {
  const f = entry?.freshness;
  if (!f) return '';
  if (f.fresh === undefined) return `${f.ageHours} h old`;
  return `<span class="badge ${f.fresh ? 'fresh' : 'stale'}">${f.fresh ? 'fresh' : 'stale'}</span> ${f.ageHours} h old, SLA ${f.slaHours} h`;
}

/** DQ scores (0–100) over time as a small inline line chart, oldest on the left. */
export function sparkline(points: readonly ScorePoint[]): string {
  const [w, h, pad] = [160, 36, 3];
  const low = Math.min(...points.map((p) => p.score), 90);
  const xy = points.map((p, i) => [
    pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (points.length - 1)),
    pad + ((100 - p.score) / Math.max(1, 100 - low)) * (h - 2 * pad),
  ]);
  const line = xy.map(([x, y]) => `${x!.toFixed(1)},${y!.toFixed(1)}`).join(' ');
  const [lx, ly] = xy.at(-1)!;
  return `<svg class="sparkline" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="DQ score trend"><title>${esc(points.map((p) => `${p.checkedAt}: ${p.score}`).join('\n'))}</title><polyline points="${line}" fill="none" stroke="#0969da" stroke-width="1.5"/><circle cx="${lx!.toFixed(1)}" cy="${ly!.toFixed(1)}" r="2.5" fill="#0969da"/></svg>`;
}

function link(to: string, pages: ReadonlyMap<string, SiteDataset>): string {
  const target = pages.get(to);
  return target ? `<a href="../${esc(target.path)}">${esc(to)}</a>` : `<code>${esc(to)}</code>`;
}

function datasetPage(input: DocsInput, datasets: readonly SiteDataset[], d: SiteDataset): string {
  const pages = new Map(datasets.map((x) => [x.id, x]));
  const { graph } = input;
  const e = d.entry;
  const upstream = [...new Set(graph.datasetEdges.filter((x) => x.to === d.id).map((x) => x.from))];
  const downstream = [
    ...new Set(graph.datasetEdges.filter((x) => x.from === d.id).map((x) => x.to)),
  ];
  const near = new Set([d.id, ...upstream, ...downstream]);
  const neighbourhood = platformGraph(
    graph,
    datasets,
    (x) => `../${x.path}`,
    (id) => near.has(id),
  );
  const layout = layoutGraph(
    neighbourhood.nodes,
    neighbourhood.edges.filter((x) => x.from === d.id || x.to === d.id),
  );

  const pii = e?.columns.filter((c) => c.classification === 'pii').map((c) => c.name) ?? [];
  const classes = e ? [...new Set(e.columns.map((c) => c.classification))].sort() : [];
  const facts: [string, string][] = [
    ['Layer', esc(d.layer)],
    ...(e
      ? ([
          ['Table', `<code>${esc(e.relation)}</code>`],
          [
            'Owner',
            `${esc(e.owner)}${e.domain ? ` <span class="muted">(domain ${esc(e.domain)})</span>` : ''}`,
          ],
          ['Contract', `version ${esc(e.version)}`],
          [
            'Classification',
            `${classes.map((c) => `<span class="badge${c === 'pii' ? ' pii' : ''}">${esc(c)}</span>`).join(' ')}${pii.length > 0 ? ` · PII columns: ${pii.map(esc).join(', ')}` : ''}`,
          ],
          ...(e.tags.length > 0 ? [['Tags', e.tags.map(esc).join(', ')] as [string, string]] : []),
        ] as [string, string][])
      : ([['Contract', 'none: reference data loaded from the models’ seeds']] as [
          string,
          string,
        ][])),
  ];
  const scores = input.lake?.scores.get(d.id) ?? [];
  const runs = input.lake?.runs.get(d.id) ?? [];
  if (input.lake && e) {
    const s = e.status;
    facts.push(
      [
        'Rows',
        s.rowCount !== undefined
          ? String(s.rowCount)
          : s.rowsWritten !== undefined
            ? `${s.rowsWritten} written by the last run`
            : 'no run yet',
      ],
      [
        'DQ score',
        s.dqScore === undefined
          ? 'not checked yet'
          : `${s.dqScore}${scores.length > 1 ? ` ${sparkline(scores)} <span class="muted">last ${scores.length} checks</span>` : ''}`,
      ],
      [
        'Last published',
        s.updatedAt ? `${esc(s.updatedAt)} by run <code>${esc(s.lastRunId ?? '')}</code>` : 'never',
      ],
      ['Freshness', freshnessBadge(e) || (e.freshness === undefined ? 'not written yet' : '')],
    );
  }

  const lineage = graph.columnEdges;
  const fedBy = (column: string) =>
    lineage
      .filter((x) => x.to.dataset === d.id && x.to.column === column)
      .map(
        (x) =>
          `${link(x.from.dataset, pages)}.<code>${esc(x.from.column)}</code> <span class="muted">${esc(x.transformations.map((t) => t.subtype.toLowerCase().replace('_', ' ')).join(', '))}</span>`,
      )
      .join('<br>');
  const feeds = (column: string) =>
    lineage
      .filter((x) => x.from.dataset === d.id && x.from.column === column)
      .map((x) => `${link(x.to.dataset, pages)}.<code>${esc(x.to.column)}</code>`)
      .join('<br>');
  const columns = e
    ? e.columns.map((c) => ({
        name: c.name,
        type: c.type,
        classification: c.classification,
        description: c.description,
      }))
    : (graph.nodes.get(d.id)?.columns ?? []).map((c) => ({
        name: c.name,
        type: '',
        classification: '',
        description: c.description ?? '',
      }));
  const schema = columns
    .map(
      (c) =>
        `<tr><td><code>${esc(c.name)}</code></td><td><code>${esc(c.type)}</code></td><td>${c.classification ? `<span class="badge${c.classification === 'pii' ? ' pii' : ''}">${esc(c.classification)}</span>` : ''}</td><td>${esc(c.description)}</td><td>${fedBy(c.name)}</td><td>${feeds(c.name)}</td></tr>`,
    )
    .join('\n');
  const rowsDecidedBy = graph.models.get(d.id)?.dataset ?? [];

  const runTable = !e
    ? '<p class="muted">Seeds are read from their CSV file by the models that use them: no run writes them.</p>'
    : !input.lake
      ? noLakeHint(input)
      : runs.length === 0
        ? '<p class="muted">No run has written it yet.</p>'
        : `<table><thead><tr><th>Run</th><th>Job</th><th>Run date</th><th>Status</th><th>Rows out</th><th>Ended</th></tr></thead><tbody>
${runs.map((r) => `<tr><td><code>${esc(r.run_id)}</code></td><td>${esc(r.job)}</td><td>${esc(r.run_date)}</td><td><span class="badge ${r.status === 'SUCCEEDED' ? 'pass' : 'fail'}">${esc(r.status)}</span></td><td>${r.rows_out}</td><td>${esc(r.updated_at)}</td></tr>`).join('\n')}
</tbody></table>`;

  const body = `<h1>${esc(d.id)}</h1>
<p>${esc(d.description)}</p>
<table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>
<h2>Upstream and downstream</h2>
<p>Upstream: ${upstream.map((u) => link(u, pages)).join(', ') || 'none'} · Downstream: ${downstream.map((u) => link(u, pages)).join(', ') || 'none'}</p>
${graphSvg(layout, { interactive: false, current: d.id, label: `datasets next to ${d.id}` })}
${rowsDecidedBy.length > 0 ? `<p class="muted">Which rows exist is decided by ${[...new Set(rowsDecidedBy.map((f) => `${link(graph.datasetOf(f.relation), pages)}.<code>${esc(f.column)}</code>`))].join(', ')} (joins, filters, groupings).</p>` : ''}
<h2>Schema and column lineage</h2>
<table><thead><tr><th>Column</th><th>Type</th><th>Classification</th><th>Description</th><th>Fed by</th><th>Feeds</th></tr></thead><tbody>
${schema}
</tbody></table>
<h2>Last runs</h2>
${runTable}`;
  return page(`${d.id} · ${input.title}`, '../', body, input.generatedAt);
}
