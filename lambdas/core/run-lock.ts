/**
 * One run at a time per lake, on AWS as locally. Every state machine takes the lake's run lock
 * in its first state and gives it back on every ending, so runs started by a schedule, by hand
 * or by landing files never interleave their MERGEs and watermarks.
 *
 * The lock is a lease owned by the execution name. It expires, so a run that never reaches its
 * release (aborted, timed out) blocks others only until then; a state machine asks for a lease
 * longer than its own `TimeoutSeconds`, so a live run never outlasts its lease. Taking the lock
 * again as its owner renews it, which also makes a retried acquire harmless.
 */
import { RunLockHeldError } from './errors';
import type { Clock, RunLease, RunLeaseStore } from './ports';

/** The lake's one lock: every pipeline run takes this one. */
export const lakeRunLock = 'lake';

/**
 * Whether `lease` may be written over `current`: the rule every {@link RunLeaseStore} applies
 * atomically (a DynamoDB condition expression on AWS). The lock is free, void since `now`, or
 * the claimant's own.
 */
export function mayClaim(current: RunLease | undefined, lease: RunLease, now: Date): boolean {
  return (
    current === undefined ||
    new Date(current.expiresAt).getTime() < now.getTime() ||
    current.owner === lease.owner
  );
}

export class RunLock {
  constructor(
    private readonly store: RunLeaseStore,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly lock = lakeRunLock,
  ) {}

  /** Takes (or renews) the lock for `leaseSeconds`; throws {@link RunLockHeldError} naming the holder. */
  async acquire(request: {
    readonly owner: string;
    readonly job: string;
    readonly leaseSeconds: number;
  }): Promise<RunLease> {
    const now = this.clock.now();
    const lease: RunLease = {
      lock: this.lock,
      owner: request.owner,
      job: request.job,
      acquiredAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + request.leaseSeconds * 1000).toISOString(),
    };
    const holder = await this.store.claim(lease, now);
    if (holder) {
      throw new RunLockHeldError(
        `The lake is busy: run ${holder.owner} of ${holder.job} has held it since ${holder.acquiredAt} (its lease ends at ${holder.expiresAt}). This run waited and gave up; start it again once that run has ended.`,
        holder,
      );
    }
    return lease;
  }

  /**
   * Gives the lock back if `owner` holds it. A run that does not (it never got the lock, or lost
   * it to expiry) leaves the holder's lease alone.
   */
  release(owner: string): ReturnType<RunLeaseStore['release']> {
    return this.store.release(this.lock, owner);
  }
}
