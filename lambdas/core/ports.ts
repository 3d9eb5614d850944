/**
 * Ports: what core needs from the outside world. Each has a local implementation
 * (`lambdas/adapters/local`, `lambdas/adapters/duckdb`) and an AWS one; core never knows which.
 */
import type { Classification } from './contracts/schema';
import type { MskEvent } from './ingest/kafka';
import type { TaskResult } from './stats';

/** One row as a plain object; values are JS primitives (bigint only when unsafe as number). */
export type Row = Record<string, unknown>;

/**
 * Keyed blob storage shaped like S3: keys are `/`-separated paths under the lake
 * (`bronze/crm/accounts/...`), the first segment being the bucket's layer.
 */
export interface ObjectStore {
  /** Every key under the prefix, recursively, sorted. */
  list(prefix: string): Promise<string[]>;
  exists(key: string): Promise<boolean>;
  /** The object's text, or undefined when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** Writes atomically: readers see the old object or the new one, never part of it. */
  putText(key: string, text: string): Promise<void>;
  move(fromKey: string, toKey: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Content hash of an object (an ETag on S3), to recognise a file dropped twice. */
  hash(key: string): Promise<string>;
}

/** A column of a Parquet object the platform writes, typed in SQL terms (`BIGINT`, `VARCHAR`...). */
export interface ColumnSpec {
  readonly name: string;
  readonly type: string;
}

/**
 * A contract column a landing file is cast to. What it holds decides whether a refusal may quote
 * its value ({@link refusedValue}).
 */
export interface LandingColumn extends ColumnSpec {
  readonly classification?: Classification;
  /** The kind of person identifier it holds (its `subject` custom property), if any. */
  readonly subject?: string;
}

/** A column with the same value in every row, as SQL-typed text (ISO text for a TIMESTAMP). */
export interface ConstantColumn extends ColumnSpec {
  readonly value: string;
}

/**
 * One column of a {@link ColumnBatch}. Numbers come in a typed array, which has no NULL and
 * travels as memory rather than value by value: an INTEGER in an Int32Array; a BIGINT (a safe
 * integer), DOUBLE or TIMESTAMP (epoch milliseconds) in a Float64Array. Any other type comes as
 * text (null for NULL), cast on write. `core/column-batch.ts` checks a batch against its columns.
 */
export type ColumnValues = readonly (string | null)[] | Int32Array | Float64Array;

/** Rows given column by column, each column `rows` long, in the writer's column order. */
export interface ColumnBatch {
  readonly rows: number;
  readonly columns: readonly ColumnValues[];
}

/**
 * A Parquet object written batch by batch (see {@link ParquetSink.openColumns}). Nothing shows at
 * its key before `close`; a writer that is neither closed nor aborted leaves at most a staged key
 * behind, which the ingest ledger's recovery discards.
 */
export interface ColumnWriter {
  append(batch: ColumnBatch): Promise<void>;
  /** Writes the object out and returns the number of rows read back from it. */
  close(): Promise<number>;
  /** Gives up the object: nothing is written. */
  abort(): Promise<void>;
}

/** Writes bronze Parquet objects. Locally DuckDB writes them; the AWS adapter does the same in Lambda. */
export interface ParquetSink {
  /**
   * Opens one Parquet object of `columns` plus constant columns, filled by appending batches of
   * columns: many batches become one object without the caller holding them, and values that are
   * already typed (offsets, timestamps) are not converted one by one.
   */
  openColumns(
    key: string,
    columns: readonly ColumnSpec[],
    constants?: readonly ConstantColumn[],
  ): Promise<ColumnWriter>;
  /**
   * Writes rows (arrays in `columns` order; a TIMESTAMP as a Date, ISO text or epoch
   * milliseconds) plus constant columns as one Parquet object, and returns the number of rows
   * read back from the written object, which is what the run reconciles against.
   */
  writeRows(
    key: string,
    columns: readonly ColumnSpec[],
    rows: readonly (readonly unknown[])[],
    constants?: readonly ConstantColumn[],
  ): Promise<number>;
}

/** Turns landing files into bronze Parquet objects. */
export interface LandingConverter {
  /**
   * Converts a landing file (csv, json, jsonl or parquet) into a bronze Parquet object with
   * `columns` (cast strictly), constant metadata columns and `_source_row` (the row's position in
   * the file); returns the row counts, or why the file cannot be ingested (naming the row).
   * Both runtimes read a file alike: values intact (a JSON object or array given for a text
   * column is kept as its JSON text; for any other type it is a bad value), or the whole file
   * refused with the same reason.
   */
  convertFile(request: ConvertFileRequest): Promise<ConvertFileResult>;
}

export interface ConvertFileRequest {
  readonly sourceKey: string;
  readonly format: LandingFormat;
  readonly targetKey: string;
  readonly columns: readonly LandingColumn[];
  /** Columns with the same value in every row (`_ingested_at`, `_run_id`...). */
  readonly constants: readonly ConstantColumn[];
  /** Gzip-compressed (`.csv.gz`, `.jsonl.gz`, `.json.gz`): read through gunzip. */
  readonly gzip?: boolean;
  /**
   * Columns the contract requires: a file whose header (CSV) or schema (Parquet) lacks one is
   * refused, rather than landing every row without it.
   */
  readonly requiredColumns?: readonly string[];
}

export type ConvertFileResult =
  | {
      readonly ok: true;
      /** Rows read from the landing file. */
      readonly read: number;
      /** Rows read back from the written bronze object. */
      readonly rows: number;
      readonly extraColumns: readonly string[];
    }
  | { readonly ok: false; readonly reason: string };

export type LandingFormat = 'csv' | 'json' | 'jsonl' | 'parquet';

/**
 * A SQL warehouse that can export a query's result straight to bronze Parquet objects
 * (Snowflake `COPY INTO @stage`, Redshift `UNLOAD`, DuckDB `COPY ... TO`).
 */
export interface WarehouseClient {
  /**
   * The warehouse's cheapest expression numbering the rows of a query uniquely, for
   * `_source_row` (`seq8()` on Snowflake, a physical row id where there is one).
   */
  readonly rowNumberExpression: string;
  /** The warehouse's spelling of a contract's portable SQL type. */
  columnType(portableType: string): string;
  exportQuery(request: WarehouseExport): Promise<WarehouseExportResult>;
}

export interface WarehouseExport {
  /** A SELECT in the warehouse's dialect (the subset Snowflake, Redshift and DuckDB share). */
  readonly sql: string;
  /** Key prefix for the written objects; the client appends `-<n>.parquet`. */
  readonly keyPrefix: string;
  /** Column whose maximum becomes the new watermark. */
  readonly watermarkColumn: string;
}

export interface WarehouseExportResult {
  readonly keys: readonly string[];
  /** Rows the warehouse reported exporting. */
  readonly selected: number;
  /** Rows read back from the written objects. */
  readonly rows: number;
  /** Maximum of the watermark column over the exported rows, as the warehouse prints it; null when no rows. */
  readonly maxWatermark: string | null;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Plain HTTPS GET; retries and pagination are core's business, not the client's. */
export interface HttpClient {
  get(
    url: string,
    options: { headers: Record<string, string>; timeoutMs: number },
  ): Promise<HttpResponse>;
}

/** HTTPS with a request body, for APIs driven by POST (the Snowflake SQL API). */
export interface HttpPostClient extends HttpClient {
  post(
    url: string,
    options: { headers: Record<string, string>; body: string; timeoutMs: number },
  ): Promise<HttpResponse>;
}

/** What a state machine's execution returned from its Task states: the run's dataset steps. */
export interface ExecutionResults {
  /** The {@link TaskResult}s of the execution's Task states that succeeded, in completion order. */
  taskResults(executionId: string): Promise<TaskResult[]>;
}

/** Starts a run of one state machine: Step Functions' StartExecution on AWS. */
export interface RunStarter {
  /** Starts the run with `input` as the execution input; returns its run id (execution name). */
  start(input: Readonly<Record<string, unknown>>): Promise<string>;
}

/** Where failures are announced: SNS on AWS, the console and a log file locally. */
export interface Notifier {
  notify(message: FailureNotice): Promise<void>;
}

/** Where a report's summary is published for people to read: an SNS topic on AWS. */
export interface Publisher {
  publish(subject: string, message: string): Promise<void>;
}

export interface FailureNotice {
  readonly runId: string;
  readonly job: string;
  readonly error: string;
  readonly cause: string;
}

/**
 * The secret key behind keyed pseudonyms and erasure-log subjects (`core/privacy/keyed-hash.ts`):
 * a local key file created on first use, Secrets Manager on AWS. Losing it makes old pseudonyms
 * unmatchable, so it is created once and never rotated silently.
 */
export interface PrivacyKeyStore {
  key(): Promise<Uint8Array>;
}

/** Wall clock and waiting, injectable so retries and timestamps are testable. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** A SQL engine (DuckDB locally, Athena on AWS). Engine-specific SQL lives behind {@link SqlDialect}. */
export interface SqlEngine {
  readonly dialect: SqlDialect;
  /**
   * Bytes the engine's queries have scanned since it was made, where the engine measures it (what
   * Athena bills by); undefined where it does not (DuckDB).
   */
  readonly bytesScanned?: number;
  /** Runs a statement; returns the rows it changed when the engine reports it. */
  execute(sql: string): Promise<number>;
  query<T extends Row = Row>(sql: string): Promise<T[]>;
  /** Makes data that landed since the engine opened visible to queries (e.g. new bronze objects). */
  refreshSources(): Promise<void>;
  /**
   * Runs work atomically where the engine can: all of it is published, or none (a crash rolls
   * back). Athena cannot: each statement commits on its own, and a model converges on the next run
   * because it resumes from the watermarks it last saved.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Whether a relation (`silver.orders`) exists. */
  relationExists(relation: string): Promise<boolean>;
  /** Column names and SQL types of a SELECT's result, in order. */
  describe(select: string): Promise<ColumnSpec[]>;
}

/**
 * The statements and expressions in which engines differ, one function per difference. Model SQL
 * reaches these as template macros; materializations build their DDL/DML from them.
 */
export interface SqlDialect {
  readonly name: string;
  quote(identifier: string): string;
  /** Physical name of a logical relation such as `silver.orders`. */
  relation(logicalName: string): string;
  /** The engine's spelling of a contract's portable SQL type (`TIMESTAMP`, `DECIMAL(12,2)`...). */
  columnType(portableType: string): string;
  string(value: string): string;
  timestamp(isoInstant: string): string;
  date(isoDate: string): string;
  /** Whole-string regular-expression match (ECMA-style pattern). */
  regexMatches(expression: string, pattern: string): string;
  /** Text of a JSON field (`$.a.b`) of a JSON string; NULL when absent or when the text is not JSON. */
  jsonText(expression: string, path: string): string;
  /** TRUE when the text parses as JSON. */
  jsonValid(expression: string): string;
  /** Replaces every match of an ECMA-style pattern. */
  regexReplaceAll(expression: string, pattern: string, replacement: string): string;
  /** An ISO-8601 text (`2026-01-01T10:00:00.000Z`) as a UTC TIMESTAMP; NULL when it is not one. */
  parseIsoTimestamp(expression: string): string;
  /** Cast that yields NULL instead of failing. */
  tryCast(expression: string, type: string): string;
  /** ISO day of the week, Monday = 1 … Sunday = 7. */
  isoDayOfWeek(expression: string): string;
  /**
   * Quantiles (each 0–1) of a numeric expression, as an array of DOUBLE in the same order: exact
   * when asked and the engine can, else from a sketch of every row (never from the first rows).
   */
  quantiles(expression: string, fractions: readonly number[], exact: boolean): string;
  /** An approximate count of distinct non-null values (HyperLogLog), as BIGINT. */
  approxDistinct(expression: string): string;
  /** Lower-case hex SHA-256 of a text's UTF-8 bytes. */
  sha256Hex(expression: string): string;
  /**
   * Lower-case hex HMAC-SHA256 (RFC 2104) of a text's UTF-8 bytes under `key`. The key is a
   * literal of the statement, so it shows in the engine's query history (see
   * `core/privacy/operators.ts` for which key goes there).
   */
  hmacSha256Hex(expression: string, key: Uint8Array): string;
  /** A relation with one DATE column `date_day` for every day from start to end inclusive. */
  dateSpine(startExpression: string, endExpression: string): string;
  /** DDL takes physical relations, as {@link relation} returns them. */
  createTableAs(relation: string, select: string): string;
  /**
   * Statements, run in order, that replace the table's content and schema with the SELECT's
   * result so that readers see the old content or the new, never a mix.
   */
  createOrReplaceTableAs(relation: string, select: string): string[];
  /**
   * The statement text that writes a keyed source into a table, as one call (one query execution
   * on Athena): see {@link Upsert}.
   */
  upsert(upsert: Upsert): string;
  /** Where a run keeps a scratch table (`stagingRelation('silver_orders')`), dropped at the model's end. */
  stagingRelation(name: string): string;
  createStagingTable(relation: string, select: string): string;
  dropTable(relation: string): string;
  /** The statements of table maintenance (see `core/maintenance.ts`). */
  readonly maintenance: MaintenanceDialect;
}

/**
 * An upsert of a source unique on its key into a table: a source row whose key the table holds
 * deletes the stored row (`_deleted`) or replaces it, when `replaces` holds; otherwise the stored
 * row stays. A source row with a new key is inserted, unless it is a deletion.
 */
export interface Upsert {
  /** The physical table, aliased `t`. */
  readonly target: string;
  /** A relation or parenthesised SELECT, aliased `s`: the columns and a BOOLEAN `_deleted`. */
  readonly source: string;
  /** Pairs a source row with the stored row of its key (`t."k" = s."k"`). */
  readonly on: string;
  /** Whether a matched source row replaces the stored one, over `t` and `s`. */
  readonly replaces: string;
  /** The key columns, unquoted. */
  readonly keys: readonly string[];
  /** Every column written, keys included, unquoted. */
  readonly columns: readonly string[];
  /**
   * Whether `replaces` holds for every source row whose key the table holds: a count the build
   * makes first, which spares an engine that writes upserts as a delete and an insert (DuckDB)
   * from joining the table a second time.
   */
  readonly replacesEveryMatch: boolean;
}

/** Table maintenance statements. These take logical names (`gold.revenue_daily__v<id>`). */
export interface MaintenanceDialect {
  /** Drops a table maintenance found unused, with its data. */
  dropTable(logicalName: string): string;
  /** Deletes the rows whose timestamp `column` is before the ISO instant. */
  deleteBefore(logicalName: string, column: string, isoInstant: string): string;
  /**
   * Rewrites a table's small files and expires snapshots older than the retention, removing the
   * files only they referenced; none where the engine manages its own storage.
   */
  compact(logicalName: string, snapshotRetentionSeconds: number): string[];
  /** Returns the space of dropped tables and deleted rows, once per run; none where `compact` did. */
  reclaimSpace(): string[];
}

/**
 * A lease on a named lock held by one run (its execution name): DynamoDB on AWS, memory locally,
 * where the lake lock already keeps other processes out. See `core/run-lock.ts`.
 */
export interface RunLease {
  readonly lock: string;
  /** The execution name of the run holding it. */
  readonly owner: string;
  /** The state machine the owner runs, so a refused run can say who holds the lake. */
  readonly job: string;
  readonly acquiredAt: string;
  /** After this instant the lease is void and any run may take the lock over. */
  readonly expiresAt: string;
}

/** Where run leases live. Implementations apply {@link RunLease} rules atomically. */
export interface RunLeaseStore {
  /**
   * Writes `lease` if its lock is free, expired at `now`, or already the same owner's (which
   * renews it); otherwise writes nothing and returns the lease that holds the lock.
   */
  claim(lease: RunLease, now: Date): Promise<RunLease | undefined>;
  /** Deletes the lease only if `owner` holds it; otherwise returns the lease that holds the lock, if any. */
  release(
    lock: string,
    owner: string,
  ): Promise<{ released: true } | { released: false; holder?: RunLease }>;
}

/** Structured logging: Powertools' logger on AWS, progress lines locally. */
/** Writes run figures into the catalog's table definitions: Glue on AWS, a file per table locally. */
export interface CatalogWriter {
  /**
   * Merges `parameters` into the table's and sets the comments of the named columns; `missing`
   * when the table does not exist (yet: a model's table appears with its first build).
   */
  updateTable(update: {
    readonly relation: string;
    readonly parameters: Readonly<Record<string, string>>;
    readonly columnComments: Readonly<Record<string, string>>;
  }): Promise<'updated' | 'missing'>;
}

/** When tables were last published, as the catalog records it: Glue table Parameters on AWS. */
export interface PublishTimes {
  /**
   * The last publish of each relation (`gold.revenue_daily`) as an ISO instant; relations whose
   * table is missing or records none are absent.
   */
  lastPublished(relations: readonly string[]): Promise<Map<string, string>>;
}

/** One data point of a custom metric. */
export interface MetricPoint {
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  readonly at: Date;
}

/** Where custom metrics go: CloudWatch's PutMetricData on AWS, in the functions' namespace. */
export interface MetricSink {
  put(points: readonly MetricPoint[]): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Pulls a Kafka topic from committed offsets and hands back MSK-shaped batches (the event an MSK
 * event source mapping would deliver), so scheduled draining and MSK delivery share one handler.
 */
export interface MskBatchSource {
  /** Why a drain may find nothing to do (e.g. an event source mapping delivers the messages instead). */
  readonly note?: string;
  batches(request: {
    readonly topic: string;
    /** partition → last committed offset. */
    readonly committed: Readonly<Record<string, number>>;
    /** Messages produced at or after this instant are left for a later run. */
    readonly until: Date;
    readonly batchSize: number;
  }): AsyncIterable<MskEvent>;
}
