/**
 * `retention apply` on a real lake: a dry run lists exactly the rows (and bronze files) that age
 * out and deletes none; applying deletes those and no other; applying again deletes nothing.
 * Bronze goes a whole ingestion-day partition at a time, by the 400 days the sample
 * kafka.order_events contract declares.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import type { Project } from '../../lambdas/definitions/project-files';
import { applyRetention } from '../../lambdas/runtime/retention';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

describe('retention apply', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let project: Project;
  /** A year on: every quarantined row is past its 90 days, no raw event past its 400. */
  const later = new Date(Date.now() + 365 * 86_400_000);
  const rows = async (lakehouse: DuckDbLakehouse, relation: string, where = 'true') =>
    Number(
      (
        await lakehouse.query<{ n: number }>(`select count(*) as n from ${relation} where ${where}`)
      )[0]!.n,
    );
  const events = 'bronze.kafka_order_events';

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

  const retention = (lakehouse: DuckDbLakehouse, now: Date, dryRun: boolean) =>
    applyRetention({
      lakehouse,
      bronze: new FsObjectStore(lake.lakeRoot),
      config: project.config.maintenance,
      contracts: project.contracts.all(),
      now,
      dryRun,
    });

  it('lists on a dry run what would go, deletes it when applied, and nothing more', async () => {
    const platform = await openPlatform(project, lake.lakeRoot);
    const lakehouse = platform.lakehouse;
    try {
      const runs = await rows(lakehouse, 'audit.runs');
      const raw = await rows(lakehouse, events);
      expect(await retention(lakehouse, new Date(), true)).toSatisfy(
        (outcomes: { rows: number }[]) => outcomes.every((o) => o.rows === 0),
      );

      const planned = await retention(lakehouse, later, true);
      expect(planned.map((o) => o.relation)).toContain('quarantine.orders');
      expect(planned.find((o) => o.relation === events)).toMatchObject({ rows: 0, files: 0 });
      for (const o of planned.filter((p) => p.relation !== events))
        expect(o.rows).toBe(await rows(lakehouse, o.relation));
      expect(planned.reduce((n, o) => n + o.rows, 0)).toBeGreaterThan(0);

      const applied = await retention(lakehouse, later, false);
      expect(applied).toEqual(planned);
      for (const o of planned.filter((p) => p.relation !== events))
        expect(await rows(lakehouse, o.relation)).toBe(0);
      expect(await rows(lakehouse, 'audit.runs')).toBe(runs);
      expect(await rows(lakehouse, events)).toBe(raw);

      const again = await retention(lakehouse, later, false);
      expect(again.every((o) => o.rows === 0)).toBe(true);
    } finally {
      await platform.close();
    }
  });

  it('deletes bronze partitions ingested before the cut-off day, keeps the newer ones', async () => {
    const dataset = path.join(lake.lakeRoot, 'bronze', 'kafka', 'order_events');
    const [current] = readdirSync(dataset);
    expect(current).toMatch(/^ingest_date=\d{4}-\d{2}-\d{2}$/);
    // The same objects as if ingested on a day long past the 400 days.
    cpSync(path.join(dataset, current!), path.join(dataset, 'ingest_date=2020-01-01'), {
      recursive: true,
    });
    const files = readdirSync(path.join(dataset, current!)).length;
    const platform = await openPlatform(project, lake.lakeRoot);
    const lakehouse = platform.lakehouse;
    try {
      await lakehouse.refreshSources();
      const kept = await rows(lakehouse, events, `ingest_date <> date '2020-01-01'`);
      const old = await rows(lakehouse, events, `ingest_date = date '2020-01-01'`);
      expect(old).toBeGreaterThan(0);

      const planned = (await retention(lakehouse, new Date(), true)).find(
        (o) => o.relation === events,
      );
      expect(planned).toMatchObject({ column: 'ingest_date', rows: old, files });
      expect(existsSync(path.join(dataset, 'ingest_date=2020-01-01'))).toBe(true);
      expect(await rows(lakehouse, events)).toBe(kept + old);

      const applied = (await retention(lakehouse, new Date(), false)).find(
        (o) => o.relation === events,
      );
      expect(applied).toEqual(planned);
      expect(readdirSync(dataset)).toEqual([current]);
      expect(await rows(lakehouse, events)).toBe(kept);
    } finally {
      await platform.close();
    }
  });
});
