/**
 * A lineage answer as one self-contained HTML page: the graph laid out in columns by distance
 * from the dataset asked about, drawn in inline SVG (no script, nothing fetched).
 */
import type { LineageAnswer } from '../../core/lineage/graph';
import { escapeHtml as esc } from '../../core/html';

const boxWidth = 260;
const boxHeight = 26;
const columnGap = 90;
const rowGap = 12;
const fills: Record<string, string> = {
  root: '#ddf4ff',
  source: '#f6f8fa',
  bronze: '#f3e1cf',
  silver: '#e6e8eb',
  gold: '#fbefc5',
  seeds: '#e8f5e9',
};

export function renderLineageHtml(answer: LineageAnswer, generatedAt: Date): string {
  const rootName = answer.root.column
    ? `${answer.root.dataset}.${answer.root.column}`
    : answer.root.dataset;
  const maxDepth = Math.max(0, ...answer.nodes.map((n) => n.depth));
  const layers = new Map<number, { name: string; layer: string }[]>([
    [0, [{ name: rootName, layer: 'root' }]],
  ]);
  for (const n of answer.nodes) {
    const list = layers.get(n.depth) ?? [];
    list.push({ name: n.column ? `${n.dataset}.${n.column}` : n.dataset, layer: n.layer });
    layers.set(n.depth, list);
  }
  // Data flows left to right: upstream answers put the root last, downstream ones first.
  const column = (depth: number) => (answer.direction === 'upstream' ? maxDepth - depth : depth);
  const position = new Map<string, { x: number; y: number }>();
  let tallest = 1;
  for (const [depth, list] of layers) {
    tallest = Math.max(tallest, list.length);
    list.forEach((node, i) =>
      position.set(node.name, {
        x: 20 + column(depth) * (boxWidth + columnGap),
        y: 20 + i * (boxHeight + rowGap),
      }),
    );
  }
  const width = 40 + (maxDepth + 1) * boxWidth + maxDepth * columnGap;
  const height = 40 + tallest * (boxHeight + rowGap);
  const edges = answer.edges
    .map((e) => {
      const from = position.get(e.from);
      const to = position.get(e.to);
      if (!from || !to) return '';
      const [x1, y1, x2, y2] = [
        from.x + boxWidth,
        from.y + boxHeight / 2,
        to.x,
        to.y + boxHeight / 2,
      ];
      const mid = (x1 + x2) / 2;
      const kinds = [
        ...new Set((e.transformations ?? []).map((t) => t.subtype.toLowerCase())),
      ].join(', ');
      const indirect =
        (e.transformations ?? []).every((t) => t.type === 'INDIRECT') && kinds !== '';
      return `<path d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" fill="none" stroke="#57606a" stroke-width="1.2"${indirect ? ' stroke-dasharray="4 3"' : ''} marker-end="url(#arrow)"><title>${esc(`${e.from} → ${e.to}${kinds ? ` (${kinds})` : ''}`)}</title></path>`;
    })
    .join('\n');
  const boxes = [...layers.values()]
    .flat()
    .map((node) => {
      const p = position.get(node.name)!;
      const text = node.name.length > 38 ? `${node.name.slice(0, 36)}…` : node.name;
      return `<g><title>${esc(node.name)} (${esc(node.layer)})</title><rect x="${p.x}" y="${p.y}" width="${boxWidth}" height="${boxHeight}" rx="5" fill="${fills[node.layer] ?? '#fff'}" stroke="#8c959f"/><text x="${p.x + 8}" y="${p.y + 17}" font-size="12">${esc(text)}</text></g>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lineage · ${esc(rootName)} (${answer.direction})</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 2rem; color: #1f2328; }
  h1 { font-size: 1.4rem; margin-bottom: .25rem; } .muted { color: #656d76; } svg text { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
  .legend span { display: inline-block; padding: 0 .5rem; margin-right: .5rem; border: 1px solid #8c959f; border-radius: .25rem; }
</style>
</head>
<body>
<h1>${esc(rootName)}: ${answer.direction}</h1>
<p class="muted">${answer.nodes.length} node(s), ${answer.edges.length} edge(s) · dashed: indirect (join, filter, grouping) · generated ${esc(generatedAt.toISOString())}</p>
<p class="legend">${Object.entries(fills)
    .map(([layer, fill]) => `<span style="background:${fill}">${layer}</span>`)
    .join('')}</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="lineage graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>
${edges}
${boxes}
</svg>
</body>
</html>
`;
}
