import { describe, expect, it } from 'vitest';
import {
  abandonedProgress,
  applyTaskEvent,
  exitCodeOfProgress,
  finishProgress,
  progressChanges,
  renderProgressFrame,
  startProgress,
  type RunProgress,
  type TaskProgressEvent,
} from '../../lambdas/core/run-progress';

const started = '2026-01-02T03:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(started) + seconds * 1000);
const run = { runId: 'run-1', job: 'daily', runDate: '2026-01-01', startedAt: started, pid: 4242 };
const states = [
  'AcquireRunLock',
  'OrdersToBronze',
  'BuildSilverModel',
  'SilverQuality',
  'NotifyFailure',
];
const orders = {
  dataset: 'silver.orders',
  layer: 'silver',
  rowsIn: 1200,
  rowsOut: 1180,
  quarantined: 20,
  duplicates: 0,
  inserted: 1180,
  updated: 0,
  deleted: 0,
  seconds: 0.4,
};
const customers = {
  ...orders,
  dataset: 'silver.customers',
  rowsIn: 30,
  rowsOut: 30,
  quarantined: 0,
};

/** A run as the runner reports it: the lock, a source, a Map of two models, then the gate. */
const events: TaskProgressEvent[] = [
  { state: 'AcquireRunLock', phase: 'start' },
  { state: 'AcquireRunLock', phase: 'end', seconds: 0.1 },
  { state: 'OrdersToBronze', phase: 'start' },
  { state: 'OrdersToBronze', phase: 'error', seconds: 0.2, error: 'HttpError: 503' },
  { state: 'OrdersToBronze', phase: 'start' },
  {
    state: 'OrdersToBronze',
    phase: 'end',
    seconds: 0.3,
    datasets: [
      {
        ...orders,
        dataset: 'snowflake.orders',
        layer: 'bronze',
        quarantined: 0,
        rowsOut: 1200,
        step: 'bronze',
      },
    ],
  },
  { state: 'BuildSilverModel', phase: 'start' },
  { state: 'BuildSilverModel', phase: 'start' },
  {
    state: 'BuildSilverModel',
    phase: 'end',
    seconds: 0.5,
    datasets: [{ ...orders, step: 'silver' }],
  },
];

const replay = (list: readonly TaskProgressEvent[]) =>
  list.reduce(applyTaskEvent, startProgress(run, states));

describe('run progress', () => {
  it('starts with every Task state pending, in definition order', () => {
    const progress = startProgress(run, [...states, 'AcquireRunLock']);
    expect(progress.status).toBe('running');
    expect(progress.states.map((s) => [s.name, s.status])).toEqual(
      states.map((s) => [s, 'pending']),
    );
  });

  it('follows retries and Map iterations: a state runs while any call runs, fails until retried', () => {
    const byName = (p: RunProgress) => Object.fromEntries(p.states.map((s) => [s.name, s]));
    expect(byName(replay(events.slice(0, 4))).OrdersToBronze).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'HttpError: 503',
    });
    const retried = byName(replay(events.slice(0, 6))).OrdersToBronze!;
    expect(retried).toMatchObject({ status: 'succeeded', attempts: 2, active: 0, seconds: 0.3 });
    expect(retried.error).toBeUndefined();
    expect(byName(replay(events)).BuildSilverModel).toMatchObject({
      status: 'running',
      attempts: 2,
      active: 1,
    });
    const done = replay([
      ...events,
      {
        state: 'BuildSilverModel',
        phase: 'end',
        seconds: 0.2,
        datasets: [{ ...customers, step: 'silver' }],
      },
    ]);
    expect(byName(done).BuildSilverModel).toMatchObject({ status: 'succeeded', active: 0 });
    expect(done.datasets.map((d) => d.dataset)).toEqual([
      'snowflake.orders',
      'silver.orders',
      'silver.customers',
    ]);
  });

  it('keeps the latest figures of a dataset a retried step wrote again', () => {
    const again = replay([
      ...events,
      {
        state: 'BuildSilverModel',
        phase: 'end',
        seconds: 0.2,
        datasets: [{ ...orders, rowsOut: 1190, quarantined: 10, step: 'silver' }],
      },
    ]);
    expect(again.datasets.filter((d) => d.dataset === 'silver.orders')).toEqual([
      {
        state: 'BuildSilverModel',
        step: 'silver',
        dataset: 'silver.orders',
        layer: 'silver',
        rowsIn: 1200,
        rowsOut: 1190,
        quarantined: 10,
      },
    ]);
  });

  it('draws the run, its states, the rows per dataset, the gates and a summary line', () => {
    const progress = replay([
      ...events,
      {
        state: 'BuildSilverModel',
        phase: 'end',
        seconds: 0.2,
        datasets: [{ ...customers, step: 'silver' }],
      },
      { state: 'SilverQuality', phase: 'start' },
      {
        state: 'SilverQuality',
        phase: 'end',
        seconds: 1,
        gate: {
          step: 'silver_quality',
          outcome: 'pass',
          scores: [
            { dataset: 'silver.orders', score: 98.4 },
            { dataset: 'silver.customers', score: 100 },
          ],
        },
      },
    ]);
    expect(renderProgressFrame(progress, at(12.34))).toBe(
      [
        'daily for 2026-01-01  run run-1',
        'started 2026-01-02T03:00:00.000Z  elapsed 12.3s',
        '',
        'States',
        '  ✓ AcquireRunLock                   succeeded 0.1s',
        '  ✓ OrdersToBronze                   succeeded 0.3s (2 calls)',
        '  ✓ BuildSilverModel                 succeeded 0.2s (2 calls)',
        '  ✓ SilverQuality                    succeeded 1.0s',
        '  · NotifyFailure                    pending',
        '',
        'Datasets                             layer        rows in     rows out  quarantined',
        '  snowflake.orders                   bronze         1,200        1,200            0',
        '  silver.orders                      silver         1,200        1,180           20',
        '  silver.customers                   silver            30           30            0',
        '',
        'Quality gates',
        '  silver_quality pass (2 datasets, lowest silver.orders 98.4)',
        '',
        'daily for 2026-01-01 running for 12.3s: 4/5 states, 3 datasets, 2,410 rows written, 20 quarantined, 1/1 gates passed',
      ].join('\n'),
    );
    const over = finishProgress(progress, { status: 'succeeded', seconds: 14.5 });
    const frame = renderProgressFrame(over, at(99));
    expect(frame).toContain('elapsed 14.5s');
    expect(frame).toContain('· NotifyFailure                    not run');
    expect(frame.split('\n').at(-1)).toBe(
      'daily for 2026-01-01 succeeded in 14.5s: 4/5 states, 3 datasets, 2,410 rows written, 20 quarantined, 1/1 gates passed',
    );
  });

  it('leaves out the earliest datasets when the terminal is too short, keeping the head and summary', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...orders,
      dataset: `silver.d${i}`,
      step: 'silver',
    }));
    const progress = replay([
      ...events,
      { state: 'BuildSilverModel', phase: 'end', seconds: 0.2, datasets: many },
    ]);
    const frame = renderProgressFrame(progress, at(3), undefined, 24).split('\n');
    expect(frame).toHaveLength(23);
    expect(frame[0]).toBe('daily for 2026-01-01  run run-1');
    expect(frame).toContain('  … 23 earlier dataset(s)');
    expect(frame.filter((l) => l.startsWith('  silver.d'))).toHaveLength(9);
    expect(frame.at(-3)).toBe(
      '  silver.d29                         silver         1,200        1,180           20',
    );
    expect(frame.at(-1)).toMatch(/^daily for 2026-01-01 running for 3\.0s: /);
  });

  it('writes one line per change when the output is not a terminal, and the summary once at the end', () => {
    const snapshots = [startProgress(run, states)];
    for (const event of events) snapshots.push(applyTaskEvent(snapshots.at(-1)!, event));
    const failed = finishProgress(
      applyTaskEvent(snapshots.at(-1)!, {
        state: 'BuildSilverModel',
        phase: 'error',
        seconds: 0.3,
        error: 'SqlError: boom',
      }),
      { status: 'failed', seconds: 3, error: 'SqlError: boom' },
    );
    // The watcher sees a few snapshots, not every one: changes in between are folded together.
    const seen = [snapshots[0]!, snapshots[2]!, snapshots[6]!, snapshots.at(-1)!, failed, failed];
    const lines = seen.flatMap((s, i) =>
      progressChanges(i === 0 ? undefined : seen[i - 1], s, at(i)),
    );
    expect(lines).toEqual([
      'daily for 2026-01-01 run run-1, started 2026-01-02T03:00:00.000Z',
      '[   1.0s] ✓ AcquireRunLock                   succeeded 0.1s',
      '[   2.0s] ✓ OrdersToBronze                   succeeded 0.3s (2 calls)',
      '[   2.0s]   snowflake.orders (bronze): 1,200 in, 1,200 out, 0 quarantined',
      '[   3.0s] ▶ BuildSilverModel                 running (2 calls)',
      '[   3.0s]   silver.orders (silver): 1,200 in, 1,180 out, 20 quarantined',
      '[   3.0s] ✗ BuildSilverModel                 failed: SqlError: boom (2 calls)',
      'daily for 2026-01-01 FAILED after 3.0s: SqlError: boom',
    ]);
  });

  it("writes what a state's call wrote and decided right after the state's line", () => {
    const before = replay(events);
    const after = (
      [
        { state: 'BuildSilverModel', phase: 'end', seconds: 0.2 },
        { state: 'SilverQuality', phase: 'start' },
        {
          state: 'SilverQuality',
          phase: 'end',
          seconds: 1,
          gate: {
            step: 'silver_quality',
            outcome: 'fail',
            scores: [{ dataset: 'silver.orders', score: 60 }],
          },
        },
        { state: 'NotifyFailure', phase: 'start' },
      ] satisfies TaskProgressEvent[]
    ).reduce(applyTaskEvent, before);
    expect(progressChanges(before, after, at(5))).toEqual([
      '[   5.0s] ✓ BuildSilverModel                 succeeded 0.2s (2 calls)',
      '[   5.0s] ✓ SilverQuality                    succeeded 1.0s',
      '[   5.0s]   gate silver_quality FAIL (1 datasets, lowest silver.orders 60.0)',
      '[   5.0s] ▶ NotifyFailure                    running',
    ]);
  });

  it('exits as `medallion run` does: 0 succeeded, 1 failed, 130 interrupted or abandoned', () => {
    const progress = startProgress(run, states);
    expect(exitCodeOfProgress(finishProgress(progress, { status: 'succeeded', seconds: 1 }))).toBe(
      0,
    );
    expect(exitCodeOfProgress(finishProgress(progress, { status: 'failed', seconds: 1 }))).toBe(1);
    const abandoned = abandonedProgress(progress, at(7));
    expect(abandoned).toMatchObject({
      status: 'interrupted',
      seconds: 7,
      error: 'its process (pid 4242) ended before the run did',
    });
    expect(exitCodeOfProgress(abandoned)).toBe(130);
  });
});
