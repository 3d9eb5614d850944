/**
 * A layered layout of a lineage graph for SVG: data flows left to right in columns (sources,
 * then bronze and seeds, silver, gold; a dataset built from another of its own layer goes one
 * column further right), nodes within a column ordered by the barycenter heuristic to reduce
 * edge crossings, and every node as wide as its label so no label is cut.
 */
import type { Layer } from '../lineage/graph';

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly layer: Layer | 'root';
  /** Where a click on the node goes, relative to the page; none for nodes without a page. */
  readonly href?: string;
  /** Tooltip text. */
  readonly title?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** Drawn dashed: the input decides which rows exist rather than a value (join, filter...). */
  readonly indirect?: boolean;
  readonly title?: string;
}

export interface PlacedNode extends GraphNode {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly column: number;
}

export interface PlacedEdge extends GraphEdge {
  /** An SVG path from the right side of `from` to the left side of `to`. */
  readonly path: string;
}

export interface GraphLayout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly PlacedEdge[];
  readonly width: number;
  readonly height: number;
}

/**
 * Labels are drawn in a 12 px monospace font; 0.62 em per character is wider than the common
 * monospace faces (DejaVu Sans Mono, Menlo, Consolas: 0.60 em), so a label always fits its box.
 */
export const labelFontSize = 12;
const charWidth = labelFontSize * 0.62;
const padding = 12;
const nodeHeight = 28;
const rowGap = 14;
const columnGap = 90;
const margin = 20;

/** Left-to-right bands: a layer never sits left of a layer it is built from. */
export const band: Record<GraphNode['layer'], number> = {
  source: 0,
  bronze: 1,
  seeds: 1,
  root: 2,
  silver: 2,
  gold: 3,
};

export function labelWidth(label: string): number {
  return Math.ceil([...label].length * charWidth + 2 * padding);
}

export function layoutGraph(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  /** Bands by layer; a lineage answer puts its root in its own dataset's band. */
  bandOf: (node: GraphNode) => number = (node) => band[node.layer],
): GraphLayout {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const kept = edges.filter((e) => byId.has(e.from) && byId.has(e.to) && e.from !== e.to);
  const preds = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of kept) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }

  // Columns: each band starts right of the previous one; within a band, one column per hop.
  const column = new Map<string, number>();
  const bands = [...new Set(nodes.map(bandOf))].sort((a, b) => a - b);
  let start = 0;
  for (const b of bands) {
    const inBand = nodes.filter((n) => bandOf(n) === b);
    const depth = new Map<string, number>();
    const visiting = new Set<string>();
    const depthOf = (id: string): number => {
      const known = depth.get(id);
      if (known !== undefined) return known;
      if (visiting.has(id)) return 0; // a cycle: break it here
      visiting.add(id);
      const d = Math.max(
        0,
        ...preds
          .get(id)!
          .filter((p) => bandOf(byId.get(p)!) === b)
          .map((p) => depthOf(p) + 1),
      );
      visiting.delete(id);
      depth.set(id, d);
      return d;
    };
    for (const n of inBand) column.set(n.id, start + depthOf(n.id));
    start = Math.max(...inBand.map((n) => column.get(n.id)!)) + 1;
  }

  // Order within columns: alternate sweeps placing each node at the mean position of its
  // neighbours in the column before (forward) or after (backward).
  const columns: string[][] = Array.from({ length: start }, () => []);
  for (const n of [...nodes].sort((a, b) => a.id.localeCompare(b.id)))
    columns[column.get(n.id)!]!.push(n.id);
  const rank = new Map<string, number>();
  const rerank = () =>
    columns.forEach((ids) => ids.forEach((id, i) => rank.set(id, (i + 0.5) / ids.length)));
  rerank();
  for (let sweep = 0; sweep < 8; sweep++) {
    const forward = sweep % 2 === 0;
    const order = forward ? columns : [...columns].reverse();
    for (const ids of order) {
      const centre = new Map(
        ids.map((id) => {
          const near = (forward ? preds : succs).get(id)!;
          return [
            id,
            near.length === 0
              ? rank.get(id)!
              : near.reduce((sum, n) => sum + rank.get(n)!, 0) / near.length,
          ] as const;
        }),
      );
      ids.sort((a, b) => centre.get(a)! - centre.get(b)! || rank.get(a)! - rank.get(b)!);
      ids.forEach((id, i) => rank.set(id, (i + 0.5) / ids.length));
    }
  }

  const widths = columns.map((ids) =>
    Math.max(0, ...ids.map((id) => labelWidth(byId.get(id)!.label))),
  );
  const tallest = Math.max(0, ...columns.map((ids) => ids.length));
  const height = 2 * margin + tallest * nodeHeight + Math.max(0, tallest - 1) * rowGap;
  const placed = new Map<string, PlacedNode>();
  let x = margin;
  columns.forEach((ids, c) => {
    const used = ids.length * nodeHeight + Math.max(0, ids.length - 1) * rowGap;
    const top = margin + (height - 2 * margin - used) / 2;
    ids.forEach((id, i) => {
      const node = byId.get(id)!;
      placed.set(id, {
        ...node,
        x,
        y: top + i * (nodeHeight + rowGap),
        width: labelWidth(node.label),
        height: nodeHeight,
        column: c,
      });
    });
    x += widths[c]! + columnGap;
  });
  const width = Math.max(2 * margin, x - columnGap + margin);

  const placedEdges = kept.map((e) => {
    const from = placed.get(e.from)!;
    const to = placed.get(e.to)!;
    const [x1, y1, x2, y2] = [
      from.x + from.width,
      from.y + nodeHeight / 2,
      to.x,
      to.y + nodeHeight / 2,
    ];
    const bend = Math.max(30, (x2 - x1) / 2);
    return { ...e, path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` };
  });
  return {
    nodes: nodes.map((n) => placed.get(n.id)!),
    edges: placedEdges,
    width,
    height,
  };
}
