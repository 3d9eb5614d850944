/**
 * Lineage answers as text (a tree, each node under its parent), Mermaid (a flowchart to paste into
 * Markdown) and JSON; the HTML page is in the runtime's reports.
 */
import type { LineageAnswer } from './graph';

/**
 * A tree: each node under the node it feeds (upstream) or is fed by (downstream), so a reader
 * sees the path. Lineage is a DAG, not a tree: a node reached again is shown once, in full, and
 * elsewhere as a back-reference, so shared inputs neither repeat their subtree nor go missing.
 */
export function lineageText(answer: LineageAnswer): string {
  const root = answer.root.column
    ? `${answer.root.dataset}.${answer.root.column}`
    : answer.root.dataset;
  if (answer.nodes.length === 0) return `${root}: nothing ${answer.direction}\n`;
  const up = answer.direction === 'upstream';
  const children = new Map<string, string[]>();
  for (const e of answer.edges) {
    const [parent, child] = up ? [e.to, e.from] : [e.from, e.to];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const tags = new Map(
    answer.nodes.map((n) => [
      n.column ? `${n.dataset}.${n.column}` : n.dataset,
      [
        n.layer,
        n.owner && `owner ${n.owner}`,
        n.classification && `classification ${n.classification}`,
      ]
        .filter(Boolean)
        .join(', '),
    ]),
  );
  const lines = [`${root} (${answer.direction})`];
  const shown = new Set([root]);
  const visit = (name: string, indent: string) => {
    const below = children.get(name) ?? [];
    below.forEach((child, i) => {
      const last = i === below.length - 1;
      const branch = `${indent}${last ? '└─ ' : '├─ '}`;
      if (shown.has(child)) {
        lines.push(`${branch}${child}  (↑ shown above)`);
        return;
      }
      shown.add(child);
      lines.push(`${branch}${child}  (${tags.get(child) ?? ''})`);
      visit(child, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  visit(root, '');
  return `${lines.join('\n')}\n`;
}

export function lineageMermaid(answer: LineageAnswer): string {
  const ids = new Map<string, string>();
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, `n${ids.size}`);
    return ids.get(name)!;
  };
  const label = (name: string) => name.replaceAll('"', "'");
  const root = answer.root.column
    ? `${answer.root.dataset}.${answer.root.column}`
    : answer.root.dataset;
  const lines = ['flowchart LR', `  ${id(root)}["${label(root)}"]:::root`];
  for (const n of answer.nodes) {
    const name = n.column ? `${n.dataset}.${n.column}` : n.dataset;
    lines.push(`  ${id(name)}["${label(name)}"]:::${n.layer}`);
  }
  for (const e of answer.edges) {
    const kinds = [...new Set((e.transformations ?? []).map((t) => t.subtype.toLowerCase()))].join(
      ', ',
    );
    lines.push(`  ${id(e.from)} -->${kinds ? `|${kinds}|` : ''} ${id(e.to)}`);
  }
  lines.push(
    '  classDef root stroke-width:3px',
    '  classDef source fill:#f6f8fa',
    '  classDef bronze fill:#f3e1cf',
    '  classDef silver fill:#e6e8eb',
    '  classDef gold fill:#fbefc5',
    '  classDef seeds fill:#e8f5e9',
  );
  return `${lines.join('\n')}\n`;
}
