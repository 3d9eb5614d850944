/**
 * A lineage answer (`medallion lineage upstream|downstream --format html`) as one self-contained
 * page, drawn with the docs site's graph: laid out by layer, labels never cut, pan and zoom.
 */
import { escapeHtml as esc } from '../html';
import type { Layer, LineageAnswer } from '../lineage/graph';
import { graphCss, graphLegend, graphScript, graphSvg, graphTools } from './graph-svg';
import { band, layoutGraph, type GraphNode } from './layout';

export function lineageAnswerPage(
  answer: LineageAnswer,
  /** The root dataset's layer, which decides its column. */
  rootLayer: Layer,
  generatedAt: Date,
): string {
  const name = (dataset: string, column?: string) => (column ? `${dataset}.${column}` : dataset);
  const rootName = name(answer.root.dataset, answer.root.column);
  const nodes: GraphNode[] = [
    { id: rootName, label: rootName, layer: 'root', title: `${rootName} (${rootLayer})` },
    ...answer.nodes.map((n) => {
      const id = name(n.dataset, n.column);
      return {
        id,
        label: id,
        layer: n.layer,
        title: `${id} (${n.layer})${n.owner ? `, owner ${n.owner}` : ''}${n.classification ? `, ${n.classification}` : ''}`,
      };
    }),
  ];
  const edges = answer.edges.map((e) => {
    const kinds = [...new Set((e.transformations ?? []).map((t) => t.subtype.toLowerCase()))];
    return {
      from: e.from,
      to: e.to,
      indirect: kinds.length > 0 && (e.transformations ?? []).every((t) => t.type === 'INDIRECT'),
      title: `${e.from} → ${e.to}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}`,
    };
  });
  const layout = layoutGraph(nodes, edges, (n) =>
    n.layer === 'root' ? band[rootLayer] : band[n.layer],
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Lineage · ${esc(rootName)} (${answer.direction})</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 1rem 2rem; color: #1f2328; }
h1 { font-size: 1.4rem; margin-bottom: .25rem; } .muted { color: #656d76; }
${graphCss}
</style>
</head>
<body class="graph-page">
<h1>${esc(rootName)}: ${answer.direction}</h1>
<p class="muted">${answer.nodes.length} node(s), ${answer.edges.length} edge(s) · dashed: indirect (join, filter, grouping) · generated ${esc(generatedAt.toISOString())} · <code>medallion docs build</code> draws every dataset</p>
${graphLegend(['root', 'source', 'bronze', 'seeds', 'silver', 'gold'])}
${graphTools('drag to pan, wheel or buttons to zoom')}
${graphSvg(layout, { interactive: true, label: `lineage of ${rootName}` })}
${graphScript}
</body>
</html>
`;
}
