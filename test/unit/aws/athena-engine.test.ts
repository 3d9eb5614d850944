import {
  AthenaClient,
  AthenaServiceException,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type GetQueryExecutionOutput,
} from '@aws-sdk/client-athena';
import {
  EntityNotFoundException,
  GetTableCommand,
  GlueClient,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AthenaEngine,
  type AthenaEngineOptions,
} from '../../../lambdas/adapters/aws/athena-engine';
import { lakeSchemas } from '../../../lambdas/core/aws-names';
import { CountingSqlEngine } from '../../../lambdas/core/counting-engine';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { athenaEngineIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const athena = mockClient(AthenaClient);
const glue = mockClient(GlueClient);
expectDeclaredCommands('AthenaEngine', athena, athenaEngineIam.actions);
expectDeclaredCommands('AthenaEngine', glue, athenaEngineIam.actions);
const sql = 'insert into "medallion_dev_silver"."orders" (order_id)\nselect 1\n-- third line';

let clock: ManualClock;

const engine = (options: Partial<AthenaEngineOptions> = {}) =>
  new AthenaEngine(
    new AthenaClient({ region: 'eu-west-1' }),
    new GlueClient({ region: 'eu-west-1' }),
    {
      workgroup: 'medallion-dev-engineering',
      project: 'medallion',
      env: 'dev',
      locations: Object.fromEntries(
        lakeSchemas.map((s) => [s, `s3://lake-${s}/tables/`]),
      ) as AthenaEngineOptions['locations'],
      mergeTargets: ['silver.orders'],
      pollIntervalMs: 100,
      maxPollIntervalMs: 1_000,
      timeoutMs: 60_000,
      clock,
      ...options,
    },
  );

const state = (
  State: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED',
  extra: Partial<NonNullable<GetQueryExecutionOutput['QueryExecution']>> = {},
): GetQueryExecutionOutput => ({
  QueryExecution: { QueryExecutionId: 'q-1', Status: { State }, StatementType: 'DML', ...extra },
});

const failed = (
  message: string,
  athenaError: { ErrorCategory: number; ErrorType: number; Retryable: boolean },
) =>
  state('FAILED', {
    Status: {
      State: 'FAILED',
      StateChangeReason: message,
      AthenaError: { ...athenaError, ErrorMessage: message },
    },
  });

beforeEach(() => {
  athena.reset();
  glue.reset();
  clock = new ManualClock();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
});

describe('AthenaEngine.execute', () => {
  it('starts the statement in the workgroup, polls with doubling waits and returns the UpdateCount', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('QUEUED'))
      .resolvesOnce(state('RUNNING'))
      .resolvesOnce(state('RUNNING'))
      .resolves(state('SUCCEEDED', { SubstatementType: 'INSERT' }));
    athena.on(GetQueryResultsCommand).resolves({ UpdateCount: 42 });

    await expect(engine().execute(sql)).resolves.toBe(42);

    expect(athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryString: sql, WorkGroup: 'medallion-dev-engineering' },
    ]);
    expect(athena.commandCalls(GetQueryExecutionCommand).map((c) => c.args[0].input)).toEqual(
      Array(4).fill({ QueryExecutionId: 'q-1' }),
    );
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1', MaxResults: 1 },
    ]);
    expect(clock.sleeps).toEqual([100, 200, 400]);
  });

  it('caps the backoff at maxPollIntervalMs', async () => {
    const running = athena.on(GetQueryExecutionCommand);
    for (let i = 0; i < 7; i++) running.resolvesOnce(state('RUNNING'));
    running.resolves(state('SUCCEEDED', { StatementType: 'DDL', SubstatementType: 'CREATE_VIEW' }));

    await expect(engine().execute('create or replace view v as select 1 as x')).resolves.toBe(0);
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('returns the UpdateCount of a CTAS, which Athena reports as DML', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolves(state('SUCCEEDED', { SubstatementType: 'CREATE_TABLE_AS_SELECT' }));
    athena.on(GetQueryResultsCommand).resolves({ UpdateCount: 7 });
    await expect(engine().execute('create table t as select 1 as x')).resolves.toBe(7);
  });

  it('adds up the bytes its succeeded queries scanned, which a counting engine reports per model', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(state('SUCCEEDED', { Statistics: { DataScannedInBytes: 1_000 } }))
      .resolvesOnce(state('SUCCEEDED', { Statistics: { DataScannedInBytes: 250 } }))
      .resolvesOnce(state('SUCCEEDED', { StatementType: 'DDL' }))
      .resolves(state('SUCCEEDED', { Statistics: { DataScannedInBytes: 4_000 } }));
    athena.on(GetQueryResultsCommand).resolves({ UpdateCount: 1 });
    const athenaEngine = engine();
    await athenaEngine.execute(sql);
    expect(athenaEngine.bytesScanned).toBe(1_000);
    // A model's build counts from where the engine stood when it began.
    const model = new CountingSqlEngine(athenaEngine);
    await model.execute(sql);
    await model.execute('create or replace view v as select 1 as x');
    await model.execute(sql);
    expect(model.counts).toEqual({ statements: 3, lookups: 0, bytesScanned: 4_250 });
    expect(athenaEngine.bytesScanned).toBe(5_250);
  });

  it("fails with Athena's message and the statement's first lines when the query fails", async () => {
    const message = "COLUMN_NOT_FOUND: line 2:8: Column 'x' cannot be resolved";
    athena
      .on(GetQueryExecutionCommand)
      .resolves(failed(message, { ErrorCategory: 2, ErrorType: 1006, Retryable: false }));

    const error = await engine()
      .execute(sql)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `Athena query q-1 failed: ${message}\n--- while running:\n${sql}`,
    );
  });

  it('reports a cancelled query (the workgroup scan limit) as a failure', async () => {
    athena.on(GetQueryExecutionCommand).resolves(
      state('CANCELLED', {
        Status: { State: 'CANCELLED', StateChangeReason: 'Bytes scanned limit was exceeded' },
      }),
    );
    await expect(engine().execute(sql)).rejects.toThrow(
      new PipelineError(
        `Athena query q-1 cancelled: Bytes scanned limit was exceeded\n--- while running:\n${sql}`,
      ),
    );
  });

  it('turns a throttled StartQueryExecution into a TransientError naming the call', async () => {
    athena.on(StartQueryExecutionCommand).rejects(
      new AthenaServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'Rate exceeded',
      }),
    );
    const error = await engine()
      .execute(sql)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /^Athena StartQueryExecution failed: ThrottlingException: Rate exceeded\n--- while running:\ninsert into/,
    );
  });

  it('turns the concurrent-query limit (TooManyRequestsException) into a TransientError', async () => {
    athena.on(StartQueryExecutionCommand).rejects(
      new TooManyRequestsException({
        $metadata: {},
        message: 'You have exceeded the limit',
        Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      }),
    );
    await expect(engine().execute(sql)).rejects.toBeInstanceOf(TransientError);
  });

  it.each([
    [
      'a lost Iceberg commit race',
      'ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table',
      2,
      false,
    ],
    [
      'an internal engine error',
      'INTERNAL_ERROR_QUERY_ENGINE: Amazon Athena experienced an internal error',
      1,
      false,
    ],
    [
      'Glue throttling during planning',
      'HIVE_METASTORE_ERROR: Rate exceeded (Service: AWSGlue; Status Code: 400)',
      2,
      false,
    ],
    ['an error Athena marks retryable', 'Query exhausted resources at this scale factor', 2, true],
  ] as const)(
    'turns a query failed by %s into a TransientError',
    async (_, message, category, retryable) => {
      athena
        .on(GetQueryExecutionCommand)
        .resolves(
          failed(message, { ErrorCategory: category, ErrorType: 200, Retryable: retryable }),
        );
      const error = await engine()
        .execute(sql)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toContain(message);
    },
  );

  it('stops a query still running at the timeout and fails', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});

    const error = await engine({ timeoutMs: 1_000 })
      .execute(sql)
      .catch((e: unknown) => e);

    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1' },
    ]);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /^Athena query q-1 was still running after 1 s and was stopped\n--- while running:/,
    );
    expect(clock.sleeps).toEqual([100, 200, 400, 300]);
  });

  it('stops a query still queued at the timeout and reports it as transient (no capacity yet)', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('QUEUED'));
    athena.on(StopQueryExecutionCommand).rejects(new Error('already finished'));
    const error = await engine({ timeoutMs: 500 })
      .execute(sql)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /^Athena query q-1 was still queued after 0.5 s and was stopped \(stopping it failed too: already finished\)/,
    );
  });
});

describe('AthenaEngine.query', () => {
  const columns = [
    { Name: 'n', Type: 'bigint' },
    { Name: 'name', Type: 'varchar' },
    { Name: 'ok', Type: 'boolean' },
    { Name: 'amount', Type: 'decimal', Precision: 12, Scale: 2 },
    { Name: 'rate', Type: 'double' },
    { Name: 'day', Type: 'date' },
  ];
  const row = (...values: (string | undefined)[]) => ({
    Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
  });

  it('reads every page with NextToken, skips the header row and types the values', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolves(state('SUCCEEDED', { SubstatementType: 'SELECT' }));
    athena
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined })
      .resolves({
        NextToken: 'page-2',
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [
            row('n', 'name', 'ok', 'amount', 'rate', 'day'),
            row('1', 'Ada', 'true', '12.30', '0.5', '2026-01-01'),
            row('2', '', 'false', undefined, 'NaN', undefined),
          ],
        },
      })
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [
            row(
              '9007199254740993',
              undefined,
              undefined,
              '99999999999999999.99',
              '1e3',
              '2026-01-02',
            ),
          ],
        },
      });

    const rows = await engine().query('select * from t');

    expect(rows).toEqual([
      { n: 1, name: 'Ada', ok: true, amount: 12.3, rate: 0.5, day: '2026-01-01' },
      { n: 2, name: '', ok: false, amount: null, rate: NaN, day: null },
      {
        n: 9007199254740993n,
        name: null,
        ok: null,
        amount: '99999999999999999.99',
        rate: 1000,
        day: '2026-01-02',
      },
    ]);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: 'q-1', NextToken: undefined },
      { QueryExecutionId: 'q-1', NextToken: 'page-2' },
    ]);
  });
});

describe('AthenaEngine catalog', () => {
  it('relationExists asks Glue for the table in the schema database', async () => {
    glue
      .on(GetTableCommand, { DatabaseName: 'medallion_dev_silver', Name: 'orders' })
      .resolves({ Table: { Name: 'orders' } });
    glue
      .on(GetTableCommand, { DatabaseName: 'medallion_dev_changelog', Name: 'silver_orders' })
      .rejects(
        new EntityNotFoundException({ $metadata: {}, message: 'Table silver_orders not found' }),
      );

    await expect(engine().relationExists('silver.orders')).resolves.toBe(true);
    await expect(engine().relationExists('changelog.silver_orders')).resolves.toBe(false);
    expect(glue.commandCalls(GetTableCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'medallion_dev_silver', Name: 'orders' },
      { DatabaseName: 'medallion_dev_changelog', Name: 'silver_orders' },
    ]);
  });

  it('relationExists fails transiently when Glue throttles, and names an unknown schema', async () => {
    glue
      .on(GetTableCommand)
      .rejects(new ThrottlingException({ $metadata: {}, message: 'Rate exceeded' }));
    await expect(engine().relationExists('gold.dim_date')).rejects.toThrow(
      new TransientError(
        'Glue GetTable medallion_dev_gold.dim_date failed: ThrottlingException: Rate exceeded',
      ),
    );
    await expect(engine().relationExists('platinum.x')).rejects.toThrow(
      /platinum.x is not a lake relation/,
    );
  });

  it('describe runs the SELECT for no rows and reads portable column types', async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolves(state('SUCCEEDED', { SubstatementType: 'SELECT' }));
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: [
            { Name: 'order_id', Type: 'bigint' },
            { Name: 'unit_price', Type: 'decimal', Precision: 12, Scale: 2 },
            { Name: 'order_ts', Type: 'timestamp', Precision: 6 },
            { Name: 'status', Type: 'varchar' },
            { Name: 'is_deleted', Type: 'boolean' },
          ],
        },
        Rows: [{ Data: [{ VarCharValue: 'order_id' }] }],
      },
    });

    await expect(engine().describe('select * from t')).resolves.toEqual([
      { name: 'order_id', type: 'BIGINT' },
      { name: 'unit_price', type: 'DECIMAL(12,2)' },
      { name: 'order_ts', type: 'TIMESTAMP' },
      { name: 'status', type: 'VARCHAR' },
      { name: 'is_deleted', type: 'BOOLEAN' },
    ]);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.QueryString).toBe(
      'select * from (select * from t) described limit 0',
    );
  });

  it('runs a transaction as its work (Athena has none) and refreshes nothing (partition projection)', async () => {
    const sut = engine();
    await sut.refreshSources();
    await expect(sut.transaction(async () => 'done')).resolves.toBe('done');
    expect(athena.calls()).toHaveLength(0);
    expect(glue.calls()).toHaveLength(0);
  });
});
