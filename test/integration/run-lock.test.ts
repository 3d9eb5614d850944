import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, testProject } from '../helpers/lake';

/**
 * The run lock as the state machines use it, run locally through the very ASL that deploys: the
 * local lock keeps AWS's rules, so these paths are the ones Step Functions takes.
 */
describe('one run at a time, in the state machines', () => {
  let lakeRoot: string;
  let platform: LocalPlatform;
  const lockTask = (event: Record<string, unknown>) =>
    platform.handlers.RunLock!({ pipeline: 'medallion-local-daily', ...event });
  const acquire = (runId: string) => lockTask({ action: 'acquire', runId, leaseSeconds: 600 });

  beforeAll(async () => {
    // No sample data: an ingest that gets the lock fails, which is the failure path to test.
    lakeRoot = mkdtempSync(path.join(os.tmpdir(), 'medallion-run-lock-'));
    platform = await openPlatform(await testProject(), lakeRoot);
  });
  afterAll(async () => {
    await platform.close();
    rmSync(lakeRoot, { recursive: true, force: true });
  });

  it('a run that finds the lake held waits, then fails naming the holder, and leaves its lock alone', async () => {
    await acquire('daily-run');
    const outcome = await runJob(platform, 'snowflake_to_bronze', {
      runDate: day1,
      retryIntervalMs: 0,
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(
      /^RunLockHeldError: .*The lake is busy: run daily-run of medallion-local-daily has held it since/,
    );
    // The first try and the eight retries of AcquireRunLock; nothing was ingested.
    expect(outcome.attempts).toEqual({
      AcquireRunLock: 9,
      NotifyFailure: 1,
      ReleaseRunLockAfterFailure: 1,
    });
    const notices = readFileSync(path.join(lakeRoot, 'notifications.jsonl'), 'utf8');
    expect(notices).toContain('"error":"RunLockHeldError"');
    expect(notices).toContain('run daily-run of medallion-local-daily');
    // Giving back on the failure path did not take the holder's lock.
    await expect(acquire('someone-else')).rejects.toThrow(/run daily-run of/);
    await lockTask({ action: 'release', runId: 'daily-run' });
  });

  it('a run that fails after taking the lock gives it back on its way to failing', async () => {
    const outcome = await runJob(platform, 'snowflake_to_bronze', {
      runDate: day1,
      retryIntervalMs: 0,
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.attempts).toMatchObject({
      AcquireRunLock: 1,
      SnowflakeToBronze: expect.any(Number),
      NotifyFailure: 1,
      ReleaseRunLockAfterFailure: 1,
    });
    expect(await acquire('next-run')).toMatchObject({ lock: 'acquired' });
    await lockTask({ action: 'release', runId: 'next-run' });
  });
});
