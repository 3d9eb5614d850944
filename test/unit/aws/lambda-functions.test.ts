import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  EntityNotFoundException,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  UpdateTableCommand,
} from '@aws-sdk/client-glue';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  AddLFTagsToResourceCommand,
  CreateDataCellsFilterCommand,
  GrantPermissionsCommand,
  LakeFormationClient,
  ListDataCellsFilterCommand,
} from '@aws-sdk/client-lakeformation';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { auditTables } from '../../../lambdas/core/audit';
import { functionEnvironment } from '../../../lambdas/core/function-environment';
import { devFunctionSettings } from '../../helpers/function-settings';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransientError } from '../../../lambdas/core/errors';
import type { MaintenancePlan } from '../../../lambdas/core/maintenance';
import type { TaskResult } from '../../../lambdas/core/stats';
import type { QualityGateResult } from '../../../lambdas/core/dq/layer';

const topicArn = 'arn:aws:sns:eu-west-1:111111111111:medallion-dev-failures';
// The alias the pipeline stack gives the starter: runs start on the version it routes to.
const landingMachineArn =
  'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-landing_to_bronze:live';
const context = {
  functionName: 'medallion-dev-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:medallion-dev-test',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/medallion-dev-test',
  logStreamName: '2026/11/26/[$LATEST]abcdef',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/** The environment the pipeline stack gives every function, spelled as the stack spells it. */
beforeAll(() => {
  const environment = functionEnvironment(devFunctionSettings(topicArn));

  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  vi.stubEnv('MEDALLION_LANDING_STATE_MACHINE_ARN', landingMachineArn);
  vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
});
afterEach(() => vi.restoreAllMocks());

/** The JSON lines a function wrote (Powertools logs and EMF metrics go to stdout and stderr). */
function captureOutput() {
  const lines: Record<string, unknown>[] = [];
  const record = (chunk: unknown) => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(record);
  vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return lines;
}

describe('notify-failure function', () => {
  it('publishes the failed run to the topic from its environment', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/notify-failure');
    const result = await handler(
      {
        runId: '01a2',
        job: 'daily',
        error: { Error: 'ReconciliationError', Cause: 'silver.orders: 10 in, 9 out' },
      },
      context,
    );
    expect(result).toEqual({ notified: true });
    const [call] = sns.commandCalls(PublishCommand);
    expect(call!.args[0].input).toMatchObject({
      TopicArn: topicArn,
      Subject: 'Medallion daily failed: ReconciliationError',
      MessageAttributes: {
        job: { DataType: 'String', StringValue: 'daily' },
        error: { DataType: 'String', StringValue: 'ReconciliationError' },
        runId: { DataType: 'String', StringValue: '01a2' },
      },
    });
    expect(call!.args[0].input.Message).toContain('silver.orders: 10 in, 9 out');
    sns.restore();
  });
});

describe('run-lock function', () => {
  it('takes the lock in the table from its environment, and a held lock fails with its name', async () => {
    const dynamodb = mockClient(DynamoDBClient);
    dynamodb
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: {
            pk: { S: 'lake' },
            owner: { S: 'run-b' },
            job: { S: 'medallion-dev-daily' },
            acquired_at: { S: '2026-01-02T02:00:00.000Z' },
            expires_at: { N: '1767327900' },
          },
        }),
      );
    dynamodb.on(DeleteItemCommand).resolves({});
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/run-lock');
    const acquire = {
      action: 'acquire',
      runId: 'run-a',
      pipeline: 'medallion-dev-fx_to_bronze',
      leaseSeconds: 3900,
    };
    expect(await handler(acquire, context)).toMatchObject({
      lock: 'acquired',
      lease: { owner: 'run-a', job: 'medallion-dev-fx_to_bronze' },
    });
    await expect(handler(acquire, context)).rejects.toMatchObject({
      name: 'RunLockHeldError',
      message: expect.stringContaining('run run-b of medallion-dev-daily'),
    });
    expect(await handler({ action: 'release', runId: 'run-a' }, context)).toEqual({
      lock: 'released',
    });
    expect(
      [...dynamodb.commandCalls(PutItemCommand), ...dynamodb.commandCalls(DeleteItemCommand)].map(
        (c) => (c.args[0].input as { TableName: string }).TableName,
      ),
    ).toEqual(['medallion-dev-run-lock', 'medallion-dev-run-lock', 'medallion-dev-run-lock']);
    dynamodb.restore();
  });
});

describe('start-landing function', () => {
  it('starts one landing_to_bronze run for a whole batch of landing-file events', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${landingMachineArn}:x` });
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/start-landing');
    const record = (key: string) => ({
      messageId: key,
      body: JSON.stringify({
        'detail-type': 'Object Created',
        source: 'aws.s3',
        detail: { bucket: { name: 'landing' }, object: { key } },
      }),
    });
    const keys = ['crm/accounts/a.csv', 'crm/accounts/b.csv', 'fx/rates/c.jsonl'];
    const result = await handler({ Records: keys.map(record) }, context);
    expect(result).toMatchObject({ files: keys });
    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: landingMachineArn, name: result.runId, input: '{}' },
    ]);
    // Run ids are UUIDv7, as local runs' are: they sort by start time.
    expect(result.runId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    sfn.restore();
  });
});

describe('freshness-probe function', () => {
  it("publishes each gold table's minutes since its catalog-sync time, in the functions' namespace", async () => {
    vi.useFakeTimers({ now: new Date('2026-12-06T12:00:00.000Z'), toFake: ['Date'] });
    const glue = mockClient(GlueClient);
    const cloudwatch = mockClient(CloudWatchClient);
    glue.on(GetTablesCommand).resolves({
      TableList: [
        { Name: 'fact_orders', Parameters: { updated_at: '2026-12-06T02:40:00.000Z' } },
        { Name: 'revenue_daily', Parameters: { updated_at: '2026-12-06T02:45:30.000Z' } },
      ],
    });
    cloudwatch.on(PutMetricDataCommand).resolves({});
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/freshness-probe');
    const result = await handler({}, context);
    vi.useRealTimers();
    expect(result.measured).toBe(2);
    // The other gold tables have no publish time: their alarms fire on missing data.
    expect(result.unpublished).toContain('gold.customer_360');
    expect(glue.commandCalls(GetTablesCommand)[0]!.args[0].input.DatabaseName).toBe(
      'medallion_dev_gold',
    );
    const [put] = cloudwatch.commandCalls(PutMetricDataCommand);
    expect(put!.args[0].input.Namespace).toBe('medallion-dev');
    expect(
      put!.args[0].input.MetricData!.map((d) => [d.MetricName, d.Dimensions![0]!.Value, d.Value]),
    ).toEqual([
      ['MinutesSincePublish', 'gold.fact_orders', 560],
      ['MinutesSincePublish', 'gold.revenue_daily', 554],
    ]);
    glue.restore();
    cloudwatch.restore();
  });
});

describe('catalog-sync function', () => {
  it('reads the latest figures with Athena and writes them into each existing Glue table', async () => {
    const athena = mockClient(AthenaClient);
    const glue = mockClient(GlueClient);
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: 'q-1',
        Status: { State: 'SUCCEEDED' },
        StatementType: 'DML',
        SubstatementType: 'SELECT',
      },
    });
    const text = (...values: (string | null)[]) => ({
      Data: values.map((v) => (v === null ? {} : { VarCharValue: v })),
    });
    const columns = [
      'dataset',
      'run_id',
      'updated_at',
      'rows_out',
      'score',
      'row_count',
      'checked_at',
    ];
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: {
          ColumnInfo: columns.map((Name) => ({
            Name,
            Type: ['rows_out', 'row_count'].includes(Name)
              ? 'bigint'
              : Name === 'score'
                ? 'double'
                : 'varchar',
          })),
        },
        Rows: [
          text(...columns),
          text(
            'gold.fact_orders',
            'run-1',
            '2026-01-02 03:00:00.000',
            '120',
            '98.5',
            '1000',
            '2026-01-02 03:10:00.000',
          ),
        ],
      },
    });
    glue
      .on(GetTableCommand)
      .rejects(new EntityNotFoundException({ message: 'no table', $metadata: {} }));
    glue.on(GetTableCommand, { DatabaseName: 'medallion_dev_gold', Name: 'fact_orders' }).resolves({
      Table: {
        Name: 'fact_orders',
        DatabaseName: 'medallion_dev_gold',
        VersionId: '3',
        Parameters: { table_type: 'ICEBERG', metadata_location: 's3://gold/m.json' },
        StorageDescriptor: { Columns: [{ Name: 'order_id', Type: 'bigint' }] },
      },
    });
    glue.on(UpdateTableCommand).resolves({});
    // The access sync lists the lake: gold.fact_orders, and the audit tables below.
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    glue.on(GetTablesCommand, { DatabaseName: 'medallion_dev_gold' }).resolves({
      TableList: [{ Name: 'fact_orders', StorageDescriptor: { Columns: [{ Name: 'order_id' }] } }],
    });
    const lakeFormation = mockClient(LakeFormationClient);
    lakeFormation.on(ListDataCellsFilterCommand).resolves({ DataCellsFilters: [] });
    lakeFormation.on(CreateDataCellsFilterCommand).resolves({});
    lakeFormation.on(GrantPermissionsCommand).resolves({});
    lakeFormation.on(AddLFTagsToResourceCommand).resolves({ Failures: [] });
    // The audit tables are in place: no DDL runs before the function's own queries.
    glue.on(GetTablesCommand, { DatabaseName: 'medallion_dev_audit' }).resolves({
      TableList: Object.entries(auditTables).map(([Name, { columns }]) => ({
        Name,
        StorageDescriptor: { Columns: columns.map(([column]) => ({ Name: column })) },
      })),
    });
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/catalog-sync');
    const result = await handler(
      { runId: 'run-2', startedAt: '2026-01-02T04:00:00Z', request: { date: '2026-01-02' } },
      context,
    );
    expect(result).toMatchObject({ step: 'catalog_sync', updated: 1 });
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input).toMatchObject({
      WorkGroup: 'medallion-dev-engineering',
      QueryString: expect.stringContaining('"medallion_dev_audit"."run_datasets"'),
    });
    const [update] = glue.commandCalls(UpdateTableCommand);
    expect(update!.args[0].input).toMatchObject({
      DatabaseName: 'medallion_dev_gold',
      VersionId: '3',
      TableInput: {
        Parameters: {
          table_type: 'ICEBERG',
          metadata_location: 's3://gold/m.json',
          last_run_id: 'run-1',
          row_count: '1000',
          dq_score: '98.5',
          updated_at: '2026-01-02T03:00:00.000Z',
          contract_version: expect.stringMatching(/^\d+\.\d+\.\d+$/),
        },
        StorageDescriptor: {
          Columns: [{ Name: 'order_id', Type: 'bigint', Comment: 'Order identifier. [internal]' }],
        },
      },
    });
    // Then the access policy: each persona reading gold.fact_orders gets its filter, granted.
    expect(result.access).toMatchObject({ removed: 0, updated: 0 });
    expect(result.access!.created).toBeGreaterThan(0);
    const filters = lakeFormation
      .commandCalls(CreateDataCellsFilterCommand)
      .map((c) => c.args[0].input.TableData!);
    expect(filters).toContainEqual({
      TableCatalogId: expect.stringMatching(/^\d{12}$/),
      DatabaseName: 'medallion_dev_gold',
      TableName: 'fact_orders',
      Name: 'medallion_finance',
      ColumnNames: ['order_id'],
      RowFilter: { AllRowsWildcard: {} },
    });
    expect(
      lakeFormation
        .commandCalls(GrantPermissionsCommand)
        .map((c) => c.args[0].input.Principal!.DataLakePrincipalIdentifier),
    ).toContainEqual(
      expect.stringMatching(/^arn:aws:iam::\d{12}:role\/medallion-dev-persona-finance$/),
    );
    athena.restore();
    glue.restore();
    lakeFormation.restore();
  });
});

describe('maintenance function', () => {
  it('plans from Glue and the contracts, then expires old bronze partitions with every version, drops a superseded version and compacts a table with Athena, one task per invocation', async () => {
    const athena = mockClient(AthenaClient);
    const glue = mockClient(GlueClient);
    const s3 = mockClient(S3Client);
    // The sample kafka.order_events contract keeps raw events 400 days.
    const before = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'kafka/order_events/ingest_date=2020-01-01/r1-0.parquet' },
        { Key: `kafka/order_events/ingest_date=${before}/r2-0.parquet` },
      ],
    });
    s3.on(ListObjectVersionsCommand).resolves({
      Versions: [
        { Key: 'kafka/order_events/ingest_date=2020-01-01/r1-0.parquet', VersionId: 'v2' },
        { Key: 'kafka/order_events/ingest_date=2020-01-01/r1-0.parquet', VersionId: 'v1' },
      ],
      DeleteMarkers: [
        { Key: 'kafka/order_events/ingest_date=2020-01-01/r0-0.parquet', VersionId: 'm1' },
      ],
    });
    s3.on(DeleteObjectCommand).resolves({});
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: 'q-1',
        Status: { State: 'SUCCEEDED' },
        StatementType: 'DDL',
      },
    });
    const old = 'revenue_daily__v20200101000000000_00000001';
    const live = 'revenue_daily__v20200102000000000_00000002';
    const view = (sql: string) =>
      `/* Presto View: ${Buffer.from(JSON.stringify({ originalSql: sql })).toString('base64')} */`;
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    glue.on(GetTablesCommand, { DatabaseName: 'medallion_dev_gold' }).resolves({
      TableList: [
        { Name: old, TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'ICEBERG' } },
        { Name: live, TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'ICEBERG' } },
        {
          Name: 'revenue_daily',
          TableType: 'VIRTUAL_VIEW',
          ViewOriginalText: view(`select * from "medallion_dev_gold"."${live}"`),
        },
        { Name: 'fact_orders', TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'ICEBERG' } },
      ],
    });
    captureOutput();
    const { handler } = await import('../../../lambdas/functions/maintenance');
    const run = { runId: 'run-3', startedAt: '2026-01-09T05:00:00Z' };
    const plan = (await handler({ ...run, step: 'plan' }, context)) as MaintenancePlan;
    expect(plan.tasks).toEqual([
      {
        action: 'expire',
        relation: 'bronze.kafka_order_events',
        prefix: 'bronze/kafka/order_events/',
        before,
      },
      { action: 'maintain', relation: 'gold.fact_orders', compact: true },
      {
        action: 'drop',
        relation: `gold.${old}`,
        reason: 'superseded version of gold.revenue_daily',
      },
    ]);
    expect(glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input.DatabaseName)).toContain(
      'medallion_dev_scratch',
    );
    const applied = [];
    for (const task of plan.tasks)
      applied.push(await handler({ ...run, step: 'apply', task }, context));
    // One object with two versions; the other key was already deleted (a marker only).
    expect(applied[0]).toMatchObject({ relation: 'bronze.kafka_order_events', objectsDeleted: 1 });
    // Only the partition wholly before the cut-off day, and every version and marker in it.
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).toEqual([
      'kafka/order_events/ingest_date=2020-01-01/',
    ]);
    expect(
      s3
        .commandCalls(DeleteObjectCommand)
        .map((c) => [c.args[0].input.Key, c.args[0].input.VersionId]),
    ).toEqual([
      ['kafka/order_events/ingest_date=2020-01-01/r1-0.parquet', 'v2'],
      ['kafka/order_events/ingest_date=2020-01-01/r1-0.parquet', 'v1'],
      ['kafka/order_events/ingest_date=2020-01-01/r0-0.parquet', 'm1'],
    ]);
    expect(
      athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input.QueryString),
    ).toEqual([
      expect.stringMatching(
        /^alter table medallion_dev_gold\.fact_orders set tblproperties \('vacuum_max_snapshot_age_seconds' = '604800'/,
      ),
      'optimize medallion_dev_gold.fact_orders rewrite data using bin_pack',
      'vacuum medallion_dev_gold.fact_orders',
      `drop table if exists medallion_dev_gold.${old}`,
    ]);
    athena.restore();
    glue.restore();
    s3.restore();
  });
});

describe('the bundles’ credential provider', () => {
  it('answers with the credentials Lambda puts in the environment', async () => {
    vi.stubEnv('AWS_SESSION_TOKEN', 'session');
    const { defaultProvider } = await import('../../../lambdas/functions/platform/env-credentials');
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'test',
      secretAccessKey: 'test',
      sessionToken: 'session',
    });
  });
});

describe('lambdaHandler', () => {
  it('emits one EMF record per dataset of a task result, dimensioned by step and dataset, with a model’s SQL statements', async () => {
    const lines = captureOutput();
    const { lambdaHandler } = await import('../../../lambdas/functions/lambda-handler');
    const result: TaskResult = {
      step: 'bronze_to_silver',
      datasets: [
        {
          dataset: 'silver.orders',
          layer: 'silver',
          rowsIn: 100,
          rowsOut: 95,
          quarantined: 3,
          duplicates: 2,
          inserted: 95,
          updated: 0,
          deleted: 0,
          seconds: 1.5,
          sql: { statements: 16, lookups: 2 },
        },
      ],
    };
    const handler = lambdaHandler(async () => async () => result);
    expect(await handler({}, context)).toEqual(result);
    const emf = lines.filter((l) => l._aws !== undefined && l.dataset === 'silver.orders');
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      step: 'bronze_to_silver',
      dataset: 'silver.orders',
      RowsIn: 100,
      RowsOut: 95,
      RowsQuarantined: 3,
      DuplicatesDropped: 2,
      StepSeconds: 1.5,
      SqlStatements: 16,
      _aws: {
        CloudWatchMetrics: [
          expect.objectContaining({
            Namespace: 'medallion-dev',
            Dimensions: [expect.arrayContaining(['step', 'dataset'])],
          }),
        ],
      },
    });
  });

  it('emits a quality gate’s verdict by step and each dataset’s score by step and dataset, which the alarms watch', async () => {
    const lines = captureOutput();
    const { lambdaHandler } = await import('../../../lambdas/functions/lambda-handler');
    const result: QualityGateResult = {
      step: 'gold_quality',
      layer: 'gold',
      gate: 'fail',
      scores: [
        {
          dataset: 'gold.fact_orders',
          layer: 'gold',
          score: 62.5,
          rows: 10,
          checks: 8,
          failedErrors: 2,
          failedWarnings: 1,
        },
        {
          dataset: 'gold.dim_date',
          layer: 'gold',
          score: 100,
          rows: 5,
          checks: 3,
          failedErrors: 0,
          failedWarnings: 0,
        },
      ],
      summary: '2 error check(s) failed in gold',
    };
    await lambdaHandler(async () => async () => result)({}, context);
    const emf = lines.filter((l) => l._aws !== undefined);
    const gate = emf.filter((l) => l.QualityGateFailed !== undefined);
    expect(gate).toHaveLength(1);
    expect(gate[0]).toMatchObject({ step: 'gold_quality', QualityGateFailed: 1 });
    expect(gate[0]!._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'medallion-dev', Dimensions: [['service', 'step']] }],
    });
    const scores = emf.filter((l) => l.QualityScore !== undefined);
    expect(scores.map((l) => [l.dataset, l.QualityScore, l.FailedErrorChecks])).toEqual([
      ['gold.fact_orders', 62.5, 2],
      ['gold.dim_date', 100, 0],
    ]);
    expect(scores[0]!._aws).toMatchObject({
      CloudWatchMetrics: [{ Dimensions: [['service', 'step', 'dataset']] }],
    });
  });

  it('a passing gate emits QualityGateFailed 0, so the gate alarm clears', async () => {
    const lines = captureOutput();
    const { lambdaHandler } = await import('../../../lambdas/functions/lambda-handler');
    const result: QualityGateResult = {
      step: 'silver_quality',
      layer: 'silver',
      gate: 'pass',
      scores: [],
      summary: 'every silver dataset passed its error checks',
    };
    await lambdaHandler(async () => async () => result)({}, context);
    expect(lines.filter((l) => l.QualityGateFailed !== undefined)).toMatchObject([
      { step: 'silver_quality', QualityGateFailed: 0 },
    ]);
  });

  it('builds the handler once per container, on the first invocation', async () => {
    captureOutput();
    const { lambdaHandler } = await import('../../../lambdas/functions/lambda-handler');
    const create = vi.fn(async () => async (event: unknown) => ({ echoed: event }));
    const handler = lambdaHandler(create);
    expect(create).not.toHaveBeenCalled();
    await handler({ n: 1 }, context);
    expect(await handler({ n: 2 }, context)).toEqual({ echoed: { n: 2 } });
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('lets errors through with their name, which the state machines’ Retry and Catch match on', async () => {
    captureOutput();
    const { lambdaHandler } = await import('../../../lambdas/functions/lambda-handler');
    const handler = lambdaHandler(async () => async () => {
      throw new TransientError('Athena throttled the query');
    });
    await expect(handler({}, context)).rejects.toMatchObject({
      name: 'TransientError',
      message: 'Athena throttled the query',
    });
  });
});

describe('function settings', () => {
  it('an incomplete environment fails naming the missing variable', async () => {
    vi.resetModules();
    vi.stubEnv('MEDALLION_WORKGROUP', '');
    const { settings } = await import('../../../lambdas/functions/platform/settings');
    expect(() => settings()).toThrow(/MEDALLION_WORKGROUP/);
    vi.stubEnv('MEDALLION_WORKGROUP', 'medallion-dev-engineering');
  });
});
