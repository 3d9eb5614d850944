import { beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../lambdas/core/catalog';
import { labelWidth, layoutGraph, type GraphLayout } from '../../lambdas/core/docs/layout';
import { lineageAnswerPage } from '../../lambdas/core/docs/lineage-page';
import {
  buildDocsSite,
  datasetPath,
  platformGraph,
  siteDatasets,
  sparkline,
  type DocsInput,
  type SiteFile,
} from '../../lambdas/core/docs/site';
import { buildLineageGraph, type LineageGraph } from '../../lambdas/core/lineage/graph';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

const now = new Date('2026-01-03T00:00:00Z');

/** Every pair of nodes whose boxes intersect. */
function overlaps(layout: GraphLayout): string[] {
  const found: string[] = [];
  layout.nodes.forEach((a, i) =>
    layout.nodes.slice(i + 1).forEach((b) => {
      if (
        a.x < b.x + b.width &&
        b.x < a.x + a.width &&
        a.y < b.y + b.height &&
        b.y < a.y + a.height
      )
        found.push(`${a.id} × ${b.id}`);
    }),
  );
  return found;
}

/** Crossings between edges joining the same pair of adjacent columns. */
function crossings(layout: GraphLayout): number {
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const spans = layout.edges
    .map((e) => [at.get(e.from)!, at.get(e.to)!] as const)
    .filter(([a, b]) => b.column === a.column + 1);
  let n = 0;
  spans.forEach(([a1, b1], i) =>
    spans.slice(i + 1).forEach(([a2, b2]) => {
      if (a1.column === a2.column && (a1.y - a2.y) * (b1.y - b2.y) < 0) n += 1;
    }),
  );
  return n;
}

describe('the docs site', () => {
  let project: Project;
  let graph: LineageGraph;
  let input: DocsInput;
  let files: Map<string, string>;
  beforeAll(async () => {
    project = await loadProject({ root: projectRoot });
    graph = buildLineageGraph(project);
    input = {
      title: 'medallion (local)',
      entries: buildCatalog(project.contracts, new Map(), now, graph.datasetEdges),
      graph,
      lakeRoot: '/lakes/none',
      generatedAt: now,
    };
    files = new Map(buildDocsSite(input).map((f: SiteFile) => [f.path, f.content]));
  });

  it('has an index, the lineage graph, and one page per contracted dataset and per seed', () => {
    const expected = [
      ...project.contracts.all().map((c) => c.id),
      ...project.models.seeds.map((s) => s.name),
    ].map(datasetPath);
    expect([...files.keys()].sort()).toEqual(['index.html', 'lineage.html', ...expected].sort());
    expect(siteDatasets(input).map((d) => d.layer)).toEqual(
      expect.arrayContaining(['bronze', 'seeds', 'silver', 'gold']),
    );
  });

  it('links only to its own pages, fetches nothing, and runs only inline scripts', () => {
    for (const [file, html] of files) {
      const base = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
      const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
      expect(hrefs.length, file).toBeGreaterThan(1);
      for (const href of hrefs) {
        const target = new URL(href, `file:///site/${base}`).pathname.replace('/site/', '');
        expect(files.has(target), `${file} links to ${href}`).toBe(true);
      }
      expect(html, file).not.toMatch(/\bsrc=|<link |@import|url\(http|fetch\(/);
    }
  });

  it('embeds a search index covering names, owners, columns and classifications', () => {
    const index = files.get('index.html')!;
    const json = /<script id="search-index" type="application\/json">(.*?)<\/script>/s.exec(
      index,
    )![1]!;
    const entries = JSON.parse(json) as { id: string; path: string; text: string }[];
    expect(entries.map((e) => e.id).sort()).toEqual(
      siteDatasets(input)
        .map((d) => d.id)
        .sort(),
    );
    const customer360 = entries.find((e) => e.id === 'gold.customer_360')!;
    expect(customer360.path).toBe('datasets/gold.customer_360.html');
    expect(customer360.text).toContain('pii');
    expect(customer360.text).toContain('email');
    expect(customer360.text).toContain(project.contracts.get('gold.customer_360').owner);
  });

  it('a dataset page shows schema, owner, contract version, neighbours and column lineage', () => {
    const contract = project.contracts.get('gold.fact_orders');
    const html = files.get(datasetPath('gold.fact_orders'))!;
    expect(html).toContain(`version ${contract.version}`);
    expect(html).toContain(contract.owner);
    for (const p of contract.properties) expect(html).toContain(`<code>${p.name}</code>`);
    // amount_usd is computed from the order's quantity and unit price and the day's USD rate.
    const row = html.split('<tr>').find((r) => r.startsWith('<td><code>amount_usd</code>'))!;
    for (const input of [
      'silver.orders.html">silver.orders</a>.<code>quantity</code>',
      'silver.orders.html">silver.orders</a>.<code>unit_price</code>',
      'silver.fx_rates.html">silver.fx_rates</a>.<code>usd_rate</code>',
    ])
      expect(row).toContain(`<a href="../datasets/${input}`);
    // ... and feeds gold.revenue_daily's revenue.
    expect(row).toContain('gold.revenue_daily</a>.<code>revenue_usd</code>');
    expect(html).toContain('class="node current" data-id="gold.fact_orders"');
    // Without a lake the page says where run figures would be.
    expect(html).toContain('No lake at <code>/lakes/none</code> yet');
  });

  it('with a lake, a page has rows, a DQ trend, freshness against the SLA and the last runs', () => {
    const run = {
      run_id: 'r2',
      job: 'daily',
      run_date: '2026-01-02',
      status: 'SUCCEEDED',
      rows_out: 42,
      updated_at: '2026-01-02T23:00:00.000Z',
    };
    const statuses = new Map([
      [
        'gold.fact_orders',
        {
          dataset: 'gold.fact_orders',
          lastRunId: 'r2',
          updatedAt: '2026-01-02T23:00:00.000Z',
          rowCount: 42,
          dqScore: 97.5,
        },
      ],
    ]);
    const site = buildDocsSite({
      ...input,
      entries: buildCatalog(project.contracts, statuses, now, graph.datasetEdges),
      lake: {
        runs: new Map([['gold.fact_orders', [run]]]),
        scores: new Map([
          [
            'gold.fact_orders',
            [
              { checkedAt: '2026-01-01T23:00:00.000Z', score: 100 },
              { checkedAt: '2026-01-02T23:00:00.000Z', score: 97.5 },
            ],
          ],
        ]),
      },
    });
    const html = site.find((f) => f.path === datasetPath('gold.fact_orders'))!.content;
    expect(html).toContain('<th>Rows</th><td>42</td>');
    expect(html).toContain('97.5 <svg class="sparkline"');
    expect(html).toContain('<span class="badge fresh">fresh</span> 1 h old, SLA 24 h');
    expect(html).toContain('<td><code>r2</code></td><td>daily</td><td>2026-01-02</td>');
    expect(html).not.toContain('No lake at');
  });

  it('the sparkline puts the oldest score left and a lower score lower', () => {
    const svg = sparkline([
      { checkedAt: 'a', score: 100 },
      { checkedAt: 'b', score: 80 },
    ]);
    const [first, second] = /points="([^"]+)"/
      .exec(svg)![1]!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    expect(first![0]).toBeLessThan(second![0]!);
    expect(first![1]).toBeLessThan(second![1]!);
  });

  it('lays the platform graph out by layer, without overlaps, every node as wide as its label', () => {
    const { nodes, edges } = platformGraph(graph, siteDatasets(input), (d) => d.path);
    const layout = layoutGraph(nodes, edges);
    expect(overlaps(layout)).toEqual([]);
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    for (const n of layout.nodes) {
      expect(n.width, n.id).toBeGreaterThanOrEqual(labelWidth(n.label));
      expect(n.x + n.width).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.height).toBeLessThanOrEqual(layout.height);
    }
    // Data flows left to right, and layers keep their order.
    for (const e of layout.edges)
      expect(at.get(e.to)!.x, `${e.from} → ${e.to}`).toBeGreaterThan(at.get(e.from)!.x);
    const columnOf = (layer: string) =>
      layout.nodes.filter((n) => n.layer === layer).map((n) => n.column);
    expect(Math.max(...columnOf('bronze'))).toBeLessThan(Math.min(...columnOf('silver')));
    expect(Math.max(...columnOf('silver'))).toBeLessThan(Math.min(...columnOf('gold')));
    expect(Math.max(...columnOf('source'))).toBeLessThan(Math.min(...columnOf('bronze')));
    // Every node with a page links to it.
    expect(layout.nodes.filter((n) => n.layer !== 'source').every((n) => n.href)).toBe(true);
  });

  it('orders nodes within columns to remove crossings a naive order has', () => {
    // Alphabetical order crosses both edges; the barycenter order crosses none.
    const layout = layoutGraph(
      [
        { id: 'a', label: 'a', layer: 'source' },
        { id: 'b', label: 'b', layer: 'source' },
        { id: 'x', label: 'x', layer: 'bronze' },
        { id: 'y', label: 'y', layer: 'bronze' },
        { id: 'z', label: 'z', layer: 'bronze' },
      ],
      [
        { from: 'a', to: 'z' },
        { from: 'b', to: 'x' },
      ],
    );
    expect(crossings(layout)).toBe(0);
    expect(overlaps(layout)).toEqual([]);
  });

  it('gives a dataset built from one of its own layer a column further right', () => {
    const layout = layoutGraph(
      [
        { id: 'silver.a', label: 'silver.a', layer: 'silver' },
        { id: 'silver.b', label: 'silver.b', layer: 'silver' },
        { id: 'gold.c', label: 'gold.c', layer: 'gold' },
      ],
      [
        { from: 'silver.a', to: 'silver.b' },
        { from: 'silver.b', to: 'gold.c' },
      ],
    );
    expect(layout.nodes.map((n) => n.column)).toEqual([0, 1, 2]);
  });

  it('lineage --format html draws the answer with the same graph, root included', () => {
    const answer = graph.upstream('gold.fact_orders.amount_usd');
    const html = lineageAnswerPage(answer, 'gold', now);
    expect(html).toContain('data-id="gold.fact_orders.amount_usd"');
    for (const n of answer.nodes)
      expect(html).toContain(`data-id="${n.column ? `${n.dataset}.${n.column}` : n.dataset}"`);
    expect(html).toContain('data-zoom="fit"');
    expect(html).not.toContain('…');
  });
});
