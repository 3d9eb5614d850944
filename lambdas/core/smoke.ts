/**
 * The smoke test of a deployed environment (`medallion smoke`, run by the delivery pipeline after
 * a stage): a small landing file goes into the landing zone, a pipeline run is started and must
 * succeed, and the file's rows must then be in bronze exactly once. It proves the deployment
 * works end to end (buckets, events, functions, state machine, catalog, Lake Formation, Athena),
 * not that the data is right: the tests do that.
 *
 * Idempotent: the file is named after its content, so a second smoke test writes the same key,
 * and the landing ingestion recognises content it has ingested before and does not ingest it
 * again. Its rows stay in the environment (bronze keeps what it ingested).
 */
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Contract } from './contracts/contract';
import { PipelineError } from './errors';
import { landingFolder } from './ingest/landing';
import type { Clock, ObjectStore, RunStarter, SqlDialect, SqlEngine } from './ports';

/** Where a run is: Step Functions' execution status on AWS, with its error once it failed. */
export interface RunStatus {
  readonly state: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  readonly error?: string;
  readonly cause?: string;
}

/** Reads a started run's status. */
export interface RunWatcher {
  status(runId: string): Promise<RunStatus>;
}

export interface SmokeDeps {
  /** The lake, keyed as locally: the landing file goes under `landing/`. */
  readonly store: ObjectStore;
  readonly starter: RunStarter;
  readonly watcher: RunWatcher;
  readonly engine: SqlEngine;
  readonly clock: Clock;
}

export interface SmokePlan {
  /** The bronze contract of the landing dataset: its relation and primary key. */
  readonly contract: Contract;
  readonly source: string;
  readonly dataset: string;
  /** The file's name, for its extension (`csv`, `json`, `jsonl`). */
  readonly fileName: string;
  readonly text: string;
  /** A run still going after this long fails the smoke test. */
  readonly timeoutMs: number;
  /** First wait between status reads, doubled after each. @default 5000 */
  readonly pollIntervalMs?: number;
  /** @default 60000 */
  readonly maxPollIntervalMs?: number;
}

export interface SmokeResult {
  readonly key: string;
  readonly runId: string;
  /** Rows of the file found in bronze, as many as the file has. */
  readonly rows: number;
}

/** Why the smoke test failed: the message says what was expected and what was found. */
export class SmokeTestError extends PipelineError {}

/** Lands the file, runs the pipeline, checks its rows reached bronze once. */
export async function runSmokeTest(deps: SmokeDeps, plan: SmokePlan): Promise<SmokeResult> {
  const records = parseRecords(plan.fileName, plan.text);
  const key = smokeFileKey(plan);
  await deps.store.putText(key, plan.text);

  const runId = await deps.starter.start({});
  const status = await waitForRun(deps, runId, plan);
  if (status.state !== 'SUCCEEDED') {
    const error = status.error
      ? `: ${status.error}${status.cause ? ` (${status.cause})` : ''}`
      : '';
    throw new SmokeTestError(`Run ${runId} ended ${status.state}${error}`);
  }
  if (await deps.store.exists(key)) {
    throw new SmokeTestError(
      `Run ${runId} succeeded but left ${key} in the landing zone: the landing ingestion did not pick it up`,
    );
  }
  const sql = countSql(deps.engine.dialect, plan.contract, records);
  const [row] = await deps.engine.query<{ n: number }>(sql);
  const rows = Number(row?.n ?? 0);
  if (rows !== records.length) {
    throw new SmokeTestError(
      `${plan.contract.relation} holds ${rows} row(s) with the keys of the ${records.length} in ${key} after run ${runId}: ${rows < records.length ? 'the file was rejected or only partly ingested (see its rejected/ folder)' : 'rows were ingested more than once'}`,
    );
  }
  return { key, runId, rows };
}

/** `landing/<source>/<dataset>/smoke-<content hash>.<ext>`: the same file always lands at the same key. */
export function smokeFileKey(plan: Pick<SmokePlan, 'source' | 'dataset' | 'fileName' | 'text'>) {
  const extension = plan.fileName.slice(plan.fileName.lastIndexOf('.') + 1);
  const hash = createHash('sha256').update(plan.text).digest('hex').slice(0, 16);
  return `${landingFolder(plan.source, plan.dataset)}smoke-${hash}.${extension}`;
}

/** Polls the run with exponential backoff until it ends or the timeout passes. */
async function waitForRun(deps: SmokeDeps, runId: string, plan: SmokePlan): Promise<RunStatus> {
  const first = plan.pollIntervalMs ?? 5_000;
  const longest = plan.maxPollIntervalMs ?? 60_000;
  const startedAt = deps.clock.now().getTime();
  for (let attempt = 0; ; attempt++) {
    const status = await deps.watcher.status(runId);
    if (status.state !== 'RUNNING') return status;
    const waited = deps.clock.now().getTime() - startedAt;
    if (waited >= plan.timeoutMs) {
      throw new SmokeTestError(
        `Run ${runId} was still running after ${Math.round(plan.timeoutMs / 60_000)} minute(s)`,
      );
    }
    await deps.clock.sleep(Math.min(first * 2 ** attempt, longest, plan.timeoutMs - waited));
  }
}

/** The file's records, each a column → text map. */
function parseRecords(fileName: string, text: string): Record<string, unknown>[] {
  const records: unknown = fileName.endsWith('.csv')
    ? parse(text, { columns: true, skip_empty_lines: true })
    : fileName.endsWith('.jsonl')
      ? text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown)
      : JSON.parse(text);
  if (!Array.isArray(records) || records.length === 0) {
    throw new SmokeTestError(`${fileName} holds no records: a smoke test needs at least one row`);
  }
  return records as Record<string, unknown>[];
}

/** Counts the bronze rows with the primary keys of the file's records. */
export function countSql(
  dialect: SqlDialect,
  contract: Contract,
  records: readonly Record<string, unknown>[],
): string {
  const key = contract.primaryKey;
  if (key.length === 0) {
    throw new SmokeTestError(
      `${contract.id} declares no primary key: the smoke test finds the file's rows by it`,
    );
  }
  const matches = records.map((record) => {
    const parts = key.map((column) => {
      const value = record[column];
      if (value === undefined || value === null || value === '') {
        throw new SmokeTestError(
          `A record of the smoke file has no ${column} (a primary key column)`,
        );
      }
      return `cast(${dialect.quote(column)} as varchar) = ${dialect.string(String(value))}`;
    });
    return `(${parts.join(' and ')})`;
  });
  return `select count(*) as n from ${dialect.relation(contract.relation)} where ${matches.join('\n  or ')}`;
}
