import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { chromiumOffline, chromiumPath } from '../helpers/chromium';
import { medallion } from '../helpers/cli';

/** Where the screenshot is kept for people to look at (ignored by git). */
const artifacts = path.join(projectRoot, 'test-results');

describe.skipIf(!chromiumPath)('the cost report in headless Chromium', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'medallion-cost-chromium-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('renders offline, charts included, and leaves a screenshot', () => {
    const html = path.join(work, 'cost.html');
    const run = medallion('cost', 'report', '--from', 'fixtures/cost', '--output', html);
    expect(run.code, run.stderr).toBe(0);

    const dom = chromiumOffline('--dump-dom', `file://${html}`);
    expect(dom.status, dom.stderr).toBe(0);
    expect(dom.stdout.match(/<svg /g)).toHaveLength(4);
    expect(dom.stdout).toContain('forecast for the month');

    mkdirSync(artifacts, { recursive: true });
    const png = path.join(artifacts, 'cost-report.png');
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
