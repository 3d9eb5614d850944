import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LakeBusyError } from '../../lambdas/core/errors';
import { acquireLakeLock, processIdentity } from '../../lambdas/runtime/lake-lock';

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

describe('a stale lock naming a live pid', () => {
  let lake: string;
  beforeEach(() => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'medallion-lock-'));
  });
  afterEach(() => rmSync(lake, { recursive: true, force: true }));
  const leave = (owner: Record<string, unknown>) =>
    writeFileSync(
      path.join(lake, '.lock'),
      JSON.stringify({ job: 'daily', startedAt: '2026-01-01T00:00:00Z', ...owner }),
    );

  it('records who holds the lake: pid, host, boot and process start', async () => {
    const lock = await acquireLakeLock(lake, 'daily');
    const owner = JSON.parse(readFileSync(path.join(lake, '.lock'), 'utf8')) as object;
    expect(owner).toMatchObject({ pid: process.pid, ...(await processIdentity(process.pid)) });
    await lock.release();
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'is taken over when that pid now belongs to another process (reused after the owner died)',
    async () => {
      const me = await processIdentity(process.pid);
      leave({ pid: process.pid, ...me, startTicks: me.startTicks! - 1 });
      await (await acquireLakeLock(lake, 'daily')).release();
    },
  );

  it.runIf(existsSync('/proc/sys/kernel/random/boot_id'))(
    'is taken over after a reboot',
    async () => {
      leave({
        pid: process.pid,
        ...(await processIdentity(process.pid)),
        bootId: 'an-earlier-boot',
      });
      await (await acquireLakeLock(lake, 'daily')).release();
    },
  );

  it('holds while its very process runs', async () => {
    leave({ pid: process.pid, ...(await processIdentity(process.pid)) });
    await expect(acquireLakeLock(lake, 'daily')).rejects.toThrow(LakeBusyError);
  });

  it('is never taken over from another host, whose processes cannot be checked from here', async () => {
    leave({ pid: 2 ** 22 + 12345, host: 'another-host', startTicks: 1 });
    await expect(acquireLakeLock(lake, 'daily')).rejects.toThrow(/pid 4206649 on another-host/);
  });
});
