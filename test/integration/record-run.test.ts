import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { loadContracts } from '../../lambdas/adapters/fs/source-files';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { ContractVersions } from '../../lambdas/core/contracts/versions';
import { PipelineError } from '../../lambdas/core/errors';
import { projectRoot } from '../../lambdas/runtime/project-root';
import { RunHistory } from '../../lambdas/core/runs';
import type { TaskResult } from '../../lambdas/core/stats';
import { createRecordRunHandler } from '../../lambdas/handlers/record-run';
import { ManualClock } from '../helpers/clock';
import { emptyLakehouse } from '../helpers/lake';

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
  let handler: ReturnType<typeof createRecordRunHandler>;
  let contracts: ContractRegistry;
  const runs = () =>
    lakehouse.query(
      `select run_id, job, env, cast(run_date as varchar) as run_date, status, seconds, error from audit.runs`,
    );

  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    results = [silver];
    contracts = await loadContracts(projectRoot);
    handler = createRecordRunHandler({
      project: 'medallion',
      env: 'dev',
      history: new RunHistory(lakehouse),
      contracts: contracts.all(),
      versions: new ContractVersions(lakehouse),
      executions: {
        taskResults: async (arn) => {
          expect(arn).toBe(execution);
          return results;
        },
      },
      logger: { info: () => {}, warn: () => {} },
      clock: new ManualClock(new Date('2026-01-02T03:00:00.000Z')),
    });
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

  it('an end delivered twice, or before the start, leaves one record of the end', async () => {
    await handler(statusChange('SUCCEEDED'));
    await handler(statusChange('RUNNING'));
    await handler(statusChange('SUCCEEDED'));
    expect(await runs()).toEqual([expect.objectContaining({ status: 'succeeded' })]);
    expect(await lakehouse.query('select count(*) as n from audit.run_datasets')).toEqual([
      { n: 1 },
    ]);
  });

  it('refuses events of state machines that are not this environment’s', async () => {
    const other = statusChange('RUNNING');
    other.detail.stateMachineArn = machine.replace('medallion-dev-daily', 'medallion-prod-daily');
    await expect(handler(other)).rejects.toThrow(PipelineError);
    await expect(handler(other)).rejects.toThrow(/medallion-prod-daily is not a state machine/);
    await expect(handler({ detail: {} })).rejects.toThrow(/record-run: invalid input/);
  });
});
