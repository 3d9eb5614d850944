import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob, type RunOptions } from '../../lambdas/runtime/runner';
import { day1, openPlatform, sampleLake, testProject } from '../helpers/lake';

type TaskEvent = Parameters<NonNullable<RunOptions['onTask']>>[0];

/**
 * One branch of the daily Parallel fails for good (the FX source points at a port nothing listens
 * on) while another is slow (the warehouse extraction waits before it starts). The failure path
 * must not run, nor the run be recorded, while a sibling branch still writes.
 */
describe('a failing branch stops the daily run cleanly', () => {
  let lake: Awaited<ReturnType<typeof sampleLake>>;
  let platform: LocalPlatform;

  beforeAll(async () => {
    lake = await sampleLake(300, 1);
    const project = await testProject((c) => ({
      ...c,
      sources: { ...c.sources, fx: { ...c.sources.fx!, baseUrl: 'http://127.0.0.1:1' } },
    }));
    platform = await openPlatform(project, lake.lakeRoot);
  });
  afterAll(async () => {
    await platform.close();
    lake.cleanup();
  });

  it('waits for the other branches before notifying, giving the lock back and recording the failure; nothing is left staged', async () => {
    const warehouse = platform.handlers.IngestWarehouse;
    let extracting = 0;
    platform.handlers.IngestWarehouse = async (event) => {
      extracting++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return await warehouse(event);
      } finally {
        extracting--;
      }
    };
    const events: TaskEvent[] = [];
    /** Warehouse extractions still under way as each failure-path task started. */
    const extractingAt: Record<string, number> = {};
    try {
      const outcome = await runJob(platform, 'daily', {
        runDate: day1,
        retryIntervalMs: 0,
        onTask: (event) => {
          events.push(event);
          if (event.phase === 'start') extractingAt[event.state] ??= extracting;
        },
      });

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(/http:\/\/127\.0\.0\.1:1\/fx\/v1\/rates/);
      const [recorded] = await platform.lakehouse.query<{ status: string; error: string }>(
        `select status, error from audit.runs where run_id = '${outcome.runId}'`,
      );
      expect(recorded).toEqual({ status: 'failed', error: outcome.error });

      // The slow branches ended on their own, before anything on the failure path started.
      expect(extractingAt).toMatchObject({ NotifyFailure: 0, ReleaseRunLockAfterFailure: 0 });
      for (const sibling of ['SnowflakeToBronze', 'RedshiftToBronze'])
        expect(events).toContainEqual(expect.objectContaining({ state: sibling, phase: 'end' }));
      expect(events.filter((e) => e.phase === 'error').map((e) => e.state)).toEqual(
        Array(4).fill('FxToBronze'),
      );
      expect(events.map((e) => e.error ?? '').join('\n')).not.toMatch(/instance closed/i);

      const staging = path.join(lake.lakeRoot, 'bronze', '_staging');
      const staged = existsSync(staging)
        ? readdirSync(staging, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
        : [];
      expect(staged).toEqual([]);
      const [orders] = await platform.lakehouse.query<{ n: bigint }>(
        'select count(*) as n from bronze.snowflake_orders',
      );
      expect(Number(orders!.n)).toBeGreaterThan(0);
    } finally {
      platform.handlers.IngestWarehouse = warehouse;
    }
  }, 120_000);
});
