/**
 * A laid-out graph as inline SVG, and the few lines of script that pan (drag), zoom (wheel and
 * buttons) and fit it to the window by moving its viewBox. Nodes with a page are links, so a
 * click opens the dataset; a drag does not count as a click.
 */
import { escapeHtml as esc } from '../html';
import { labelFontSize, type GraphLayout } from './layout';

export const layerFills: Record<string, string> = {
  root: '#ddf4ff',
  source: '#f6f8fa',
  bronze: '#f3e1cf',
  seeds: '#e8f5e9',
  silver: '#e6e8eb',
  gold: '#fbefc5',
};

export const graphCss = `
.graph { display: block; box-sizing: border-box; width: 100%; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; touch-action: none; }
body.graph-page { box-sizing: border-box; height: 100vh; margin-top: 0; margin-bottom: 0; display: flex; flex-direction: column; }
.graph.interactive { flex: 1 1 0; min-height: 12rem; cursor: grab; }
.graph.interactive.dragging { cursor: grabbing; }
.graph text { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: ${labelFontSize}px; }
.graph a .node rect { stroke-width: 1.5; } .graph a:hover .node rect { stroke: #0969da; stroke-width: 2.5; }
.graph .current rect { stroke: #0969da; stroke-width: 2.5; }
.graph-tools button { font: inherit; min-width: 2.2rem; margin-right: .25rem; }
.legend span { display: inline-block; padding: 0 .5rem; margin-right: .4rem; border: 1px solid #8c959f; border-radius: .25rem; }`;

export function graphSvg(
  layout: GraphLayout,
  options: { readonly interactive: boolean; readonly current?: string; readonly label: string },
): string {
  const edges = layout.edges
    .map(
      (e) =>
        `<path d="${e.path}" fill="none" stroke="#57606a" stroke-width="1.2"${e.indirect ? ' stroke-dasharray="4 3"' : ''} marker-end="url(#arrow)">${e.title ? `<title>${esc(e.title)}</title>` : ''}</path>`,
    )
    .join('\n');
  const nodes = layout.nodes
    .map((n) => {
      const box = `<g class="node${n.id === options.current ? ' current' : ''}" data-id="${esc(n.id)}"><title>${esc(n.title ?? n.id)}</title><rect x="${n.x}" y="${n.y}" width="${n.width}" height="${n.height}" rx="5" fill="${layerFills[n.layer] ?? '#fff'}" stroke="#8c959f"/><text x="${n.x + n.width / 2}" y="${n.y + n.height / 2}" text-anchor="middle" dominant-baseline="central">${esc(n.label)}</text></g>`;
      return n.href ? `<a href="${esc(n.href)}">${box}</a>` : box;
    })
    .join('\n');
  const size = options.interactive
    ? ''
    : ` width="${layout.width}" height="${layout.height}" style="max-width:${layout.width}px"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="graph${options.interactive ? ' interactive' : ''}"${size} viewBox="0 0 ${layout.width} ${layout.height}" data-width="${layout.width}" data-height="${layout.height}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${esc(options.label)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>
<g class="content">
${edges}
${nodes}
</g>
</svg>`;
}

export function graphTools(hint: string): string {
  return `<p class="graph-tools"><button type="button" data-zoom="in" title="Zoom in">+</button><button type="button" data-zoom="out" title="Zoom out">−</button><button type="button" data-zoom="fit" title="Fit to window">Fit</button> <span class="muted">${esc(hint)}</span></p>`;
}

export function graphLegend(layers: readonly string[]): string {
  return `<p class="legend">${layers
    .map((layer) => `<span style="background:${layerFills[layer] ?? '#fff'}">${esc(layer)}</span>`)
    .join('')}</p>`;
}

/** Pan, zoom and fit for the interactive graph: nothing but the viewBox changes. */
export const graphScript = `<script>
(() => {
  const svg = document.querySelector('svg.graph.interactive');
  if (!svg) return;
  const content = { w: Number(svg.dataset.width), h: Number(svg.dataset.height) };
  let box;
  const apply = () => svg.setAttribute('viewBox', box.x + ' ' + box.y + ' ' + box.w + ' ' + box.h);
  const fit = () => { box = { x: 0, y: 0, w: content.w, h: content.h }; apply(); };
  const zoom = (factor, cx, cy) => {
    box = { x: cx - (cx - box.x) * factor, y: cy - (cy - box.y) * factor, w: box.w * factor, h: box.h * factor };
    apply();
  };
  const toGraph = (clientX, clientY) => new DOMPoint(clientX, clientY).matrixTransform(svg.getScreenCTM().inverse());
  svg.addEventListener('wheel', (event) => {
    event.preventDefault();
    const at = toGraph(event.clientX, event.clientY);
    zoom(event.deltaY > 0 ? 1.2 : 1 / 1.2, at.x, at.y);
  }, { passive: false });
  let drag = null;
  let dragged = false;
  svg.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, y: event.clientY, box: { ...box }, scale: svg.getScreenCTM().a };
    dragged = false;
  });
  window.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
    dragged = true;
    svg.classList.add('dragging');
    box = { ...drag.box, x: drag.box.x - dx / drag.scale, y: drag.box.y - dy / drag.scale };
    apply();
  });
  window.addEventListener('pointerup', () => { drag = null; svg.classList.remove('dragging'); });
  svg.addEventListener('click', (event) => { if (dragged) { event.preventDefault(); dragged = false; } }, true);
  document.querySelectorAll('[data-zoom]').forEach((button) => button.addEventListener('click', () => {
    const how = button.getAttribute('data-zoom');
    if (how === 'fit') return fit();
    zoom(how === 'in' ? 1 / 1.25 : 1.25, box.x + box.w / 2, box.y + box.h / 2);
  }));
  fit();
})();
</script>`;
