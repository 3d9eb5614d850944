import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { chromiumPath, HeadlessChromium } from '../helpers/chromium';
import { medallion } from '../helpers/cli';

/** A bounding client rect, as JSON. */
type Box = Record<'left' | 'top' | 'right' | 'bottom' | 'width' | 'height', number>;

/** Where screenshots are kept for people to look at (ignored by git). */
const artifacts = path.join(projectRoot, 'test-results');

describe('medallion docs', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'medallion-docs-'));
  const lake = path.join(work, 'lake');
  const site = path.join(work, 'site');
  /** Datasets with a page, as `docs build` reports them. */
  let datasets = 0;
  beforeAll(() => {
    expect(medallion('--lake', lake, 'generate', '--scale', '300', '--days', '2').code).toBe(0);
    for (const date of ['2026-01-01', '2026-01-02']) {
      const run = medallion('--lake', lake, 'run', '--job', 'daily', '--date', date);
      expect(run.code, run.stderr).toBe(0);
    }
    const built = medallion('--lake', lake, 'docs', 'build', '--out', site);
    expect(built.code, built.stderr).toBe(0);
    const wrote =
      /Wrote (\d+) pages \((\d+) datasets, the index and the lineage graph\) to (.*)\n/.exec(
        built.stderr,
      );
    expect(wrote?.[3]).toBe(site);
    datasets = Number(wrote![2]);
    expect(Number(wrote![1])).toBe(datasets + 2);
    // A page per contracted dataset at least (external sources and seeds have theirs too).
    expect(datasets).toBe(readdirSync(path.join(site, 'datasets')).length);
    expect(datasets).toBeGreaterThanOrEqual(
      readdirSync(path.join(projectRoot, 'config/contracts')).length,
    );
    expect(built.stderr).toContain(pathToFileURL(path.join(site, 'index.html')).href);
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('builds pages with the runs, DQ trend and freshness the lake recorded', () => {
    const page = readFileSync(path.join(site, 'datasets/gold.fact_orders.html'), 'utf8');
    expect(page).toContain('<svg class="sparkline"');
    expect(page).toContain('<span class="badge fresh">fresh</span>');
    expect(page.match(/<td>daily<\/td><td>2026-01-0[12]<\/td>/g)).toHaveLength(2);
    expect(page).not.toContain('No lake at');
  });

  it('without a lake, builds from the definitions and says where run figures would be', () => {
    const out = path.join(work, 'bare-site');
    const bare = medallion('--lake', path.join(work, 'no-lake'), 'docs', 'build', '--out', out);
    expect(bare.code, bare.stderr).toBe(0);
    expect(bare.stderr).toContain('the site shows the definitions only');
    const page = readFileSync(path.join(out, 'datasets/silver.orders.html'), 'utf8');
    expect(page).toContain(`No lake at <code>${path.join(work, 'no-lake')}</code> yet`);
    expect(existsSync(path.join(work, 'no-lake', 'lakehouse.duckdb'))).toBe(false);
  });

  it('serve serves the site on localhost, only files inside it, and stops on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'bin/medallion.ts',
        'docs',
        'serve',
        '--no-build',
        '--out',
        site,
        '--port',
        '0',
      ],
      { cwd: projectRoot, env: { ...process.env, NO_COLOR: '1' } },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (found) resolve(found[0]);
      });
      child.on('exit', () => reject(new Error(`exited before serving: ${out}`)));
    });
    const index = await fetch(url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('id="search-index"');
    const page = await fetch(`${url}datasets/gold.fact_orders.html`);
    expect(page.status).toBe(200);
    expect((await fetch(`${url}nope.html`)).status).toBe(404);
    expect((await fetch(`${url}..%2Fsecret`)).status).toBe(403);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  describe.skipIf(!chromiumPath)('in headless Chromium, from file://', () => {
    let browser: HeadlessChromium;
    beforeAll(async () => {
      browser = await HeadlessChromium.launch(1280, 900);
      mkdirSync(artifacts, { recursive: true });
    });
    afterAll(() => browser.close());
    const url = (file: string) => pathToFileURL(path.join(site, file)).href;
    const shoot = async (name: string) => {
      const png = await browser.screenshot();
      writeFileSync(path.join(artifacts, name), png);
      // A blank page compresses to a few kilobytes; a graph or a dataset page does not.
      expect(png.length).toBeGreaterThan(40_000);
    };

    it('the index search filters datasets as you type', async () => {
      await browser.open(url('index.html'));
      const visible = () =>
        browser.evaluate<string[]>(
          `[...document.querySelectorAll('#datasets tbody tr')].filter((r) => !r.hidden).map((r) => r.dataset.id)`,
        );
      expect(await visible()).toHaveLength(datasets);
      const type = (text: string) =>
        browser.evaluate(
          `(() => { const i = document.getElementById('search'); i.value = ${JSON.stringify(text)}; i.dispatchEvent(new Event('input')); })()`,
        );
      await type('pii email');
      const pii = await visible();
      expect(pii).toEqual(expect.arrayContaining(['gold.customer_360', 'snowflake.customers']));
      expect(pii).not.toContain('gold.dim_date');
      expect(await browser.evaluate('document.getElementById("count").textContent')).toBe(
        `${pii.length} of ${datasets}`,
      );
      await type('fact_orders');
      expect(await visible()).toEqual(['gold.fact_orders']);
    });

    it('the graph fits the window, every label inside its node; buttons zoom and drag pans', async () => {
      await browser.open(url('lineage.html'));
      const geometry = () =>
        browser.evaluate<{
          window: { width: number; height: number };
          svg: Box;
          content: Box;
          viewBox: string;
          cut: string[];
          nodes: number;
        }>(`(() => {
          const svg = document.querySelector('svg.graph');
          const nodes = [...svg.querySelectorAll('g.node')];
          const cut = nodes.filter((g) => {
            const box = g.querySelector('rect').getBoundingClientRect();
            const text = g.querySelector('text').getBoundingClientRect();
            return text.left < box.left || text.right > box.right || text.top < box.top || text.bottom > box.bottom;
          }).map((g) => g.dataset.id);
          return { window: { width: innerWidth, height: innerHeight }, svg: svg.getBoundingClientRect().toJSON(),
            content: svg.querySelector('g.content').getBoundingClientRect().toJSON(),
            viewBox: svg.getAttribute('viewBox'), cut, nodes: nodes.length };
        })()`);
      const fitted = await geometry();
      expect(fitted.nodes).toBeGreaterThan(datasets);
      expect(fitted.cut).toEqual([]);
      expect(fitted.svg.right).toBeLessThanOrEqual(fitted.window.width);
      expect(fitted.svg.bottom).toBeLessThanOrEqual(fitted.window.height);
      for (const side of ['left', 'top'] as const)
        expect(fitted.content[side]).toBeGreaterThanOrEqual(fitted.svg[side]);
      for (const side of ['right', 'bottom'] as const)
        expect(fitted.content[side]).toBeLessThanOrEqual(fitted.svg[side]);
      await shoot('docs-lineage-graph.png');

      await browser.evaluate(`document.querySelector('[data-zoom="in"]').click()`);
      const zoomed = await geometry();
      expect(zoomed.content.width).toBeGreaterThan(fitted.content.width * 1.2);
      expect(zoomed.cut).toEqual([]);
      // A drag on empty space pans without opening anything.
      const [x, y] = [fitted.svg.left + 8, fitted.svg.top + 8];
      await browser.mouse('mousePressed', x, y);
      await browser.mouse('mouseMoved', x + 60, y + 30);
      await browser.mouse('mouseReleased', x + 60, y + 30);
      const panned = await geometry();
      expect(panned.content.left).toBeCloseTo(zoomed.content.left + 60, 0);
      expect(await browser.evaluate('location.pathname')).toMatch(/lineage\.html$/);
      await browser.evaluate(`document.querySelector('[data-zoom="fit"]').click()`);
      expect((await geometry()).viewBox).toBe(fitted.viewBox);
    });

    it('a click on a node opens its dataset page', async () => {
      await browser.open(url('lineage.html'));
      const at = await browser.evaluate<{ x: number; y: number }>(`(() => {
        const box = document.querySelector('g.node[data-id="gold.fact_orders"] rect').getBoundingClientRect();
        return { x: box.left + box.width / 2, y: box.top + box.height / 2 };
      })()`);
      const loaded = browser.next('Page.loadEventFired');
      await browser.click(at.x, at.y);
      await loaded;
      expect(await browser.evaluate('location.href')).toBe(url('datasets/gold.fact_orders.html'));
      expect(await browser.evaluate('document.querySelector("h1").textContent')).toBe(
        'gold.fact_orders',
      );
      await shoot('docs-dataset-page.png');
    });

    it('nothing the pages asked for left file://', () => {
      expect(browser.requests.length).toBeGreaterThan(2);
      expect(browser.requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    });
  });
});
