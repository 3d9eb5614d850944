import {
  ActiveStatementsExceededException,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRedshiftConnection } from '../../../lambdas/core/connections';
import {
  RedshiftWarehouseClient,
  unloadLiteral,
} from '../../../lambdas/adapters/aws/redshift-client';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/s3-object-store';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { fakeS3, s3Client } from './fake-s3';
import { redshiftClientIam, s3ObjectStoreIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const redshift = mockClient(RedshiftDataClient);
let s3: ReturnType<typeof fakeS3>;
expectDeclaredCommands('RedshiftWarehouseClient', redshift, redshiftClientIam.actions);
expectDeclaredCommands('S3ObjectStore', () => s3.mock, s3ObjectStoreIam.actions);
let clock: ManualClock;

const connection = {
  workgroup: 'clickstream-dev',
  database: 'analytics',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:medallion/dev/redshift',
  iamRole: 'arn:aws:iam::111122223333:role/medallion-dev-unload',
};
const sql =
  "select cast(customer_id as BIGINT) as customer_id, 'run-1' as _run_id, row_number() over () as _source_row\nfrom customer_behavior\nwhere updated_at < timestamp '2026-01-03 00:00:00.000'";
const request = {
  sql,
  keyPrefix: 'bronze/_staging/redshift/customer_behavior/ingest_date=2026-01-02/run-1',
  watermarkColumn: 'updated_at',
};
const stagedFolder = 'acme-bronze/_staging/redshift/customer_behavior/ingest_date=2026-01-02';

function client(options = {}) {
  const store = new S3ObjectStore(s3Client(), { bronze: 'acme-bronze' });
  return new RedshiftWarehouseClient(
    { client: new RedshiftDataClient({ region: 'eu-west-1' }), store, clock },
    connection,
    options,
  );
}

function parquetOf(rows: number): Buffer {
  return Buffer.from(
    parquetWriteBuffer({
      columnData: [
        {
          name: 'customer_id',
          data: Array.from({ length: rows }, (_, i) => BigInt(i)),
          type: 'INT64',
        },
      ],
    }),
  );
}

/** Statement ids in submission order; the max-watermark statement runs before the UNLOAD. */
function scriptStatements(unloadRows: number) {
  redshift
    .on(ExecuteStatementCommand)
    .resolvesOnce({ Id: 'max-1' })
    .resolvesOnce({ Id: 'unload-1' });
  redshift
    .on(DescribeStatementCommand, { Id: 'max-1' })
    .resolves({ Id: 'max-1', Status: 'FINISHED', HasResultSet: true });
  redshift
    .on(DescribeStatementCommand, { Id: 'unload-1' })
    .resolvesOnce({ Id: 'unload-1', Status: 'SUBMITTED' })
    .resolvesOnce({ Id: 'unload-1', Status: 'STARTED' })
    .resolves({ Id: 'unload-1', Status: 'FINISHED', ResultRows: unloadRows });
  redshift
    .on(GetStatementResultCommand, { Id: 'max-1' })
    .resolvesOnce({ Records: [], NextToken: 'page-2' })
    .resolvesOnce({ Records: [[{ stringValue: '2026-01-02 23:59:58.123456' }]] });
}

beforeEach(() => {
  redshift.reset();
  s3 = fakeS3();
  clock = new ManualClock();
});

describe('RedshiftWarehouseClient.exportQuery', () => {
  it('UNLOADs to the staging prefix, counts rows from the footers and reads the watermark', async () => {
    scriptStatements(5);
    s3.objects.set(`${stagedFolder}/run-1-0000_part_00.parquet`, parquetOf(2));
    s3.objects.set(`${stagedFolder}/run-1-0001_part_00.parquet`, parquetOf(3));

    const result = await client().exportQuery(request);

    expect(result).toEqual({
      keys: [
        `${request.keyPrefix}-0000_part_00.parquet`,
        `${request.keyPrefix}-0001_part_00.parquet`,
      ],
      selected: 5,
      rows: 5,
      maxWatermark: '2026-01-02 23:59:58.123456',
    });
    const executed = redshift.commandCalls(ExecuteStatementCommand).map((c) => c.args[0].input);
    expect(executed).toEqual([
      {
        Sql: `select to_char(max(updated_at), 'YYYY-MM-DD HH24:MI:SS.US') from (${sql}) as extraction`,
        Database: 'analytics',
        WorkgroupName: 'clickstream-dev',
        ClusterIdentifier: undefined,
        SecretArn: connection.secretArn,
        DbUser: undefined,
        StatementName: 'medallion-max-watermark',
      },
      {
        Sql: [
          "unload ('select cast(customer_id as BIGINT) as customer_id, ''run-1'' as _run_id, row_number() over () as _source_row\nfrom customer_behavior\nwhere updated_at < timestamp ''2026-01-03 00:00:00.000''')",
          "to 's3://acme-bronze/_staging/redshift/customer_behavior/ingest_date=2026-01-02/run-1-'",
          "iam_role 'arn:aws:iam::111122223333:role/medallion-dev-unload'",
          'format as parquet maxfilesize 256 MB',
        ].join('\n'),
        Database: 'analytics',
        WorkgroupName: 'clickstream-dev',
        ClusterIdentifier: undefined,
        SecretArn: connection.secretArn,
        DbUser: undefined,
        StatementName: 'medallion-unload',
      },
    ]);
    const pages = redshift.commandCalls(GetStatementResultCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { Id: 'max-1', NextToken: undefined },
      { Id: 'max-1', NextToken: 'page-2' },
    ]);
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('keeps no objects and no watermark when nothing was unloaded', async () => {
    scriptStatements(0);
    s3.objects.set(`${stagedFolder}/run-1-0000_part_00.parquet`, parquetOf(0));
    expect(await client().exportQuery(request)).toEqual({
      keys: [],
      selected: 0,
      rows: 0,
      maxWatermark: null,
    });
    expect(s3.mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'acme-bronze',
      Key: '_staging/redshift/customer_behavior/ingest_date=2026-01-02/run-1-0000_part_00.parquet',
    });
  });

  it('backs off exponentially up to the cap while a statement runs', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 's' });
    const describe = redshift.on(DescribeStatementCommand);
    for (let i = 0; i < 6; i++) describe.resolvesOnce({ Id: 's', Status: 'STARTED' });
    describe.resolves({ Id: 's', Status: 'FINISHED', ResultRows: 0 });
    redshift.on(GetStatementResultCommand).resolves({ Records: [[{ isNull: true }]] });
    await client({ pollIntervalMs: 100, maxPollIntervalMs: 1000 }).exportQuery(request);
    expect(clock.sleeps).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("fails with Redshift's error text when a statement fails", async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'max-1' });
    redshift.on(DescribeStatementCommand).resolves({
      Id: 'max-1',
      Status: 'FAILED',
      Error: 'ERROR: relation "customer_behavior" does not exist',
    });
    const error = await client()
      .exportQuery(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      'Redshift max-watermark statement max-1 on workgroup clickstream-dev, database analytics failed: ERROR: relation "customer_behavior" does not exist',
    );
  });

  it('turns too many active statements into a TransientError', async () => {
    redshift.on(ExecuteStatementCommand).rejects(
      new ActiveStatementsExceededException({
        message: 'Active statements exceeded the allowed quota.',
        $metadata: {},
      }),
    );
    const error = await client()
      .exportQuery(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('ActiveStatementsExceededException');
  });

  it('cancels a statement that outlives the timeout', async () => {
    redshift.on(ExecuteStatementCommand).resolves({ Id: 'slow' });
    redshift.on(DescribeStatementCommand).resolves({ Id: 'slow', Status: 'STARTED' });
    redshift.on(CancelStatementCommand).resolves({ Status: true });
    await expect(
      client({ pollIntervalMs: 1000, maxPollIntervalMs: 1000, timeoutMs: 3000 }).exportQuery(
        request,
      ),
    ).rejects.toThrow('did not finish within 3 s and was cancelled');
    expect(redshift.commandCalls(CancelStatementCommand)[0]!.args[0].input).toEqual({ Id: 'slow' });
    expect(clock.sleeps).toEqual([1000, 1000, 1000]);
  });
});

describe('Redshift SQL spelling', () => {
  it('spells portable types the Redshift way', () => {
    const c = client();
    expect(c.columnType('VARCHAR')).toBe('VARCHAR(65535)');
    expect(c.columnType('DOUBLE')).toBe('DOUBLE PRECISION');
    expect(c.columnType('DECIMAL(12,2)')).toBe('DECIMAL(12,2)');
    expect(c.columnType('TIMESTAMP')).toBe('TIMESTAMP');
    expect(c.rowNumberExpression).toBe('row_number() over ()');
  });

  it('quotes the UNLOAD query: quotes and backslashes doubled', () => {
    expect(unloadLiteral("select 'a\\b' as x where y = 'it''s'")).toBe(
      "'select ''a\\\\b'' as x where y = ''it''''s'''",
    );
  });
});

describe('parseRedshiftConnection', () => {
  it('reads a Serverless or a provisioned connection', () => {
    expect(
      parseRedshiftConnection('redshift', {
        workgroup: 'clickstream-dev',
        database: 'analytics',
        schema: 'public',
        secret: 'medallion/dev/redshift',
        iamRole: connection.iamRole,
      }),
    ).toEqual({
      workgroup: 'clickstream-dev',
      database: 'analytics',
      secretArn: 'medallion/dev/redshift',
      iamRole: connection.iamRole,
    });
    expect(
      parseRedshiftConnection('rs', {
        clusterIdentifier: 'c1',
        database: 'd',
        dbUser: 'loader',
        iamRole: connection.iamRole,
      }),
    ).toMatchObject({ clusterIdentifier: 'c1', dbUser: 'loader' });
  });

  it('names the keys that are missing or contradictory', () => {
    expect(() => parseRedshiftConnection('redshift', { database: 'analytics' })).toThrow(
      'Redshift connection of source redshift is invalid: sources.redshift.connection.iamRole:',
    );
    expect(() =>
      parseRedshiftConnection('redshift', {
        workgroup: 'w',
        clusterIdentifier: 'c',
        database: 'd',
        iamRole: connection.iamRole,
      }),
    ).toThrow('exactly one of workgroup and clusterIdentifier');
  });
});
