import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  jobs,
  placeholders,
  substitutePlaceholders,
  taskStates,
} from '../../lambdas/core/orchestration';
import { taskHandlers } from '../../lib/stacks/pipeline-stack';

const definitionText = (job: string) => readFileSync(`stepfunctions/${job}.asl.json`, 'utf8');
const definition = (job: string) =>
  JSON.parse(definitionText(job)) as {
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
const handlers = [
  'RunLockFunctionArn',
  'IngestWarehouseFunctionArn',
  'IngestRestFunctionArn',
  'KafkaDrainFunctionArn',
  'IngestLandingFunctionArn',
  'TransformFunctionArn',
  'DataQualityFunctionArn',
  'CatalogSyncFunctionArn',
  'NotifyFailureFunctionArn',
];

/**
 * Being restructured elsewhere: they get the run lock's states when that lands (the same
 * AcquireRunLock, ReleaseRunLock and ReleaseRunLockAfterFailure as the per-source machines).
 */
const awaitingRunLock: readonly string[] = ['daily', 'bronze_to_silver', 'silver_to_gold'];
const locked = jobs.filter((job) => !awaitingRunLock.includes(job));

/** The state a machine starts its work with: the one after it takes the run lock. */
const firstWork = (d: ReturnType<typeof definition>) =>
  d.States[d.StartAt === 'AcquireRunLock' ? String(d.States.AcquireRunLock!.Next) : d.StartAt]!;

describe('state machines', () => {
  it('there is exactly one definition per job', () => {
    expect(readdirSync('stepfunctions').sort()).toEqual(jobs.map((j) => `${j}.asl.json`).sort());
  });

  it.each(jobs)(
    '%s: every Task resource is a handler placeholder, with retries and a catch to NotifyFailure',
    (job) => {
      const text = definitionText(job);
      expect(placeholders(text).every((p) => handlers.includes(p))).toBe(true);
      const tasks = taskStates(JSON.parse(text));
      const failurePath = ['NotifyFailure', 'ReleaseRunLockAfterFailure'];
      for (const task of tasks.filter((t) => t.name !== 'NotifyFailure')) {
        expect(task.definition.Retry, task.name).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              ErrorEquals: expect.arrayContaining(['TransientError']),
              JitterStrategy: 'FULL',
            }),
          ]),
        );
        expect(task.definition.TimeoutSeconds, task.name).toBeLessThanOrEqual(900);
      }
      const states = definition(job).States;
      expect(states.NotifyFailure).toMatchObject({
        Next: locked.includes(job) ? 'ReleaseRunLockAfterFailure' : 'Failed',
        Parameters: { job },
      });
      expect(states.Failed).toMatchObject({ Type: 'Fail' });
      // Every state that does work catches its failure; Choice, Pass and end states do none.
      for (const [name, state] of Object.entries(states).filter(
        ([n, state]) =>
          !failurePath.includes(n) && ['Task', 'Parallel'].includes(String(state.Type)),
      )) {
        expect(state.Catch, name).toEqual([
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' },
        ]);
      }
    },
  );

  it('daily runs every ingest in parallel, then silver, then gold, with the very states of the per-source machines', () => {
    const daily = definition('daily');
    expect(daily.StartAt).toBe('IngestSources');
    expect(daily.States.IngestSources).toMatchObject({ Type: 'Parallel', Next: 'BronzeToSilver' });
    expect(daily.States.BronzeToSilver).toMatchObject({
      Next: 'SilverQuality',
      Parameters: { layer: 'silver' },
    });
    expect(daily.States.SilverQuality).toMatchObject({
      Next: 'SilverQualityGate',
      Parameters: { layer: 'silver' },
    });
    expect(daily.States.SilverQualityGate).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.silverQuality.gate', StringEquals: 'fail', Next: 'SilverQualityFailed' },
      ],
      Default: 'SilverToGold',
    });
    expect(daily.States.SilverQualityFailed).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: 'DataQualityError', 'Cause.$': '$.silverQuality.summary' },
      ResultPath: '$.error',
      Next: 'NotifyFailure',
    });
    expect(daily.States.SilverToGold).toMatchObject({
      Next: 'GoldQuality',
      Parameters: { layer: 'gold' },
    });
    expect(daily.States.GoldQualityGate).toMatchObject({ Type: 'Choice', Default: 'CatalogSync' });
    expect(daily.States.CatalogSync).toMatchObject({
      Resource: '${CatalogSyncFunctionArn}',
      Next: 'Done',
    });
    expect(daily.States.Done).toMatchObject({ Type: 'Succeed' });
    const branches = (
      daily.States.IngestSources!.Branches as {
        StartAt: string;
        States: Record<string, Record<string, unknown>>;
      }[]
    ).map((b) => b.States[b.StartAt]!);
    const single = [
      'snowflake_to_bronze',
      'redshift_to_bronze',
      'crm_to_bronze',
      'fx_to_bronze',
      'kafka_events_to_bronze',
      'landing_to_bronze',
    ].map((job) => firstWork(definition(job)));
    const strip = ({
      End: _end,
      Next: _next,
      Catch: _catch,
      ResultPath: _result,
      ...rest
    }: Record<string, unknown>) => rest;
    expect(branches.map(strip)).toEqual(single.map(strip));
    const strippedLayer = (job: string, state: string) => strip(definition(job).States[state]!);
    expect(strip(daily.States.BronzeToSilver!)).toEqual(
      strippedLayer('bronze_to_silver', 'BronzeToSilver'),
    );
    expect(strip(daily.States.SilverToGold!)).toEqual(
      strippedLayer('silver_to_gold', 'SilverToGold'),
    );
    for (const [job, states] of [
      ['bronze_to_silver', ['SilverQuality', 'SilverQualityGate', 'SilverQualityFailed']],
      ['silver_to_gold', ['GoldQuality', 'GoldQualityGate', 'GoldQualityFailed']],
    ] as const) {
      // The same gate, except where it leads when it passes: the job's end, or gold in daily.
      const { Default: _default, ...gate } = daily.States[states[1]]!;
      for (const state of states) {
        const { Default: _end, ...own } = definition(job).States[state]!;
        expect(own, `${job}.${state}`).toEqual(state === states[1] ? gate : daily.States[state]);
      }
    }
  });

  it.each(jobs)('%s ends with the catalog sync, after everything it publishes', (job) => {
    const { States: states } = definition(job);
    const sync = states.CatalogSync!;
    expect(sync).toMatchObject({
      Type: 'Task',
      Resource: '${CatalogSyncFunctionArn}',
      Parameters: { 'pipeline.$': '$$.StateMachine.Name', 'runId.$': '$$.Execution.Name' },
    });
    // Then the run lock is given back, where the machine takes it.
    const last = locked.includes(job) ? 'ReleaseRunLock' : 'CatalogSync';
    if (last !== 'CatalogSync') expect(sync.Next).toBe(last);
    const succeeds = (name: unknown) => states[String(name)]?.Type === 'Succeed';
    expect(states[last]!.End === true || succeeds(states[last]!.Next)).toBe(true);
    // Nothing else ends the run successfully: every other path ends in the sync or a failure.
    const otherEnds = Object.entries(states).filter(
      ([name, state]) =>
        name !== last && (state.End === true || succeeds(state.Next) || succeeds(state.Default)),
    );
    expect(otherEnds.map(([name]) => name)).toEqual([]);
  });

  it.each(locked)(
    '%s takes the run lock first, for longer than it may run, and gives it back on every ending',
    (job) => {
      const d = definition(job);
      const timeout = Number(
        (JSON.parse(definitionText(job)) as { TimeoutSeconds: number }).TimeoutSeconds,
      );
      const { AcquireRunLock: acquire, ReleaseRunLock: release } = d.States;
      const { NotifyFailure: notify, ReleaseRunLockAfterFailure: releaseAfterFailure } = d.States;
      expect(d.StartAt).toBe('AcquireRunLock');
      const lockTask = {
        Type: 'Task',
        Resource: '${RunLockFunctionArn}',
        // The function's 30 s plus a minute: a retry never overlaps a running invocation.
        TimeoutSeconds: taskHandlers.RunLockFunctionArn.timeoutSeconds + 60,
        // The lock's answer is not part of the run's state: later states see the input as it came.
        ResultPath: null,
      };
      expect(acquire).toMatchObject({
        ...lockTask,
        Parameters: {
          action: 'acquire',
          'runId.$': '$$.Execution.Name',
          'pipeline.$': '$$.StateMachine.Name',
        },
      });
      // A lease outlasts the execution, so a live run never loses the lock to expiry.
      expect((acquire!.Parameters as { leaseSeconds: number }).leaseSeconds).toBeGreaterThan(
        timeout,
      );
      // A held lock is waited for, a bounded while (here at most the sum of the full waits), then the run fails.
      const [held] = acquire!.Retry as {
        ErrorEquals: string[];
        IntervalSeconds: number;
        MaxAttempts: number;
        BackoffRate: number;
        MaxDelaySeconds: number;
      }[];
      expect(held).toMatchObject({ ErrorEquals: ['RunLockHeldError'], JitterStrategy: 'FULL' });
      const waits = Array.from({ length: held!.MaxAttempts }, (_, i) =>
        Math.min(held!.IntervalSeconds * held!.BackoffRate ** i, held!.MaxDelaySeconds),
      );
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(timeout / 2);

      const releaseParameters = { action: 'release', 'runId.$': '$$.Execution.Name' };
      expect(release).toMatchObject({ ...lockTask, Parameters: releaseParameters });
      expect(release!.End === true || d.States[String(release!.Next)]?.Type === 'Succeed').toBe(
        true,
      );
      expect(notify).toMatchObject({
        Next: 'ReleaseRunLockAfterFailure',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'ReleaseRunLockAfterFailure' }],
      });
      // Even when it cannot give the lock back, the run fails with its own error; the lease expires.
      expect(releaseAfterFailure).toMatchObject({
        ...lockTask,
        Parameters: releaseParameters,
        Next: 'Failed',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.releaseError', Next: 'Failed' }],
      });
      const leadsTo = (target: string) =>
        Object.entries(d.States)
          .filter(([, state]) => state.Next === target || state.Default === target)
          .map(([name]) => name);
      expect(leadsTo('ReleaseRunLock')).toEqual(['CatalogSync']);
      expect(leadsTo('Failed')).toEqual(['ReleaseRunLockAfterFailure']);
    },
  );

  it('substitution fails loudly on a placeholder without a value', () => {
    expect(substitutePlaceholders('{"a":"${X}"}', { X: 'arn' })).toBe('{"a":"arn"}');
    expect(() => substitutePlaceholders('{"a":"${X}","b":"${Y}"}', { X: 'arn' })).toThrow(
      'Unresolved placeholder(s) in state machine: Y',
    );
  });
});
