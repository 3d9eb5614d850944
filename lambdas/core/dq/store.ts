/**
 * Data-quality evidence in the audit store: `audit.dq_results` (every check of every run, with
 * failing samples), `audit.dq_scores` (a score per dataset per run) and `audit.dq_profiles`
 * (column profiles: a gate's holds only what its checks read, and `partial` says so). A gate
 * clears what an earlier attempt of the same run saved for its datasets before saving, so a
 * retried task records its evidence once.
 */
import type { Row, SqlEngine } from '../ports';
import type { AnomalyMetric } from './checks';
import type { Profile } from './profile';
import type { CheckResult } from './run';

export interface DatasetQuality {
  readonly dataset: string;
  readonly layer: string;
  readonly score: number;
  readonly rows: number;
  readonly checks: number;
  readonly failedErrors: number;
  readonly failedWarnings: number;
}

export interface QualityEvidence {
  readonly runId: string;
  readonly runDate: string;
  readonly at: string;
  readonly quality: DatasetQuality;
  readonly profile: Profile;
  readonly results: readonly CheckResult[];
}

/** Profile columns holding each anomaly metric; the row count comes from the scores. */
const profileMetric: Record<Exclude<AnomalyMetric, 'rowCount'>, string> = {
  nullPercent: 'null_percent',
  distinctCount: 'distinct_count',
  mean: 'mean',
  stddev: 'stddev',
  median: 'median',
  avgLength: 'avg_length',
};

/** Below Athena's limit on a query string (262,144 bytes), leaving room for the statement's head. */
const maxStatementBytes = 200_000;

export class QualityStore {
  constructor(private readonly engine: SqlEngine) {}

  /** Removes what an earlier attempt of this run saved for these datasets. */
  async clear(runId: string, datasets: readonly string[]): Promise<void> {
    if (datasets.length === 0) return;
    const d = this.engine.dialect;
    const where = `run_id = ${d.string(runId)} and dataset in (${datasets.map((x) => d.string(x)).join(', ')})`;
    for (const table of ['dq_results', 'dq_scores', 'dq_profiles'])
      await this.engine.execute(`delete from ${d.relation(`audit.${table}`)} where ${where}`);
  }

  /**
   * Saves the evidence of a layer's datasets in one transaction, one INSERT per table (or a few,
   * for a long one) rather than three per dataset: on Athena each is a query and an Iceberg commit.
   */
  async save(evidence: readonly QualityEvidence[]): Promise<void> {
    const d = this.engine.dialect;
    const s = (v: string | null | undefined) =>
      v === null || v === undefined ? 'null' : d.string(v);
    const n = (v: number | null | undefined) =>
      v === null || v === undefined || !Number.isFinite(v) ? 'null' : String(v);
    const scores: string[] = [];
    const results: string[] = [];
    const profiles: string[] = [];
    for (const { runId, runDate, at, quality, profile, results: checks } of evidence) {
      const head = `${s(runId)}, ${d.date(runDate)}, ${s(quality.dataset)}`;
      scores.push(
        `(${head}, ${s(quality.layer)}, ${n(quality.score)}, ${n(quality.rows)}, ${n(quality.checks)}, ${n(quality.failedErrors)}, ${n(quality.failedWarnings)}, ${d.timestamp(at)})`,
      );
      for (const r of checks)
        results.push(
          `(${head}, ${s(quality.layer)}, ${s(r.check)}, ${s(r.kind)}, ${s(r.column)}, ${s(r.severity)}, ${s(r.dimension)}, ${s(r.status)}, ${n(r.observed)}, ${s(r.expected)}, ${n(r.failingRows)}, ${n(r.totalRows)}, ${s(JSON.stringify(r.sample))}, ${s(r.message)}, ${d.timestamp(at)})`,
        );
      for (const c of profile.columns)
        profiles.push(
          `(${head}, ${s(c.column)}, ${s(c.type)}, ${n(c.rows)}, ${n(c.nulls)}, ${n(c.nullPercent)}, ${n(c.distinctCount)}, ${s(c.min)}, ${s(c.max)}, ${n(c.mean)}, ${n(c.stddev)}, ${n(c.p25)}, ${n(c.median)}, ${n(c.p75)}, ${n(c.minLength)}, ${n(c.avgLength)}, ${n(c.maxLength)}, ${c.topValues === null ? 'null' : s(JSON.stringify(c.topValues))}, ${'partial' in profile ? 'true' : 'false'}, ${d.timestamp(at)})`,
        );
    }
    await this.engine.transaction(async () => {
      await this.insert(
        `insert into ${d.relation('audit.dq_scores')} (run_id, run_date, dataset, layer, score, row_count, checks, failed_errors, failed_warnings, checked_at)`,
        scores,
      );
      await this.insert(
        `insert into ${d.relation('audit.dq_results')} (run_id, run_date, dataset, layer, check_name, kind, column_name, severity, dimension, status, observed, expected, failing_rows, total_rows, sample, message, checked_at)`,
        results,
      );
      await this.insert(
        `insert into ${d.relation('audit.dq_profiles')} (run_id, run_date, dataset, column_name, data_type, row_count, nulls, null_percent, distinct_count, min_value, max_value, mean, stddev, p25, median, p75, min_length, avg_length, max_length, top_values, partial, profiled_at)`,
        profiles,
      );
    });
  }

  /** Inserts VALUES rows in as few statements as Athena's 256 KB query limit allows. */
  private async insert(head: string, rows: readonly string[]): Promise<void> {
    const bytes = (text: string) => new TextEncoder().encode(text).length;
    let batch: string[] = [];
    let size = bytes(head);
    for (const row of rows) {
      const rowSize = bytes(row) + 2;
      if (batch.length > 0 && size + rowSize > maxStatementBytes) {
        await this.engine.execute(`${head} values ${batch.join(', ')}`);
        batch = [];
        size = bytes(head);
      }
      batch.push(row);
      size += rowSize;
    }
    if (batch.length > 0) await this.engine.execute(`${head} values ${batch.join(', ')}`);
  }

  /** A metric's values in earlier runs than `runId`, newest first. */
  async history(
    dataset: string,
    metric: AnomalyMetric,
    column: string | undefined,
    runId: string,
    limit: number,
  ): Promise<number[]> {
    const d = this.engine.dialect;
    const sql =
      metric === 'rowCount'
        ? `select cast(row_count as double) as "value" from ${d.relation('audit.dq_scores')}
           where dataset = ${d.string(dataset)} and run_id <> ${d.string(runId)} and row_count > 0
           order by checked_at desc limit ${limit}`
        : `select cast(${profileMetric[metric]} as double) as "value" from ${d.relation('audit.dq_profiles')}
           where dataset = ${d.string(dataset)} and column_name = ${d.string(column ?? '')} and run_id <> ${d.string(runId)}
             and row_count > 0 and ${profileMetric[metric]} is not null
           order by profiled_at desc limit ${limit}`;
    return (await this.engine.query<{ value: number }>(sql)).map((r) => Number(r.value));
  }

  /**
   * Scores of the latest `limitRuns` runs with quality evidence, newest first; with `upTo`, of
   * that run and the ones before it.
   */
  async scores(limitRuns: number, upTo?: string): Promise<Row[]> {
    const d = this.engine.dialect;
    const table = d.relation('audit.dq_scores');
    const runs = `select run_id, max(checked_at) as last_checked from ${table} group by run_id`;
    const until = upTo
      ? `where last_checked <= (select max(checked_at) from ${table} where run_id = ${d.string(upTo)})`
      : '';
    return this.engine.query(
      `select s.run_id, cast(s.run_date as varchar) as run_date, s.dataset, s.layer, s.score, s.row_count, s.checks, s.failed_errors, s.failed_warnings
       from ${table} s
       where s.run_id in (select run_id from (${runs}) r ${until} order by last_checked desc limit ${Math.trunc(limitRuns)})
       order by s.checked_at desc, s.dataset`,
    );
  }

  async results(runId: string): Promise<Row[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select dataset, layer, check_name, kind, column_name, severity, dimension, status, observed, expected, failing_rows, total_rows, sample, message
       from ${d.relation('audit.dq_results')} where run_id = ${d.string(runId)} order by dataset, check_name`,
    );
  }

  async profiles(runId: string): Promise<Row[]> {
    const d = this.engine.dialect;
    return this.engine.query(
      `select dataset, column_name, data_type, row_count, nulls, null_percent, distinct_count, min_value, max_value, mean, stddev, p25, median, p75, min_length, avg_length, max_length, top_values, coalesce(partial, false) as partial
       from ${d.relation('audit.dq_profiles')} where run_id = ${d.string(runId)} order by dataset, column_name`,
    );
  }
}
