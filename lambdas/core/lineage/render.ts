/**
 * Lineage answers as text (an indented list by distance), Mermaid (a flowchart to paste into
 * Markdown) and JSON; the HTML page is in the runtime's reports.
 */
import type { LineageAnswer } from './graph';

export function lineageText(answer: LineageAnswer): string {
  const root = answer.root.column
    ? `${answer.root.dataset}.${answer.root.column}`
    : answer.root.dataset;
  if (answer.nodes.length === 0) return `${root}: nothing ${answer.direction}\n`;
  const lines = [`${root} (${answer.direction})`];
  for (const n of answer.nodes) {
    const name = n.column ? `${n.dataset}.${n.column}` : n.dataset;
    const tags = [
      n.layer,
      n.owner && `owner ${n.owner}`,
      n.classification && `classification ${n.classification}`,
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(`${'  '.repeat(n.depth)}${name}  (${tags})`);
  }
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
