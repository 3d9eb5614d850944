import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { auditTables } from '../../lambdas/core/audit';
import { RunHistory, type StepStats } from '../../lambdas/core/runs';
import { emptyLakehouse } from '../helpers/lake';

const run = {
  runId: 'run-1',
  job: 'daily',
  env: 'dev',
  runDate: '2026-01-02',
  startedAt: '2026-01-02T02:00:00.000Z',
};
const ended = { endedAt: '2026-01-02T02:05:00.000Z', seconds: 300 };
const step: StepStats = {
  step: 'bronze_to_silver',
  dataset: 'silver.orders',
  layer: 'silver',
  rowsIn: 10,
  rowsOut: 8,
  quarantined: 1,
  duplicates: 1,
  inserted: 8,
  updated: 0,
  deleted: 0,
  seconds: 1.2,
};

describe('run history', () => {
  let close: () => void;
  let lakehouse: DuckDbLakehouse;
  let history: RunHistory;
  const runs = () =>
    lakehouse.query(
      `select run_id, status, cast(ended_at as varchar) as ended_at, seconds, error from audit.runs order by run_id`,
    );
  const datasets = () =>
    lakehouse.query(`select run_id, dataset, rows_out, reconciled from audit.run_datasets`);

  beforeEach(async () => {
    ({ lakehouse, close } = await emptyLakehouse());
    history = new RunHistory(lakehouse);
  });
  afterEach(() => {
    close();
  });

  it('every audit table carries the description core/audit.ts declares', async () => {
    const described = await lakehouse.query<{ table_name: string; comment: string }>(
      `select table_name, comment from duckdb_tables() where schema_name = 'audit' and comment is not null order by table_name`,
    );
    expect(described).toEqual(
      Object.entries(auditTables)
        .map(([table_name, { description }]) => ({ table_name, comment: description }))
        .sort((a, b) => a.table_name.localeCompare(b.table_name)),
    );
  });

  it('records a run from start to end, with its steps and their reconciliation', async () => {
    await history.started({ ...run, status: 'running' });
    expect(await runs()).toEqual([
      { run_id: 'run-1', status: 'running', ended_at: null, seconds: null, error: null },
    ]);
    await history.finished({ ...run, ...ended, status: 'succeeded' }, [step]);
    expect(await runs()).toEqual([
      {
        run_id: 'run-1',
        status: 'succeeded',
        ended_at: '2026-01-02 02:05:00',
        seconds: 300,
        error: null,
      },
    ]);
    expect(await datasets()).toEqual([
      { run_id: 'run-1', dataset: 'silver.orders', rows_out: 8, reconciled: true },
    ]);
  });

  it('lists a run’s steps in the order they ran: ingestion, then silver, then gold', async () => {
    await history.finished({ ...run, ...ended, status: 'succeeded' }, [
      { ...step, step: 'silver_to_gold', dataset: 'gold.fact_orders', layer: 'gold' },
      step,
      { ...step, step: 'snowflake_to_bronze', dataset: 'snowflake.orders', layer: 'bronze' },
      { ...step, step: 'crm_to_bronze', dataset: 'crm.accounts', layer: 'bronze' },
    ]);
    expect((await history.steps('run-1')).map((s) => s.step)).toEqual([
      'crm_to_bronze',
      'snowflake_to_bronze',
      'bronze_to_silver',
      'silver_to_gold',
    ]);
  });

  it('recording the same events twice, or the end before the start, leaves one correct record', async () => {
    await history.finished(
      { ...run, ...ended, status: 'failed', error: 'TransientError: throttled' },
      [step],
    );
    await history.started({ ...run, status: 'running' });
    await history.started({ ...run, status: 'running' });
    await history.finished(
      { ...run, ...ended, status: 'failed', error: 'TransientError: throttled' },
      [step],
    );
    expect(await runs()).toEqual([
      {
        run_id: 'run-1',
        status: 'failed',
        ended_at: '2026-01-02 02:05:00',
        seconds: 300,
        error: 'TransientError: throttled',
      },
    ]);
    expect(await datasets()).toHaveLength(1);
  });

  it('marks runs abandoned by a dead local process as interrupted, and only those', async () => {
    await history.started({ ...run, status: 'running' });
    await history.started({ ...run, runId: 'run-2', status: 'running' });
    await history.finished({ ...run, runId: 'run-2', ...ended, status: 'succeeded' }, []);
    await history.interruptAbandoned();
    expect((await runs()).map((r) => [r.run_id, r.status])).toEqual([
      ['run-1', 'interrupted'],
      ['run-2', 'succeeded'],
    ]);
  });

  it('adds the audit columns declared since a lake was made when it opens', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'medallion-lakehouse-'));
    const open = () =>
      DuckDbLakehouse.open({ lakeRoot: root, threads: 1, memoryLimit: '256MB', bronze: [] });
    try {
      const before = await open();
      await before.execute('alter table audit.run_datasets drop column files_rejected');
      await before.execute('alter table audit.run_datasets drop column notes');
      before.close();
      const after = await open();
      await new RunHistory(after).finished({ ...run, ...ended, status: 'succeeded' }, [
        { ...step, rejectedFiles: [{ file: 'landing/a.csv', reason: 'not UTF-8' }] },
      ]);
      expect(await after.query('select files_rejected, notes from audit.run_datasets')).toEqual([
        { files_rejected: 1, notes: 'rejected landing/a.csv: not UTF-8' },
      ]);
      after.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('lists the runs of a period with what each wrote and scanned, runs that wrote nothing included', async () => {
    await history.finished({ ...run, ...ended, status: 'succeeded' }, [
      step,
      {
        ...step,
        dataset: 'gold.fact_orders',
        layer: 'gold',
        rowsOut: 5,
        sql: { statements: 4, lookups: 1, bytesScanned: 123_456_789_012 },
      },
    ]);
    await history.finished(
      { ...run, ...ended, runId: 'run-2', runDate: '2026-01-03', status: 'failed', error: 'x' },
      [],
    );
    await history.finished(
      { ...run, ...ended, runId: 'run-0', runDate: '2026-01-01', status: 'succeeded' },
      [step],
    );
    expect(await history.usage({ from: '2026-01-02', to: '2026-01-04' })).toEqual([
      {
        runId: 'run-1',
        job: 'daily',
        runDate: '2026-01-02',
        status: 'succeeded',
        datasets: [
          {
            dataset: 'gold.fact_orders',
            layer: 'gold',
            rowsOut: 5,
            bytesScanned: 123_456_789_012,
          },
          // Built on DuckDB, which measures no bytes scanned: recorded as unknown, not as 0.
          { dataset: 'silver.orders', layer: 'silver', rowsOut: 8 },
        ],
      },
      { runId: 'run-2', job: 'daily', runDate: '2026-01-03', status: 'failed', datasets: [] },
    ]);
  });
});
