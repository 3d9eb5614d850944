/**
 * Run history: one row per run in `audit.runs`, one per dataset step in `audit.run_datasets`,
 * with the reconciliation verdict. Queryable like any other table.
 */
import type { EstimateRun } from './cost/estimate';
import type { RunUsage } from './cost/recording';
import type { RunsHistory } from './runs-report';
import type { SqlDialect, SqlEngine } from './ports';
import { reconciles, stepNotes, type DatasetStats, type TaskResult } from './stats';
import { isoTimestamp } from './time';

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
  /** State transitions, where the runtime counts them (the local runner does). */
  readonly transitions?: number;
}

const runColumns = [
  'run_id',
  'job',
  'env',
  'run_date',
  'status',
  'started_at',
  'ended_at',
  'seconds',
  'error',
  'transitions',
] as const;

/** One run as a single-row SELECT, typed as `audit.runs` declares its columns. */
function runRow(d: SqlDialect, run: RunRecord): string {
  const nullable = (value: string | undefined, type: string) =>
    value === undefined ? `cast(null as ${type})` : value;
  return `select ${d.string(run.runId)} as run_id, ${d.string(run.job)} as job, ${d.string(run.env)} as env,
    ${d.date(run.runDate)} as run_date, ${d.string(run.status)} as status, ${d.timestamp(run.startedAt)} as started_at,
    ${nullable(run.endedAt === undefined ? undefined : d.timestamp(run.endedAt), d.columnType('TIMESTAMP'))} as ended_at,
    ${nullable(run.seconds === undefined ? undefined : String(run.seconds), d.columnType('DOUBLE'))} as seconds,
    ${nullable(run.error === undefined ? undefined : d.string(run.error), d.columnType('VARCHAR'))} as error,
    ${nullable(run.transitions === undefined ? undefined : String(run.transitions), d.columnType('BIGINT'))} as transitions`;
}

export interface StepStats extends DatasetStats {
  readonly step: string;
  /** The function of the task catalogue that ran the step, where the runtime knows it (locally). */
  readonly task?: string;
}

/** The dataset steps of a run, from what its Task states returned. */
export function stepsOf(results: readonly TaskResult[]): StepStats[] {
  return results.flatMap((result) => result.datasets.map((d) => ({ ...d, step: result.step })));
}

export class RunHistory {
  constructor(private readonly engine: SqlEngine) {}

  /**
   * Runs still marked running when a new one starts locally belong to processes that died (the
   * lake lock guarantees no other run is alive): they are marked interrupted. Not for AWS, where
   * runs overlap and Step Functions reports every ending itself. Returns the runs it marked.
   */
  async interruptAbandoned(): Promise<
    Pick<RunRecord, 'runId' | 'job' | 'runDate' | 'startedAt'>[]
  > {
    const runs = this.engine.dialect.relation('audit.runs');
    const abandoned = await this.engine.query<{
      run_id: string;
      job: string;
      run_date: string;
      started_at: string;
    }>(
      `select run_id, job, cast(run_date as varchar) as run_date, cast(started_at as varchar) as started_at from ${runs} where status = 'running'`,
    );
    if (abandoned.length === 0) return [];
    await this.engine.execute(`update ${runs} set status = 'interrupted' where status = 'running'`);
    return abandoned.map((r) => ({
      runId: r.run_id,
      job: r.job,
      runDate: r.run_date,
      startedAt: isoTimestamp(r.started_at),
    }));
  }

  /**
   * Records a run as started, unless it is already recorded: on AWS the events announcing a run's
   * start and end may arrive twice or in either order.
   */
  async started(run: RunRecord): Promise<void> {
    const d = this.engine.dialect;
    await this.engine.execute(
      `merge into ${d.relation('audit.runs')} t using (${runRow(d, run)}) s on t.run_id = s.run_id
       when not matched then insert (${runColumns.join(', ')}) values (${runColumns.map((c) => `s.${c}`).join(', ')})`,
    );
  }

  /**
   * Records how a run ended and its dataset steps, replacing whatever was recorded for it before,
   * so recording the same ending twice changes nothing.
   */
  async finished(
    run: RunRecord & Required<Pick<RunRecord, 'endedAt' | 'seconds'>>,
    steps: readonly StepStats[],
  ): Promise<void> {
    const d = this.engine.dialect;
    const runs = d.relation('audit.runs');
    const datasets = d.relation('audit.run_datasets');
    await this.engine.transaction(async () => {
      await this.engine.execute(
        `merge into ${runs} t using (${runRow(d, run)}) s on t.run_id = s.run_id
         when matched then update set status = s.status, ended_at = s.ended_at, seconds = s.seconds, error = s.error, transitions = s.transitions
         when not matched then insert (${runColumns.join(', ')}) values (${runColumns.map((c) => `s.${c}`).join(', ')})`,
      );
      await this.engine.execute(`delete from ${datasets} where run_id = ${d.string(run.runId)}`);
      if (steps.length === 0) return;
      const rows = steps.map((s) => {
        const notes = stepNotes(s);
        const scanned = s.sql?.bytesScanned;
        const statements = s.sql?.statements;
        const nullOf = (type: string) => `cast(null as ${d.columnType(type)})`;
        return `(${[d.string(run.runId), d.string(s.step), d.string(s.dataset), d.string(s.layer), s.rowsIn, s.rowsOut, s.quarantined, s.duplicates, s.inserted, s.updated, s.deleted, s.seconds, reconciles(s), s.rejectedFiles?.length ?? 0, notes.length > 0 ? d.string(notes.join('\n')) : `cast(null as ${d.columnType('VARCHAR')})`, scanned === undefined ? `cast(null as ${d.columnType('BIGINT')})` : String(scanned), statements === undefined ? nullOf('BIGINT') : String(statements), s.task === undefined ? nullOf('VARCHAR') : d.string(s.task)].join(', ')})`;
      });
      await this.engine.execute(
        `insert into ${datasets}
           (run_id, step, dataset, layer, rows_in, rows_out, quarantined, duplicates, inserted, updated, deleted, seconds, reconciled, files_rejected, notes, bytes_scanned, statements, task)
         values ${rows.join(', ')}`,
      );
    });
  }

  /**
   * The latest runs, newest first, with what they wrote, the landing files they refused and
   * whether every dataset reconciled.
   */
  async latest(limit: number): Promise<Record<string, unknown>[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select r.run_id, r.job, cast(r.run_date as varchar) as run_date, r.status, cast(r.started_at as varchar) as started_at,
         round(r.seconds, 1) as seconds, coalesce(sum(s.rows_out), 0) as rows_written, coalesce(sum(s.quarantined), 0) as quarantined,
         coalesce(sum(s.files_rejected), 0) as files_rejected,
         coalesce(bool_and(s.reconciled), true) as reconciled, r.error
       from ${d.relation('audit.runs')} r left join ${d.relation('audit.run_datasets')} s on s.run_id = r.run_id
       group by r.run_id, r.job, r.run_date, r.status, r.started_at, r.seconds, r.error
       order by r.started_at desc limit ${Math.trunc(limit)}`,
    );
  }

  /**
   * The dataset steps of one run, in the order they ran: every job goes bronze, then silver, then
   * gold, so a step's layer is its place in the run (steps of one layer ran side by side).
   */
  async steps(runId: string): Promise<Record<string, unknown>[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select step, dataset, rows_in, rows_out, quarantined, duplicates, inserted, updated, deleted, seconds, reconciled,
         coalesce(files_rejected, 0) as files_rejected, notes
       from ${d.relation('audit.run_datasets')} where run_id = ${d.string(runId)}
       order by case layer when 'bronze' then 0 when 'silver' then 1 else 2 end, step, dataset`,
    );
  }

  /**
   * The runs whose run date falls in [from, to), each with what its dataset steps wrote: the units
   * the cost report divides the bill by.
   */
  async usage(period: { readonly from: string; readonly to: string }): Promise<RunUsage[]> {
    const d = this.engine.dialect;
    const rows = await this.engine.query<{
      run_id: string;
      job: string;
      run_date: string;
      status: string;
      dataset: string | null;
      layer: string | null;
      rows_out: number | bigint | null;
      bytes_scanned: number | bigint | null;
    }>(
      `select r.run_id, r.job, cast(r.run_date as varchar) as run_date, r.status, s.dataset, s.layer, s.rows_out, s.bytes_scanned
       from ${d.relation('audit.runs')} r left join ${d.relation('audit.run_datasets')} s on s.run_id = r.run_id
       where r.run_date >= ${d.date(period.from)} and r.run_date < ${d.date(period.to)}
       order by r.run_date, r.run_id, s.dataset`,
    );
    const runs = new Map<string, RunUsage & { datasets: RunUsage['datasets'][number][] }>();
    for (const row of rows) {
      const run = runs.get(row.run_id) ?? {
        runId: row.run_id,
        job: row.job,
        runDate: row.run_date,
        status: row.status,
        datasets: [],
      };
      runs.set(row.run_id, run);
      if (row.dataset !== null)
        run.datasets.push({
          dataset: row.dataset,
          layer: row.layer ?? '',
          rowsOut: Number(row.rows_out ?? 0),
          ...(row.bytes_scanned === null ? {} : { bytesScanned: Number(row.bytes_scanned) }),
        });
    }
    return [...runs.values()];
  }

  /**
   * Runs with what each dataset step took: the inputs of `medallion cost estimate`. One run by id,
   * or the latest `last` runs that have ended, oldest first.
   */
  async unitUsage(selection: { runId: string } | { last: number }): Promise<EstimateRun[]> {
    const d = this.engine.dialect;
    const runs = d.relation('audit.runs');
    const chosen =
      'runId' in selection
        ? `select run_id from ${runs} where run_id = ${d.string(selection.runId)}`
        : `select run_id from ${runs} where status <> 'running' order by started_at desc limit ${Math.trunc(selection.last)}`;
    const rows = await this.engine.query<{
      run_id: string;
      job: string;
      run_date: string;
      status: string;
      run_seconds: number | null;
      transitions: number | bigint | null;
      step: string | null;
      task: string | null;
      dataset: string | null;
      layer: string | null;
      seconds: number | null;
      statements: number | bigint | null;
      bytes_scanned: number | bigint | null;
    }>(
      `select r.run_id, r.job, cast(r.run_date as varchar) as run_date, r.status, r.seconds as run_seconds, r.transitions,
         s.step, s.task, s.dataset, s.layer, s.seconds, s.statements, s.bytes_scanned
       from ${runs} r left join ${d.relation('audit.run_datasets')} s on s.run_id = r.run_id
       where r.run_id in (${chosen})
       order by r.started_at, r.run_id, case s.layer when 'bronze' then 0 when 'silver' then 1 else 2 end, s.step, s.dataset`,
    );
    const found = new Map<string, EstimateRun & { steps: EstimateRun['steps'][number][] }>();
    for (const row of rows) {
      const run = found.get(row.run_id) ?? {
        runId: row.run_id,
        job: row.job,
        runDate: row.run_date,
        status: row.status,
        seconds: row.run_seconds ?? 0,
        ...(row.transitions === null ? {} : { transitions: Number(row.transitions) }),
        steps: [],
      };
      found.set(row.run_id, run);
      if (row.step !== null && row.dataset !== null)
        run.steps.push({
          step: row.step,
          ...(row.task === null ? {} : { task: row.task }),
          dataset: row.dataset,
          layer: row.layer ?? '',
          seconds: row.seconds ?? 0,
          ...(row.statements === null ? {} : { statements: Number(row.statements) }),
          ...(row.bytes_scanned === null ? {} : { bytesScanned: Number(row.bytes_scanned) }),
        });
    }
    return [...found.values()];
  }

  /**
   * What `medallion report runs` draws: the latest `limit` runs with their dataset steps and
   * quality scores, and when each gold table was last published by a succeeded run.
   */
  async reportHistory(limit: number): Promise<RunsHistory> {
    const d = this.engine.dialect;
    const runs = d.relation('audit.runs');
    const datasets = d.relation('audit.run_datasets');
    const chosen = `select run_id from ${runs} order by started_at desc limit ${Math.trunc(limit)}`;
    // One after the other: the engine runs one statement at a time on its connection.
    const runRows = await this.engine.query<{
      run_id: string;
      job: string;
      run_date: string;
      status: string;
      started_at: string;
      seconds: number | null;
      error: string | null;
    }>(
      `select run_id, job, cast(run_date as varchar) as run_date, status, cast(started_at as varchar) as started_at, seconds, error
         from ${runs} order by started_at desc limit ${Math.trunc(limit)}`,
    );
    const stepRows = await this.engine.query<{
      run_id: string;
      dataset: string;
      layer: string;
      rows_in: number | bigint;
      rows_out: number | bigint;
      quarantined: number | bigint;
    }>(
      `select run_id, dataset, layer, rows_in, rows_out, quarantined from ${datasets}
         where run_id in (${chosen}) order by run_id, dataset`,
    );
    const scoreRows = await this.engine.query<{
      dataset: string;
      layer: string;
      score: number;
      checked_at: string;
    }>(
      `select dataset, layer, score, cast(checked_at as varchar) as checked_at from ${d.relation('audit.dq_scores')}
         where run_id in (${chosen}) order by checked_at, dataset`,
    );
    const publishRows = await this.engine.query<{ dataset: string; published_at: string }>(
      `select s.dataset, cast(max(r.ended_at) as varchar) as published_at
         from ${datasets} s join ${runs} r on r.run_id = s.run_id
         where s.layer = 'gold' and r.status = 'succeeded' and r.ended_at is not null
         group by s.dataset order by s.dataset`,
    );
    return {
      runs: runRows.map((r) => ({
        runId: r.run_id,
        job: r.job,
        runDate: r.run_date,
        status: r.status,
        startedAt: isoTimestamp(r.started_at),
        ...(r.seconds === null ? {} : { seconds: Number(r.seconds) }),
        ...(r.error === null ? {} : { error: r.error }),
      })),
      steps: stepRows.map((s) => ({
        runId: s.run_id,
        dataset: s.dataset,
        layer: s.layer,
        rowsIn: Number(s.rows_in),
        rowsOut: Number(s.rows_out),
        quarantined: Number(s.quarantined),
      })),
      scores: scoreRows.map((s) => ({
        dataset: s.dataset,
        layer: s.layer,
        score: Number(s.score),
        checkedAt: isoTimestamp(s.checked_at),
      })),
      publishes: publishRows.map((p) => ({
        dataset: p.dataset,
        publishedAt: isoTimestamp(p.published_at),
      })),
    };
  }

  /** The latest date a run of one of `jobs` completed for: the date the lake is as of. */
  async lastCompletedDate(jobs: readonly string[]): Promise<string | undefined> {
    const d = this.engine.dialect;
    const [row] = await this.engine.query<{ run_date: string | null }>(
      `select cast(max(run_date) as varchar) as run_date from ${d.relation('audit.runs')}
       where status = 'succeeded' and job in (${jobs.map((j) => d.string(j)).join(', ')})`,
    );
    return row?.run_date ?? undefined;
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
