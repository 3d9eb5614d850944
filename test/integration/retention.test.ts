/**
 * `retention apply` on a real lake: a dry run lists exactly the rows `maintenance.retention` ages
 * out and deletes none; applying deletes those rows and no other; applying again deletes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import type { Project } from '../../lambdas/definitions/project-files';
import { applyRetention } from '../../lambdas/runtime/retention';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

describe('retention apply', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  /** A year on: every quarantined row is past its 90 days. */
  const later = new Date(Date.now() + 365 * 86_400_000);
  const rows = async (lakehouse: DuckDbLakehouse, relation: string) =>
    Number((await lakehouse.query<{ n: number }>(`select count(*) as n from ${relation}`))[0]!.n);

  beforeAll(async () => {
    lake = await sampleLake(2_000, 1);
    project = await testProject();
    const platform = await openPlatform(project, lake.lakeRoot);
    try {
      expect((await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 })).status).toBe(
        'succeeded',
      );
    } finally {
      await platform.close();
    }
  });

  afterAll(() => lake.cleanup());

  it('lists on a dry run what would go, deletes it when applied, and nothing more', async () => {
    const platform = await openPlatform(project, lake.lakeRoot);
    const lakehouse = platform.lakehouse;
    const config = project.config.maintenance;
    try {
      const runs = await rows(lakehouse, 'audit.runs');
      expect(await applyRetention({ lakehouse, config, now: new Date(), dryRun: true })).toSatisfy(
        (outcomes: { rows: number }[]) => outcomes.every((o) => o.rows === 0),
      );

      const planned = await applyRetention({ lakehouse, config, now: later, dryRun: true });
      expect(planned.map((o) => o.relation)).toContain('quarantine.orders');
      for (const o of planned) expect(o.rows).toBe(await rows(lakehouse, o.relation));
      expect(planned.reduce((n, o) => n + o.rows, 0)).toBeGreaterThan(0);

      const applied = await applyRetention({ lakehouse, config, now: later, dryRun: false });
      expect(applied).toEqual(planned);
      for (const o of planned) expect(await rows(lakehouse, o.relation)).toBe(0);
      expect(await rows(lakehouse, 'audit.runs')).toBe(runs);

      const again = await applyRetention({ lakehouse, config, now: later, dryRun: false });
      expect(again.every((o) => o.rows === 0)).toBe(true);
    } finally {
      await platform.close();
    }
  });
});
