/**
 * Run history: one row per run in `audit.runs`, one per dataset step in `audit.run_datasets`,
 * with the reconciliation verdict. Queryable like any other table.
 */
import type { SqlEngine } from './ports';
import { reconciles, type DatasetStats } from './stats';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface RunRecord {
  readonly runId: string;
  readonly job: string;
  readonly env: string;
  readonly runDate: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly seconds?: number;
  readonly error?: string;
}

export interface StepStats extends DatasetStats {
  readonly step: string;
}

export class RunHistory {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * Records a run as started. Runs still marked running belong to processes that died (the lake
   * lock guarantees no other run is alive), so they are marked interrupted.
   */
  async started(run: RunRecord): Promise<void> {
    const d = this.engine.dialect;
    await this.engine.execute(
      `update ${d.relation('audit.runs')} set status = 'interrupted' where status = 'running'`,
    );
    await this.engine.execute(
      `insert into ${d.relation('audit.runs')} (run_id, job, env, run_date, status, started_at)
       values (${d.string(run.runId)}, ${d.string(run.job)}, ${d.string(run.env)}, ${d.date(run.runDate)}, 'running', ${d.timestamp(run.startedAt)})`,
    );
  }

  async finished(
    run: Required<Pick<RunRecord, 'runId' | 'status' | 'endedAt' | 'seconds'>> &
      Pick<RunRecord, 'error'>,
    steps: readonly StepStats[],
  ): Promise<void> {
    const d = this.engine.dialect;
    await this.engine.transaction(async () => {
      await this.engine.execute(
        `update ${d.relation('audit.runs')} set status = ${d.string(run.status)}, ended_at = ${d.timestamp(run.endedAt)},
           seconds = ${run.seconds}, error = ${run.error === undefined ? 'null' : d.string(run.error)}
         where run_id = ${d.string(run.runId)}`,
      );
      if (steps.length === 0) return;
      const rows = steps.map(
        (s) =>
          `(${[d.string(run.runId), d.string(s.step), d.string(s.dataset), d.string(s.layer), s.rowsIn, s.rowsOut, s.quarantined, s.duplicates, s.inserted, s.updated, s.deleted, s.seconds, reconciles(s)].join(', ')})`,
      );
      await this.engine.execute(
        `insert into ${d.relation('audit.run_datasets')}
           (run_id, step, dataset, layer, rows_in, rows_out, quarantined, duplicates, inserted, updated, deleted, seconds, reconciled)
         values ${rows.join(', ')}`,
      );
    });
  }

  /** The latest runs, newest first, with what they wrote and whether every dataset reconciled. */
  async latest(limit: number): Promise<Record<string, unknown>[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select r.run_id, r.job, cast(r.run_date as varchar) as run_date, r.status, cast(r.started_at as varchar) as started_at,
         round(r.seconds, 1) as seconds, coalesce(sum(s.rows_out), 0) as rows_written, coalesce(sum(s.quarantined), 0) as quarantined,
         coalesce(bool_and(s.reconciled), true) as reconciled, r.error
       from ${d.relation('audit.runs')} r left join ${d.relation('audit.run_datasets')} s on s.run_id = r.run_id
       group by r.run_id, r.job, r.run_date, r.status, r.started_at, r.seconds, r.error
       order by r.started_at desc limit ${Math.trunc(limit)}`,
    );
  }

  /** The dataset steps of one run. */
  async steps(runId: string): Promise<Record<string, unknown>[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select step, dataset, rows_in, rows_out, quarantined, duplicates, inserted, updated, deleted, seconds, reconciled
       from ${d.relation('audit.run_datasets')} where run_id = ${d.string(runId)} order by step, dataset`,
    );
  }

  /** Dates whose `job` run succeeded, to resume a catch-up. */
  async succeededDates(job: string): Promise<Set<string>> {
    const d = this.engine.dialect;
    const rows = await this.engine.query<{ run_date: string }>(
      `select distinct cast(run_date as varchar) as run_date from ${d.relation('audit.runs')} where job = ${d.string(job)} and status = 'succeeded'`,
    );
    return new Set(rows.map((r) => r.run_date));
  }
}
