import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepFunctionsExecutionResults } from '../../lambdas/adapters/aws/execution-results';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { loadContracts } from '../../lambdas/definitions/source-files';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { ContractVersions } from '../../lambdas/core/contracts/versions';
import { PipelineError } from '../../lambdas/core/errors';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { RunRecorder } from '../../lambdas/core/run-recorder';
import { RunLock } from '../../lambdas/core/run-lock';
import { MemoryRunLeaseStore } from '../../lambdas/adapters/local/run-lease-store';
import { RunHistory } from '../../lambdas/core/runs';
import type { DatasetStats, TaskResult } from '../../lambdas/core/stats';
import { jobsOf } from '../../lambdas/core/orchestration';
import { createRecordRunHandler, type RecordRunDeps } from '../../lambdas/handlers/record-run';
import { ManualClock } from '../helpers/clock';
import { emptyLakehouse } from '../helpers/lake';
import type { LineageEmitter } from '../../lambdas/core/lineage/events';
import type { LineageLog } from '../../lambdas/core/lineage/log';
import { checkRunEvents, runUuid } from '../../lambdas/core/lineage/openlineage';
import { localConfig, memoryLineage } from '../helpers/lineage';

const machine = 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily';
const execution = 'arn:aws:states:eu-west-1:111111111111:execution:medallion-dev-daily:01a2-run';
const startDate = Date.parse('2026-01-02T02:00:00.000Z');

/** A Step Functions "Execution Status Change" event as EventBridge delivers it. */
function statusChange(status: string, extra: Record<string, unknown> = {}) {
  return {
    version: '0',
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    detail: {
      executionArn: execution,
      stateMachineArn: machine,
      name: '01a2-run',
      status,
      startDate,
      stopDate: status === 'RUNNING' ? null : startDate + 90_000,
      input: '{}',
      ...extra,
    },
  };
}

const silver: TaskResult = {
  step: 'bronze_to_silver',
  datasets: [
    {
      dataset: 'silver.orders',
      layer: 'silver',
      rowsIn: 10,
      rowsOut: 9,
      quarantined: 1,
      duplicates: 0,
      inserted: 9,
      updated: 0,
      deleted: 0,
      seconds: 2,
    },
  ],
};

describe('record-run handler', () => {
  let close: () => void;
  let lakehouse: DuckDbLakehouse;
  let results: TaskResult[];
  let deps: RecordRunDeps;
  let lock: RunLock;
  let handler: ReturnType<typeof createRecordRunHandler>;
  let contracts: ContractRegistry;
  let emitter: LineageEmitter;
  let log: LineageLog;
  const runs = () =>
    lakehouse.query(
      `select run_id, job, env, cast(run_date as varchar) as run_date, status, seconds, error from audit.runs`,
    );

  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    results = [silver];
    contracts = await loadContracts(projectRoot);
    let ticks = 0;
    ({ lineage: emitter, log } = memoryLineage(contracts, {
      config: { ...localConfig(), env: 'dev' },
      clock: { now: () => new Date(startDate + ++ticks * 1000) },
    }));
    const logger = { info: () => {}, warn: () => {} };
    const clock = new ManualClock(new Date('2026-01-02T03:00:00.000Z'));
    lock = new RunLock(new MemoryRunLeaseStore(), clock);
    deps = {
      lock,
      project: 'medallion',
      env: 'dev',
      jobs: jobsOf(localConfig().sources),
      recorder: new RunRecorder({
        project: 'medallion',
        env: 'dev',
        history: new RunHistory(lakehouse),
        contracts: contracts.all(),
        versions: new ContractVersions(lakehouse),
        lineage: emitter,
        logger,
        clock,
      }),
      executions: {
        taskResults: async (arn) => {
          expect(arn).toBe(execution);
          return results;
        },
      },
      logger,
      clock,
    };
    handler = createRecordRunHandler(deps);
  });
  afterEach(() => {
    close();
  });

  it('records the start, then the end with the steps the execution returned', async () => {
    expect(await handler(statusChange('RUNNING'))).toEqual({
      runId: '01a2-run',
      status: 'running',
    });
    expect(
      await lakehouse.query('select count(distinct contract_id) as n from audit.contract_versions'),
    ).toEqual([{ n: contracts.all().length }]);
    expect(await runs()).toEqual([
      {
        run_id: '01a2-run',
        job: 'daily',
        env: 'dev',
        run_date: '2026-01-02',
        status: 'running',
        seconds: null,
        error: null,
      },
    ]);
    await handler(statusChange('SUCCEEDED', { output: '{}' }));
    expect(await runs()).toEqual([expect.objectContaining({ status: 'succeeded', seconds: 90 })]);
    expect(
      await lakehouse.query('select step, dataset, rows_out, reconciled from audit.run_datasets'),
    ).toEqual([
      { step: 'bronze_to_silver', dataset: 'silver.orders', rows_out: 9, reconciled: true },
    ]);
  });

  it('takes the run date from the execution input when a date was asked for', async () => {
    await handler(statusChange('RUNNING', { input: '{"date":"2025-12-31"}' }));
    expect(await runs()).toEqual([expect.objectContaining({ run_date: '2025-12-31' })]);
  });

  it('records a failure with the Lambda error message, keeping the steps that completed', async () => {
    await handler(
      statusChange('FAILED', {
        error: 'ReconciliationError',
        cause: JSON.stringify({
          errorType: 'ReconciliationError',
          errorMessage: 'gold.fact_orders: 9 in, 8 out',
          trace: [],
        }),
      }),
    );
    expect(await runs()).toEqual([
      expect.objectContaining({
        status: 'failed',
        error: 'ReconciliationError: gold.fact_orders: 9 in, 8 out',
      }),
    ]);
    expect(await lakehouse.query('select count(*) as n from audit.run_datasets')).toEqual([
      { n: 1 },
    ]);
  });

  it.each([
    ['TIMED_OUT', 'failed', 'States.TIMED_OUT'],
    ['ABORTED', 'interrupted', 'States.ABORTED'],
  ])('a run that %s is recorded as %s', async (event, status, error) => {
    results = [];
    await handler(statusChange(event));
    expect(await runs()).toEqual([expect.objectContaining({ status, error })]);
  });

  it.each(['TIMED_OUT', 'ABORTED'])(
    'a run that %s never reached its release state: its lease is given back, no one else’s',
    async (event) => {
      results = [];
      await lock.acquire({ owner: '01a2-run', job: 'medallion-dev-daily', leaseSeconds: 7500 });
      await handler(statusChange(event));
      const next = await lock.acquire({
        owner: 'next-run',
        job: 'medallion-dev-daily',
        leaseSeconds: 60,
      });
      expect(next.owner).toBe('next-run');
      // Another run's lease survives the recording of this one's end.
      await handler(statusChange(event));
      await expect(
        lock.acquire({ owner: 'third-run', job: 'medallion-dev-daily', leaseSeconds: 60 }),
      ).rejects.toThrow(/next-run/);
    },
  );

  it('an end delivered twice, or before the start, leaves one record of the end', async () => {
    await handler(statusChange('SUCCEEDED'));
    await handler(statusChange('RUNNING'));
    await handler(statusChange('SUCCEEDED'));
    expect(await runs()).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await lakehouse.query('select count(*) as n from audit.run_datasets')).toEqual([
      { n: 1 },
    ]);
  });

  it('emits the pipeline run’s OpenLineage events, closing task runs that never ended with ABORT', async () => {
    // EventBridge delivers at least once: the same start twice is one START.
    await handler(statusChange('RUNNING'));
    await handler(statusChange('RUNNING'));
    const task = {
      runId: '01a2-run',
      pipeline: 'medallion-dev-daily',
      startedAt: new Date(startDate).toISOString(),
      runDate: '2026-01-02',
    };
    // A task that started and was killed before it could report its end (a Lambda timeout).
    void emitter.track(
      task,
      { job: 'model.silver.orders', type: 'MODEL', inputs: [], outputs: [] },
      () => new Promise<never>(() => {}),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    await handler(statusChange('TIMED_OUT'));
    await handler(statusChange('TIMED_OUT'));
    const events = await log.list({ runIds: [runUuid('01a2-run')] });
    expect(events.map((e) => [e.job.name, e.eventType])).toEqual([
      ['daily', 'START'],
      ['model.silver.orders', 'START'],
      ['model.silver.orders', 'ABORT'],
      ['daily', 'FAIL'],
    ]);
    const pipelineEvents = events.filter((e) => e.job.name === 'daily');
    expect(new Set(pipelineEvents.map((e) => e.run.runId))).toEqual(new Set([runUuid('01a2-run')]));
    expect(pipelineEvents[1]!.run.facets?.errorMessage).toMatchObject({
      message: 'States.TIMED_OUT',
    });
    expect(events[1]!.run.facets?.parent).toMatchObject({
      run: { runId: runUuid('01a2-run') },
      job: { namespace: 'medallion-dev', name: 'daily' },
    });
    expect(checkRunEvents(events)).toEqual([]);
  });

  it("finds every model's stats in the history of a fanned-out layer: one Lambda result per Map iteration", async () => {
    const model = (dataset: string): TaskResult => ({
      step: 'bronze_to_silver',
      datasets: [{ ...(silver.datasets[0] as DatasetStats), dataset }],
    });
    const levels = [['silver.customers', 'silver.orders'], ['silver.fx_rates']];
    let id = 0;
    const event = (type: string, details: Partial<HistoryEvent> = {}): HistoryEvent => ({
      id: ++id,
      type: type as HistoryEvent['type'],
      timestamp: new Date(startDate + id * 1000),
      ...details,
    });
    const lambda = (output: unknown) => [
      event('LambdaFunctionScheduled'),
      event('LambdaFunctionStarted'),
      event('LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
      }),
    ];
    const iteration = (map: string, index: number, states: HistoryEvent[]) => [
      event('MapIterationStarted', { mapIterationStartedEventDetails: { name: map, index } }),
      ...states,
      event('MapIterationSucceeded', { mapIterationSucceededEventDetails: { name: map, index } }),
    ];
    const plan = {
      layer: 'silver',
      levels,
      snapshotAt: '2026-01-02T02:00:01.000Z',
      concurrency: 4,
    };
    // The history of bronze_to_silver as Step Functions writes it: the plan, then the Map over
    // levels, each iteration an inner Map whose iterations each invoke the Transform function
    // (the first attempt at silver.orders failing with a transient error and being retried);
    // the state exits carry the Map's collected results, which are not read.
    const events = [
      event('ExecutionStarted'),
      event('TaskStateEntered', { stateEnteredEventDetails: { name: 'PlanSilver' } }),
      ...lambda(plan),
      event('TaskStateExited', { stateExitedEventDetails: { name: 'PlanSilver' } }),
      event('MapStateEntered', { stateEnteredEventDetails: { name: 'BuildSilver' } }),
      event('MapStateStarted', { mapStateStartedEventDetails: { length: levels.length } }),
      ...levels.flatMap((level, i) =>
        iteration('BuildSilver', i, [
          event('MapStateEntered', { stateEnteredEventDetails: { name: 'BuildSilverLevel' } }),
          event('MapStateStarted', { mapStateStartedEventDetails: { length: level.length } }),
          ...level.flatMap((dataset, j) =>
            iteration('BuildSilverLevel', j, [
              event('TaskStateEntered', { stateEnteredEventDetails: { name: 'BuildSilverModel' } }),
              ...(dataset === 'silver.orders'
                ? [
                    event('LambdaFunctionScheduled'),
                    event('LambdaFunctionFailed', {
                      lambdaFunctionFailedEventDetails: { error: 'TransientError' },
                    }),
                  ]
                : []),
              ...lambda(model(dataset)),
              event('TaskStateExited', {
                stateExitedEventDetails: {
                  name: 'BuildSilverModel',
                  output: JSON.stringify(model(dataset)),
                },
              }),
            ]),
          ),
          event('MapStateSucceeded'),
          event('MapStateExited', {
            stateExitedEventDetails: {
              name: 'BuildSilverLevel',
              output: JSON.stringify(level.map(model)),
            },
          }),
        ]),
      ),
      event('MapStateSucceeded'),
      event('MapStateExited', {
        stateExitedEventDetails: {
          name: 'BuildSilver',
          output: JSON.stringify({ silver: levels.map((l) => l.map(model)) }),
        },
      }),
      event('TaskStateEntered', { stateEnteredEventDetails: { name: 'SilverQuality' } }),
      ...lambda({ step: 'silver_quality', layer: 'silver', gate: 'pass', scores: [], summary: '' }),
      event('ExecutionSucceeded'),
    ];
    const sfn = mockClient(SFNClient);
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: execution, includeExecutionData: true })
      .resolves({ events: events.slice(0, 20), nextToken: 'page-2' })
      .on(GetExecutionHistoryCommand, { executionArn: execution, nextToken: 'page-2' })
      .resolves({ events: events.slice(20) });
    try {
      const recordRun = createRecordRunHandler({
        ...deps,
        executions: new StepFunctionsExecutionResults(new SFNClient({ region: 'eu-west-1' })),
      });
      await recordRun(statusChange('SUCCEEDED'));
    } finally {
      sfn.restore();
    }
    expect(
      await lakehouse.query('select step, dataset from audit.run_datasets order by dataset'),
    ).toEqual(
      levels
        .flat()
        .sort()
        .map((dataset) => ({ step: 'bronze_to_silver', dataset })),
    );
  });

  it('refuses events of state machines that are not this environment’s', async () => {
    const other = statusChange('RUNNING');
    other.detail.stateMachineArn = machine.replace('medallion-dev-daily', 'medallion-prod-daily');
    await expect(handler(other)).rejects.toThrow(PipelineError);
    await expect(handler(other)).rejects.toThrow(/medallion-prod-daily is not a state machine/);
    // Nor those of a source the config no longer has.
    const removed = createRecordRunHandler({ ...deps, jobs: jobsOf({}) });
    const gone = statusChange('RUNNING');
    gone.detail.stateMachineArn = machine.replace(
      'medallion-dev-daily',
      'medallion-dev-crm-to-bronze',
    );
    await expect(removed(gone)).rejects.toThrow(
      /medallion-dev-crm-to-bronze is not a state machine/,
    );
    await expect(handler({ detail: {} })).rejects.toThrow(/record-run: invalid input/);
  });
});
