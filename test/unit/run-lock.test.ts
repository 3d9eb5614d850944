import { describe, expect, it } from 'vitest';
import { MemoryRunLeaseStore } from '../../lambdas/adapters/local/run-lease-store';
import { RunLockHeldError } from '../../lambdas/core/errors';
import type { RunLease } from '../../lambdas/core/ports';
import { mayClaim, RunLock } from '../../lambdas/core/run-lock';
import { ManualClock } from '../helpers/clock';

const lease = (owner: string, expiresAt: string): RunLease => ({
  lock: 'lake',
  owner,
  job: 'medallion-dev-daily',
  acquiredAt: '2026-01-02T03:00:00.000Z',
  expiresAt,
});

describe('run lock: who may take it', () => {
  const now = new Date('2026-01-02T04:00:00.000Z');
  it('a free lock, an expired lease or one’s own lease; never another run’s live lease', () => {
    const mine = lease('run-b', '2026-01-02T05:00:00.000Z');
    expect(mayClaim(undefined, mine, now)).toBe(true);
    expect(mayClaim(lease('run-a', '2026-01-02T03:59:59.999Z'), mine, now)).toBe(true);
    expect(mayClaim(lease('run-b', '2026-01-02T04:30:00.000Z'), mine, now)).toBe(true);
    expect(mayClaim(lease('run-a', '2026-01-02T04:30:00.000Z'), mine, now)).toBe(false);
    // A lease is good up to and including its last instant.
    expect(mayClaim(lease('run-a', now.toISOString()), mine, now)).toBe(false);
  });
});

describe('run lock', () => {
  const setup = () => {
    const clock = new ManualClock(new Date('2026-01-02T03:00:00.000Z'));
    return { clock, lock: new RunLock(new MemoryRunLeaseStore(), clock) };
  };
  const daily = { owner: 'run-a', job: 'medallion-dev-daily', leaseSeconds: 7500 };
  const landing = { owner: 'run-b', job: 'medallion-dev-landing_to_bronze', leaseSeconds: 3900 };

  it('is taken for the lease asked for', async () => {
    const { lock } = setup();
    expect(await lock.acquire(daily)).toEqual({
      lock: 'lake',
      owner: 'run-a',
      job: 'medallion-dev-daily',
      acquiredAt: '2026-01-02T03:00:00.000Z',
      expiresAt: '2026-01-02T05:05:00.000Z',
    });
  });

  it('refuses a second run, naming the run that holds it, since when and until when', async () => {
    const { lock, clock } = setup();
    await lock.acquire(daily);
    await clock.sleep(60_000);
    const refused = lock.acquire(landing);
    await expect(refused).rejects.toBeInstanceOf(RunLockHeldError);
    await expect(refused).rejects.toThrow(
      'The lake is busy: run run-a of medallion-dev-daily has held it since 2026-01-02T03:00:00.000Z (its lease ends at 2026-01-02T05:05:00.000Z).',
    );
    await expect(refused).rejects.toMatchObject({
      name: 'RunLockHeldError',
      holder: { owner: 'run-a', job: 'medallion-dev-daily' },
    });
  });

  it('is renewed when its owner takes it again, as a retried acquire does', async () => {
    const { lock, clock } = setup();
    await lock.acquire(daily);
    await clock.sleep(3_600_000);
    expect((await lock.acquire(daily)).expiresAt).toBe('2026-01-02T06:05:00.000Z');
  });

  it('is taken over once the holder’s lease has expired: an aborted run blocks no one for ever', async () => {
    const { lock, clock } = setup();
    await lock.acquire(daily);
    await clock.sleep(7500 * 1000 + 1);
    expect((await lock.acquire(landing)).owner).toBe('run-b');
    await expect(lock.acquire(daily)).rejects.toThrow(
      /run run-b of medallion-dev-landing_to_bronze/,
    );
  });

  it('is given back only by its owner', async () => {
    const { lock } = setup();
    await lock.acquire(daily);
    expect(await lock.release('run-b')).toEqual({
      released: false,
      holder: expect.objectContaining({ owner: 'run-a' }),
    });
    await expect(lock.acquire(landing)).rejects.toThrow(RunLockHeldError);
    expect(await lock.release('run-a')).toEqual({ released: true });
    expect((await lock.acquire(landing)).owner).toBe('run-b');
  });

  it('giving back a lock nobody holds changes nothing', async () => {
    const { lock } = setup();
    expect(await lock.release('run-a')).toEqual({ released: false });
  });
});
