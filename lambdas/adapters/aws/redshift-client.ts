import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type DescribeStatementResponse,
  type Field,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { PipelineError, TransientError } from '../../core/errors';
import type {
  Clock,
  WarehouseClient,
  WarehouseExport,
  WarehouseExportResult,
} from '../../core/ports';
import type { RedshiftConnection } from '../../core/connections';
import type { S3ObjectStore } from './s3-object-store';
import { readBackExport } from './parquet-footer';

export interface RedshiftClientOptions {
  /** First wait between DescribeStatement polls; doubles up to {@link maxPollIntervalMs}. @default 250 */
  readonly pollIntervalMs?: number;
  /** @default 5000 */
  readonly maxPollIntervalMs?: number;
  /** A statement still running after this long is cancelled and the export fails. @default 13 minutes */
  readonly timeoutMs?: number;
}

/** Largest object UNLOAD writes: keeps moves under the CopyObject limit and objects Lambda-sized. */
const maxFileSize = '256 MB';

/** Data API errors that mean "busy or briefly unavailable, try again later". */
const transientErrors = new Set([
  'ActiveStatementsExceededException',
  'ActiveSessionsExceededException',
  'ActiveWaitingRequestsExceededException',
  'ThrottlingException',
  'InternalServerException',
  'DatabaseConnectionException',
]);

/**
 * Redshift through the Data API (no drivers, no VPC wiring in the Lambda): `UNLOAD` writes the
 * extraction as Parquet straight into the bronze staging prefix, as DuckDB's `COPY ... TO` does
 * locally; the objects are listed and their rows counted from the Parquet footers.
 */
export class RedshiftWarehouseClient implements WarehouseClient {
  readonly rowNumberExpression = 'row_number() over ()';
  private readonly pollIntervalMs: number;
  private readonly maxPollIntervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly deps: {
      readonly client: RedshiftDataClient;
      readonly store: S3ObjectStore;
      readonly clock: Clock;
    },
    private readonly connection: RedshiftConnection,
    options: RedshiftClientOptions = {},
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.maxPollIntervalMs = options.maxPollIntervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 13 * 60_000;
  }

  /** Redshift's spelling: VARCHAR needs a length (the maximum, bronze does not truncate). */
  columnType(portableType: string): string {
    switch (portableType.toUpperCase()) {
      case 'VARCHAR':
        return 'VARCHAR(65535)';
      case 'DOUBLE':
        return 'DOUBLE PRECISION';
      default:
        return portableType;
    }
  }

  /**
   * The watermark is read before the UNLOAD: a row committed in between is then exported again
   * next run (silver deduplicates it) rather than skipped for good.
   */
  async exportQuery(request: WarehouseExport): Promise<WarehouseExportResult> {
    const maxWatermark = await this.maxWatermark(request);
    const unload = await this.run(
      [
        `unload (${unloadLiteral(request.sql)})`,
        `to '${this.deps.store.uri(`${request.keyPrefix}-`)}'`,
        `iam_role '${this.connection.iamRole}'`,
        `format as parquet maxfilesize ${maxFileSize}`,
      ].join('\n'),
      'unload',
    );
    const selected = unload.ResultRows ?? -1;
    if (selected < 0) {
      throw new PipelineError(
        `Redshift UNLOAD ${unload.Id} to ${request.keyPrefix} finished without a row count`,
      );
    }
    const { keys, rows } = await readBackExport(this.deps.store, request.keyPrefix, selected);
    return { keys, selected, rows, maxWatermark: selected === 0 ? null : maxWatermark };
  }

  private async maxWatermark(request: WarehouseExport): Promise<string | null> {
    const statement = await this.run(
      `select to_char(max(${request.watermarkColumn}), 'YYYY-MM-DD HH24:MI:SS.US') from (${request.sql}) as extraction`,
      'max-watermark',
    );
    let token: string | undefined;
    const records: Field[][] = [];
    do {
      const page = await this.send('GetStatementResult', () =>
        this.deps.client.send(
          new GetStatementResultCommand({ Id: statement.Id, NextToken: token }),
        ),
      );
      records.push(...(page.Records ?? []));
      token = page.NextToken;
    } while (token);
    const field = records[0]?.[0];
    return field === undefined || field.isNull ? null : (field.stringValue ?? null);
  }

  /** Runs a statement and waits for it, polling with exponential backoff. */
  private async run(sql: string, purpose: string): Promise<DescribeStatementResponse> {
    const { connection } = this;
    const started = await this.send('ExecuteStatement', () =>
      this.deps.client.send(
        new ExecuteStatementCommand({
          Sql: sql,
          Database: connection.database,
          WorkgroupName: connection.workgroup,
          ClusterIdentifier: connection.clusterIdentifier,
          SecretArn: connection.secretArn,
          DbUser: connection.dbUser,
          StatementName: `medallion-${purpose}`,
        }),
      ),
    );
    const id = started.Id!;
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const statement = await this.send('DescribeStatement', () =>
        this.deps.client.send(new DescribeStatementCommand({ Id: id })),
      );
      if (statement.Status === 'FINISHED') return statement;
      if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') {
        throw new PipelineError(
          `Redshift ${purpose} statement ${id} on ${this.target()} ${statement.Status.toLowerCase()}: ${statement.Error ?? 'no error text'}`,
        );
      }
      if (waited >= this.timeoutMs) {
        await this.send('CancelStatement', () =>
          this.deps.client.send(new CancelStatementCommand({ Id: id })),
        );
        throw new PipelineError(
          `Redshift ${purpose} statement ${id} on ${this.target()} did not finish within ${this.timeoutMs / 1000} s and was cancelled`,
        );
      }
      const delay = Math.min(this.pollIntervalMs * 2 ** attempt, this.maxPollIntervalMs);
      await this.deps.clock.sleep(delay);
      waited += delay;
    }
  }

  private target(): string {
    const where = this.connection.workgroup
      ? `workgroup ${this.connection.workgroup}`
      : `cluster ${this.connection.clusterIdentifier}`;
    return `${where}, database ${this.connection.database}`;
  }

  /** One Data API call; busy and throttled answers become TransientError for the state machine to retry. */
  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const name = (error as Error).name;
      const message = `Redshift Data API ${operation} on ${this.target()} failed: ${name}: ${(error as Error).message}`;
      throw transientErrors.has(name)
        ? new TransientError(message, { cause: error })
        : new PipelineError(message, { cause: error });
    }
  }
}

/**
 * The query as UNLOAD's string literal: quotes doubled, and backslashes doubled because Redshift
 * string literals treat a backslash as an escape.
 */
export function unloadLiteral(sql: string): string {
  return `'${sql.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}
