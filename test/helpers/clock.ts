import type { Clock } from '../../lambdas/core/ports';

/** A clock that never waits: it records the sleeps asked of it and moves time forward. */
export class ManualClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private current = new Date('2026-01-02T03:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current = new Date(this.current.getTime() + ms);
  }
}

export const silentLogger = { info: () => {}, warn: () => {} };
