import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CostReport } from '../../lambdas/core/cost/report';
import { medallion } from '../helpers/cli';

/** `fixtures/cost/`: five weeks of prod recorded in pages, an Athena anomaly, a failed run. */
describe('medallion cost report on the sample recording', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'medallion-cost-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const report = (format: string) => {
    const file = path.join(out, `cost.${format}`);
    const run = medallion(
      'cost',
      'report',
      '--from',
      'fixtures/cost',
      '--format',
      format,
      '--output',
      file,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`Wrote ${file}`);
    expect(run.stderr).toContain('Cost report prod as of 2026-11-23');
    return readFileSync(file, 'utf8');
  };

  it('reads every page of every response and the run history', () => {
    const json = JSON.parse(report('json')) as CostReport;
    expect(json.daily).toHaveLength(35);
    expect(json.daily.every((d) => Object.keys(d.services).length === 9)).toBe(true);
    expect(Object.keys(json.byTag)).toEqual(['pipeline', 'layer', 'component']);
    expect(json.dailyByTag['pipeline']!.every((d) => '(untagged)' in d.values)).toBe(true);
    expect(json.anomalies.map((a) => a.id)).toEqual(['a1b2c3d4-athena-1117']);
    expect(json.unitCosts.dailyRuns).toBe(21);
    // The silver and gold models' bytes scanned, as Athena measured them.
    expect(json.unitCosts.bytesScanned).toBeGreaterThan(0);
    expect(json.unitCosts.perTerabyteScanned).toBeGreaterThan(0);
    expect(json.forecastRest).toBe(62.41);
  });

  it('writes an offline HTML page with its charts', () => {
    const html = report('html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toContain('<script');
    expect(html.match(/<svg /g)).toHaveLength(4);
    // The cost optimizer's recording: storage by class, lifecycle and idle findings.
    expect(html).toContain('<h2>Storage by bucket and class</h2>');
    expect(html).toContain('Move the audit bucket&#39;s objects to Standard-IA after 30 days');
    expect(html).toContain('Give the quarantine bucket a lifecycle configuration');
    expect(html).toContain('Idle state machine medallion-prod-dsr-erase');
  });

  it('writes a CSV of every day and service or tag value', () => {
    const lines = report('csv').trimEnd().split('\n');
    expect(lines[0]).toBe('date,dimension,key,unblended_cost,currency');
    expect(lines.filter((l) => l.includes(',service,'))).toHaveLength(35 * 9);
  });

  it('names a recording directory that cannot be read', () => {
    const run = medallion('cost', 'report', '--from', path.join(out, 'nowhere'));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Cannot read the recording directory');
  });
});
