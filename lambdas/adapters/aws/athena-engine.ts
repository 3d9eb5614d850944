import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
  type QueryExecution,
  type QueryExecutionStatus,
  type Row as AthenaRow,
} from '@aws-sdk/client-athena';
import { GetTableCommand, type GlueClient } from '@aws-sdk/client-glue';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock, ColumnSpec, Row, SqlDialect, SqlEngine } from '../../core/ports';
import { withoutKeys } from '../../core/privacy/operators';
import { systemClock } from '../system-clock';
import { athenaDialect, glueTableName, type AthenaDialectOptions } from './athena-dialect';

export interface AthenaEngineOptions extends AthenaDialectOptions {
  /** Workgroup the queries run in: its engine version, result location and scan limit apply. */
  readonly workgroup: string;
  /** First wait between status polls, doubled after each poll. @default 100 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** A query still queued or running after this long is stopped and fails. @default 10 minutes */
  readonly timeoutMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** API errors that mean "busy or briefly unavailable" once the SDK's own retries are spent. */
const transientApiErrors = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalServerException',
  'InternalServiceException',
  'ServiceUnavailableException',
  'OperationTimeoutException',
  'ConcurrentModificationException',
]);

/**
 * Query failures worth running again: a concurrent Iceberg commit won, Athena or S3 was busy, the
 * engine failed internally. Athena flags some itself (`AthenaError.Retryable`, category 1: system).
 */
const transientQueryErrors =
  /ICEBERG_COMMIT_ERROR|INTERNAL_ERROR_QUERY_ENGINE|Rate exceeded|SlowDown|Slow Down|reduce your request rate|ThrottlingException|TooManyRequestsException|TOO_MANY_REQUESTS/i;
const systemErrorCategory = 1;

const numericTypes = new Set([
  'tinyint',
  'smallint',
  'integer',
  'bigint',
  'real',
  'float',
  'double',
]);

/**
 * Athena engine v3 on the Glue catalog: each statement is one query execution, polled with
 * exponential backoff until it ends. Failures Athena or the SDK mark as passing (throttling, a lost
 * Iceberg commit race, internal errors) become {@link TransientError}, which the state machines
 * retry; everything else is a {@link PipelineError} with Athena's message and the statement.
 */
export class AthenaEngine implements SqlEngine {
  readonly dialect: SqlDialect;
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private scanned = 0;

  constructor(
    private readonly athena: AthenaClient,
    private readonly glue: GlueClient,
    private readonly options: AthenaEngineOptions,
  ) {
    this.dialect = athenaDialect(options);
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 10 * 60_000;
    this.clock = options.clock ?? systemClock;
  }

  /** What the queries that succeeded scanned (`Statistics.DataScannedInBytes`): what Athena bills. */
  get bytesScanned(): number {
    return this.scanned;
  }

  /** The rows a DML statement or CTAS wrote (Athena's UpdateCount); 0 for anything else. */
  async execute(sql: string): Promise<number> {
    const execution = await this.run(sql);
    if (execution.StatementType !== 'DML' || execution.SubstatementType === 'SELECT') return 0;
    const page = await this.call('GetQueryResults', sql, () =>
      this.athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: execution.QueryExecutionId,
          MaxResults: 1,
        }),
      ),
    );
    return page.UpdateCount ?? 0;
  }

  /** Every page of the result, typed by the column metadata (numbers, booleans, NULLs; the rest as text). */
  async query<T extends Row = Row>(sql: string): Promise<T[]> {
    const execution = await this.run(sql);
    const rows: T[] = [];
    // A SELECT's result starts with a row of column names.
    let header = execution.StatementType === 'DML';
    let columns: readonly ColumnInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('GetQueryResults', sql, () =>
        this.athena.send(
          new GetQueryResultsCommand({
            QueryExecutionId: execution.QueryExecutionId,
            NextToken: token,
          }),
        ),
      );
      if (token === undefined) columns = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      for (const row of page.ResultSet?.Rows ?? []) {
        if (header) header = false;
        else rows.push(typedRow(columns, row) as T);
      }
      token = page.NextToken;
    } while (token);
    return rows;
  }

  /**
   * Bronze tables are Glue tables with partition projection: new objects are visible to the next
   * query without registering partitions, so there is nothing to refresh.
   */
  async refreshSources(): Promise<void> {}

  /**
   * Athena has no multi-statement transactions: the work runs as it is, and each statement commits
   * on its own (one Iceberg snapshot per table written). Readers never see half a table, since each
   * commit is atomic, but a crash between a model's statements can publish its rows without its
   * watermarks. The next run then reads the same input again, from the watermarks last saved (from
   * the first bronze row if the crash fell between deleting and writing them), and converges:
   * MERGE by key and the type-2 close-then-open make re-applying rows a no-op, the change feed's
   * readers group its entries by key, and quarantine records the repeated failures once more under
   * the new run id.
   */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  async relationExists(relation: string): Promise<boolean> {
    const { database, table } = glueTableName(this.options.project, this.options.env, relation);
    try {
      await this.glue.send(new GetTableCommand({ DatabaseName: database, Name: table }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'EntityNotFoundException') return false;
      throw apiError(`Glue GetTable ${database}.${table}`, error, undefined);
    }
  }

  /** Runs the SELECT for no rows and reads its column metadata, in portable type names. */
  async describe(select: string): Promise<ColumnSpec[]> {
    const sql = `select * from (${select}) described limit 0`;
    const execution = await this.run(sql);
    const page = await this.call('GetQueryResults', sql, () =>
      this.athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: execution.QueryExecutionId,
          MaxResults: 1,
        }),
      ),
    );
    return (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => ({
      name: c.Name ?? '',
      type: portableType(c),
    }));
  }

  /** Starts a query and waits for it to end, polling with exponential backoff up to the timeout. */
  private async run(sql: string): Promise<QueryExecution> {
    const started = await this.call('StartQueryExecution', sql, () =>
      this.athena.send(
        new StartQueryExecutionCommand({ QueryString: sql, WorkGroup: this.options.workgroup }),
      ),
    );
    const id = started.QueryExecutionId;
    if (!id) {
      throw new PipelineError(
        `Athena StartQueryExecution in workgroup ${this.options.workgroup} returned no query id${statement(sql)}`,
      );
    }
    const startedAt = this.clock.now().getTime();
    for (let attempt = 0; ; attempt++) {
      const { QueryExecution: execution } = await this.call('GetQueryExecution', sql, () =>
        this.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })),
      );
      const status = execution?.Status;
      if (execution && status?.State === 'SUCCEEDED') {
        this.scanned += execution.Statistics?.DataScannedInBytes ?? 0;
        return execution;
      }
      if (status?.State === 'FAILED' || status?.State === 'CANCELLED') {
        throw queryError(id, status, sql);
      }
      const waited = this.clock.now().getTime() - startedAt;
      if (waited >= this.timeoutMs) throw await this.stop(id, status?.State ?? 'QUEUED', sql);
      const backoff = Math.min(this.pollIntervalMs * 2 ** attempt, this.maxPollIntervalMs);
      await this.clock.sleep(Math.min(backoff, this.timeoutMs - waited));
    }
  }

  /**
   * Stops a query that outlived the timeout. One still queued waited for capacity (the account's
   * concurrency limit), which a later attempt may find: that is transient. One still running is
   * too slow for this timeout, and would be again.
   */
  private async stop(id: string, state: string, sql: string): Promise<PipelineError> {
    const stopped = await this.athena
      .send(new StopQueryExecutionCommand({ QueryExecutionId: id }))
      .then(
        () => '',
        (error: unknown) => ` (stopping it failed too: ${(error as Error).message})`,
      );
    const seconds = this.timeoutMs / 1000;
    const message = `Athena query ${id} was still ${state.toLowerCase()} after ${seconds} s and was stopped${stopped}${statement(sql)}`;
    return state === 'QUEUED' ? new TransientError(message) : new PipelineError(message);
  }

  /** One Athena API call; its failure becomes a platform error naming the call and the statement. */
  private async call<T>(operation: string, sql: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw apiError(`Athena ${operation}`, error, sql);
    }
  }
}

interface AwsErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/** An AWS API failure as the state machines see it: transient (retried) or permanent. */
export function apiError(call: string, error: unknown, sql?: string): PipelineError {
  if (error instanceof PipelineError) return error;
  const e = error as AwsErrorShape;
  const status = e.$metadata?.httpStatusCode ?? 0;
  const message = withoutKeys(
    `${call} failed: ${e.name ?? 'Error'}: ${e.message ?? String(error)}${sql === undefined ? '' : statement(sql)}`,
  );
  const transient =
    transientApiErrors.has(e.name ?? '') ||
    e.$retryable !== undefined ||
    status === 429 ||
    status >= 500;
  return transient
    ? new TransientError(message, { cause: error })
    : new PipelineError(message, { cause: error });
}

function queryError(id: string, status: QueryExecutionStatus, sql: string): PipelineError {
  const error = status.AthenaError;
  const reason = error?.ErrorMessage ?? status.StateChangeReason ?? 'Athena gave no reason';
  const message = withoutKeys(
    `Athena query ${id} ${status.State!.toLowerCase()}: ${reason}${statement(sql)}`,
  );
  const transient =
    error?.Retryable === true ||
    error?.ErrorCategory === systemErrorCategory ||
    transientQueryErrors.test(`${reason} ${status.StateChangeReason ?? ''}`);
  return transient ? new TransientError(message) : new PipelineError(message);
}

/**
 * The first lines of a statement, for error messages: enough to recognise it, not a wall of SQL,
 * and without the pseudonym key it may hold.
 */
function statement(sql: string): string {
  const lines = withoutKeys(sql).trim().split('\n');
  const shown = lines.slice(0, 12).join('\n').slice(0, 2_000);
  const cut = shown.length < sql.trim().length ? '\n...' : '';
  return `\n--- while running:\n${shown}${cut}`;
}

function typedRow(columns: readonly ColumnInfo[], row: AthenaRow): Row {
  const data = row.Data ?? [];
  return Object.fromEntries(
    columns.map((column, i) => [
      column.Name ?? `_col${i}`,
      typedValue(column, data[i]?.VarCharValue),
    ]),
  );
}

/**
 * Athena returns every value as text. Numbers become numbers (a BIGINT too large for one becomes a
 * bigint, a DECIMAL too large stays text, as on DuckDB), booleans booleans, absent values NULL.
 */
function typedValue(column: ColumnInfo, text: string | undefined): unknown {
  if (text === undefined) return null;
  const type = (column.Type ?? '').toLowerCase();
  if (type === 'boolean') return text === 'true';
  if (type === 'bigint') return Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text);
  if (type === 'decimal')
    return Number.isSafeInteger(Number(text.split('.')[0])) ? Number(text) : text;
  if (numericTypes.has(type)) return Number(text);
  return text;
}

/** Athena's column type in the portable upper-case spelling contracts use (`DECIMAL(12,2)`, `TIMESTAMP`). */
function portableType(column: ColumnInfo): string {
  const type = (column.Type ?? 'unknown').toLowerCase();
  if (type === 'decimal') return `DECIMAL(${column.Precision},${column.Scale})`;
  if (type.startsWith('timestamp') && !type.includes('time zone')) return 'TIMESTAMP';
  if (type.startsWith('varchar')) return 'VARCHAR';
  return type.toUpperCase();
}
