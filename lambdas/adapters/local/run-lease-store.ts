import { mayClaim } from '../../core/run-lock';
import type { RunLease, RunLeaseStore } from '../../core/ports';

/**
 * Run leases in the local process. The lake lock (`runtime/lake-lock.ts`) already keeps every
 * other process out for as long as this one runs, so leases need not outlive it: they only
 * order the runs of this process, exactly as DynamoDB orders executions on AWS.
 */
export class MemoryRunLeaseStore implements RunLeaseStore {
  private readonly leases = new Map<string, RunLease>();

  async claim(lease: RunLease, now: Date): Promise<RunLease | undefined> {
    const current = this.leases.get(lease.lock);
    if (!mayClaim(current, lease, now)) return current;
    this.leases.set(lease.lock, lease);
    return undefined;
  }

  async release(lock: string, owner: string) {
    const current = this.leases.get(lock);
    if (current === undefined) return { released: false as const };
    if (current.owner !== owner) return { released: false as const, holder: current };
    this.leases.delete(lock);
    return { released: true as const };
  }
}
