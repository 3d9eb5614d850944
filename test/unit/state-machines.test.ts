import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  jobs,
  placeholders,
  substitutePlaceholders,
  taskStates,
} from '../../lambdas/core/orchestration';
import { taskOfPlaceholder } from '../../lambdas/core/tasks';

const definitionText = (job: string) => readFileSync(`stepfunctions/${job}.asl.json`, 'utf8');
const definition = (job: string) =>
  JSON.parse(definitionText(job)) as {
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
/** Jobs that publish datasets, and so end with the catalog sync. */
const publishing = jobs.filter((j) => j !== 'maintenance');

describe('state machines', () => {
  it('there is exactly one definition per job', () => {
    expect(readdirSync('stepfunctions').sort()).toEqual(jobs.map((j) => `${j}.asl.json`).sort());
  });

  it.each(jobs)(
    '%s: every Task resource is a handler placeholder, with retries and a catch to NotifyFailure',
    (job) => {
      const text = definitionText(job);
      expect(placeholders(text).every((p) => taskOfPlaceholder(p) !== undefined)).toBe(true);
      const tasks = taskStates(JSON.parse(text));
      for (const task of tasks.filter((t) => t.name !== 'NotifyFailure')) {
        expect(task.definition.Retry, task.name).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              ErrorEquals: expect.arrayContaining(['TransientError']),
              JitterStrategy: 'FULL',
            }),
          ]),
        );
      }
      const states = definition(job).States;
      expect(states.NotifyFailure).toMatchObject({ Next: 'Failed', Parameters: { job } });
      expect(states.Failed).toMatchObject({ Type: 'Fail' });
      // Every state that does work catches its failure; Choice, Pass and end states do none.
      for (const [name, state] of Object.entries(states).filter(
        ([n, state]) => n !== 'NotifyFailure' && ['Task', 'Parallel'].includes(String(state.Type)),
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
    ].map((job) => {
      const d = definition(job);
      return d.States[d.StartAt]!;
    });
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

  it.each(publishing)('%s ends with the catalog sync, after everything it publishes', (job) => {
    const { States: states } = definition(job);
    const sync = states.CatalogSync!;
    expect(sync).toMatchObject({
      Type: 'Task',
      Resource: '${CatalogSyncFunctionArn}',
      Parameters: { 'pipeline.$': '$$.StateMachine.Name', 'runId.$': '$$.Execution.Name' },
    });
    const succeeds = (name: unknown) => states[String(name)]?.Type === 'Succeed';
    expect(sync.End === true || succeeds(sync.Next)).toBe(true);
    // Nothing else ends the run successfully: every other path ends in the sync or a failure.
    const otherEnds = Object.entries(states).filter(
      ([name, state]) =>
        name !== 'CatalogSync' &&
        (state.End === true || succeeds(state.Next) || succeeds(state.Default)),
    );
    expect(otherEnds.map(([name]) => name)).toEqual([]);
  });

  it('maintenance plans, then maintains one table per Map iteration (each a Lambda invocation), then finishes', () => {
    const { StartAt, States: states } = definition('maintenance');
    expect(StartAt).toBe('PlanMaintenance');
    expect(states.PlanMaintenance).toMatchObject({
      Parameters: { step: 'plan' },
      ResultPath: '$.plan',
      Next: 'MaintainTables',
    });
    expect(states.MaintainTables).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.tasks',
      ItemSelector: { step: 'apply', 'task.$': '$$.Map.Item.Value' },
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
      Next: 'FinishMaintenance',
    });
    expect(states.FinishMaintenance).toMatchObject({
      Parameters: { step: 'finish', 'applied.$': '$.applied' },
      Next: 'Done',
    });
    for (const task of taskStates(definition('maintenance')).filter(
      (t) => t.name !== 'NotifyFailure',
    ))
      expect(task.definition.TimeoutSeconds, task.name).toBe(900 + 60);
  });

  it('substitution fails loudly on a placeholder without a value', () => {
    expect(substitutePlaceholders('{"a":"${X}"}', { X: 'arn' })).toBe('{"a":"arn"}');
    expect(() => substitutePlaceholders('{"a":"${X}","b":"${Y}"}', { X: 'arn' })).toThrow(
      'Unresolved placeholder(s) in state machine: Y',
    );
  });
});
