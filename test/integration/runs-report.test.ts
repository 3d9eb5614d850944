import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import type { RunsReport } from '../../lambdas/core/runs-report';
import { chromiumOffline, chromiumPath } from '../helpers/chromium';
import { medallion } from '../helpers/cli';

/** Where the screenshot is kept for people to look at (ignored by git). */
const artifacts = path.join(projectRoot, 'test-results');

const work = mkdtempSync(path.join(os.tmpdir(), 'medallion-runs-chromium-'));
const lake = path.join(work, 'lake');
beforeAll(() => {
  const pipeline = medallion('--lake', lake, 'pipeline', '--scale', '300', '--days', '2');
  expect(pipeline.code, pipeline.stderr).toBe(0);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('report runs reads the run history', () => {
  it('has the runs `status` lists, with the same rows written and quarantined', () => {
    const report = medallion('--lake', lake, 'report', 'runs', '--format', 'json');
    expect(report.code, report.stderr).toBe(0);
    const { runs, freshness, datasets } = JSON.parse(report.stdout) as RunsReport;
    const status = JSON.parse(medallion('--lake', lake, 'status', '--format', 'json').stdout) as {
      run_id: string;
      rows_written: number;
      quarantined: number;
    }[];
    expect(runs.map((r) => r.runId)).toEqual(status.map((s) => s.run_id));
    expect(
      runs.map((r) => [
        r.rowsWritten.bronze + r.rowsWritten.silver + r.rowsWritten.gold,
        r.quarantined,
      ]),
    ).toEqual(status.map((s) => [Number(s.rows_written), Number(s.quarantined)]));
    expect(freshness.map((f) => f.dataset)).toContain('gold.fact_orders');
    expect(datasets.find((d) => d.dataset === 'silver.orders')?.latestScore).toBeGreaterThan(0);

    const csv = medallion('--lake', lake, 'report', 'runs', '--format', 'csv', '--limit', '1');
    expect(csv.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(csv.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${runs[0]!.runId},daily,2026-01-02,succeeded,`),
    );
  });
});

describe.skipIf(!chromiumPath)('the runs report in headless Chromium', () => {
  it('renders the two runs offline, charts included, and leaves a screenshot', () => {
    const html = path.join(work, 'runs.html');
    const report = medallion('--lake', lake, 'report', 'runs', '--output', html);
    expect(report.code, report.stderr).toBe(0);

    const dom = chromiumOffline('--dump-dom', `file://${html}`);
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stdout.match(/<svg /g)).toHaveLength(5);
    expect(dom.stdout).toContain('aria-label="Hours since each gold table was last published"');
    // Both daily runs, as rows of the table and as columns of the duration chart.
    expect(dom.stdout.match(/<td><code>daily<\/code><\/td><td>2026-01-0[12]<\/td>/g)).toHaveLength(
      2,
    );
    expect(dom.stdout).toMatch(/<title>2026-01-01 daily \(succeeded\) daily: [\d.]+s<\/title>/);
    expect(dom.stdout).toMatch(/<title>2026-01-02 daily \(succeeded\) daily: [\d.]+s<\/title>/);
    expect(dom.stdout).toContain('gold.fact_orders');

    mkdirSync(artifacts, { recursive: true });
    const png = path.join(artifacts, 'runs-report.png');
    rmSync(png, { force: true });
    const shot = chromiumOffline(
      `--screenshot=${png}`,
      '--window-size=1280,3000',
      `file://${html}`,
    );
    expect(shot.status, shot.stderr).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    // A blank page compresses to a few kilobytes; charts and tables do not.
    expect(statSync(png).size).toBeGreaterThan(50_000);
  });
});
