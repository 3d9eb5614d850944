import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LakeBusyError } from '../../lambdas/core/errors';
import { acquireLakeLock } from '../../lambdas/runtime/lake-lock';

describe('one run at a time', () => {
  let lake: string;
  beforeEach(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-lock-'));
  });
  afterEach(() => rmSync(lake, { recursive: true, force: true }));

  it('a second run fails with who holds the lake', async () => {
    const lock = await acquireLakeLock(lake, 'daily');
    await expect(acquireLakeLock(lake, 'bronze_to_silver')).rejects.toThrow(LakeBusyError);
    await expect(acquireLakeLock(lake, 'bronze_to_silver')).rejects.toThrow(
      new RegExp(`daily \\(pid ${process.pid}\\) has been running since`),
    );
    await lock.release();
    await (await acquireLakeLock(lake, 'bronze_to_silver')).release();
  });

  it('a lock left by a process that died is taken over', async () => {
    writeFileSync(
      path.join(lake, '.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, job: 'daily', startedAt: '2026-01-01T00:00:00Z' }),
    );
    const lock = await acquireLakeLock(lake, 'daily');
    await lock.release();
  });
});
