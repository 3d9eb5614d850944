import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/aws/s3-object-store';
import { SecretsReader } from '../../../lambdas/adapters/aws/secrets';
import { parseSnowflakeConnection } from '../../../lambdas/core/connections';
import {
  jwtAccount,
  snowflakeJwt,
  SnowflakeWarehouseClient,
} from '../../../lambdas/adapters/aws/snowflake-client';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import type { HttpPostClient, HttpResponse } from '../../../lambdas/core/ports';
import { ManualClock } from '../../helpers/clock';
import { fakeS3, s3Client } from './fake-s3';
import { secretsReaderIam, s3ObjectStoreIam } from '../../../lambdas/adapters/aws/iam-calls';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const fingerprint = `SHA256:${createHash('sha256')
  .update(keys.publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64')}`;

interface Sent {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** The SQL API as a script of answers; records what was sent. */
class ScriptedSqlApi implements HttpPostClient {
  readonly sent: Sent[] = [];
  constructor(private readonly script: HttpResponse[]) {}
  async get(url: string, options: { headers: Record<string, string> }): Promise<HttpResponse> {
    this.sent.push({ method: 'GET', url, headers: options.headers });
    return this.next();
  }
  async post(
    url: string,
    options: { headers: Record<string, string>; body: string },
  ): Promise<HttpResponse> {
    this.sent.push({
      method: 'POST',
      url,
      headers: options.headers,
      body: JSON.parse(options.body),
    });
    return this.next();
  }
  private next(): HttpResponse {
    const answer = this.script.shift();
    if (!answer) throw new Error('script exhausted');
    return answer;
  }
}

const answer = (status: number, body: unknown): HttpResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const pending = (handle: string) =>
  answer(202, {
    code: '333334',
    message: 'Asynchronous execution in progress.',
    statementHandle: handle,
  });
const resultSet = (handle: string, columns: string[], data: (string | null)[][]) =>
  answer(200, {
    statementHandle: handle,
    resultSetMetaData: {
      numRows: data.length,
      format: 'jsonv2',
      rowType: columns.map((name) => ({ name })),
    },
    data,
  });

const secrets = mockClient(SecretsManagerClient);
let s3: ReturnType<typeof fakeS3>;
expectDeclaredCommands('SecretsReader', secrets, secretsReaderIam.actions);
expectDeclaredCommands('S3ObjectStore', () => s3.mock, s3ObjectStoreIam.actions);
let clock: ManualClock;

const connection = {
  account: 'acme-dev',
  database: 'SALES',
  schema: 'MART',
  warehouse: 'LOAD_WH',
  role: 'MEDALLION_LOADER',
  secret: 'medallion/dev/snowflake',
  stage: 'SALES.MART.MEDALLION_BRONZE_STAGE',
};
const request = {
  sql: "select cast(order_id as BIGINT) as order_id, seq8() as _source_row from orders where updated_at < timestamp '2026-01-03 00:00:00.000'",
  keyPrefix: 'bronze/_staging/snowflake/orders/ingest_date=2026-01-02/run-1',
  watermarkColumn: 'updated_at',
};

function client(http: HttpPostClient, options = {}) {
  const store = new S3ObjectStore(s3Client(), { bronze: 'acme-bronze' });
  const reader = new SecretsReader(new SecretsManagerClient({ region: 'eu-west-1' }), clock);
  return new SnowflakeWarehouseClient({ http, secrets: reader, store, clock }, connection, options);
}

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({ user: 'medallion_loader', privateKey: privateKeyPem }),
  });
  s3 = fakeS3();
  clock = new ManualClock();
});

describe('SnowflakeWarehouseClient.exportQuery', () => {
  it('runs COPY INTO the stage asynchronously, counts rows from the footers, reads the watermark', async () => {
    const http = new ScriptedSqlApi([
      resultSet('h-max', ['MAX'], [['2026-01-02 23:59:58.123456']]),
      pending('h-copy'),
      pending('h-copy'),
      resultSet('h-copy', ['rows_unloaded', 'input_bytes', 'output_bytes'], [['4', '100', '80']]),
    ]);
    const folder = 'acme-bronze/_staging/snowflake/orders/ingest_date=2026-01-02';
    const parquet = (n: number) =>
      Buffer.from(
        parquetWriteBuffer({
          columnData: [{ name: 'ORDER_ID', data: Array(n).fill(1n), type: 'INT64' }],
        }),
      );
    s3.objects.set(`${folder}/run-1-_0_0_0.snappy.parquet`, parquet(3));
    s3.objects.set(`${folder}/run-1-_0_1_0.snappy.parquet`, parquet(1));

    const result = await client(http).exportQuery(request);

    expect(result).toEqual({
      keys: [
        `${request.keyPrefix}-_0_0_0.snappy.parquet`,
        `${request.keyPrefix}-_0_1_0.snappy.parquet`,
      ],
      selected: 4,
      rows: 4,
      maxWatermark: '2026-01-02 23:59:58.123456',
    });
    expect(http.sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST https://acme-dev.snowflakecomputing.com/api/v2/statements?async=true',
      'POST https://acme-dev.snowflakecomputing.com/api/v2/statements?async=true',
      'GET https://acme-dev.snowflakecomputing.com/api/v2/statements/h-copy',
      'GET https://acme-dev.snowflakecomputing.com/api/v2/statements/h-copy',
    ]);
    expect(http.sent[0]!.body).toEqual({
      statement: `select to_varchar(max(updated_at), 'YYYY-MM-DD HH24:MI:SS.FF6') from (${request.sql}) as extraction`,
      timeout: 780,
      database: 'SALES',
      schema: 'MART',
      warehouse: 'LOAD_WH',
      role: 'MEDALLION_LOADER',
    });
    expect((http.sent[1]!.body as { statement: string }).statement).toBe(
      [
        "copy into '@SALES.MART.MEDALLION_BRONZE_STAGE/snowflake/orders/ingest_date=2026-01-02/run-1-'",
        `from (${request.sql})`,
        'file_format = (type = parquet) header = true max_file_size = 268435456',
      ].join('\n'),
    );
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('authenticates every request with a key-pair JWT, read from the secret once', async () => {
    const http = new ScriptedSqlApi([
      resultSet('h1', ['MAX'], [[null]]),
      resultSet('h2', ['rows_unloaded', 'input_bytes', 'output_bytes'], [['0', '0', '0']]),
    ]);
    expect(await client(http).exportQuery(request)).toEqual({
      keys: [],
      selected: 0,
      rows: 0,
      maxWatermark: null,
    });
    for (const sent of http.sent) {
      expect(sent.headers).toMatchObject({
        'X-Snowflake-Authorization-Token-Type': 'KEYPAIR_JWT',
        'Content-Type': 'application/json',
        Accept: 'application/json',
      });
    }
    const jwt = http.sent[0]!.headers.Authorization!.replace(/^Bearer /, '');
    expect(http.sent[1]!.headers.Authorization).toBe(`Bearer ${jwt}`);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const [header, payload, signature] = jwt.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'RS256',
      typ: 'JWT',
    });
    const issuedAt = Math.floor(clock.now().getTime() / 1000);
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual({
      iss: `ACME-DEV.MEDALLION_LOADER.${fingerprint}`,
      sub: 'ACME-DEV.MEDALLION_LOADER',
      iat: issuedAt,
      exp: issuedAt + 3540,
    });
    expect(
      verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        keys.publicKey,
        Buffer.from(signature!, 'base64url'),
      ),
    ).toBe(true);
  });

  it("fails with Snowflake's message when a statement fails (422)", async () => {
    const http = new ScriptedSqlApi([
      answer(422, {
        code: '002003',
        sqlState: '42S02',
        message: "SQL compilation error:\nObject 'ORDERS' does not exist or not authorized.",
        statementHandle: 'h-bad',
      }),
    ]);
    const error = await client(http)
      .exportQuery(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      "Snowflake max-watermark statement h-bad failed: SQL compilation error:\nObject 'ORDERS' does not exist or not authorized. (code 002003, SQL state 42S02)",
    );
  });

  it.each([429, 503])('turns HTTP %i into a TransientError', async (status) => {
    const http = new ScriptedSqlApi([answer(status, { message: 'Too many requests' })]);
    const error = await client(http)
      .exportQuery(request)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toBe(
      `Snowflake SQL API (max-watermark) answered ${status}: Too many requests`,
    );
  });

  it('refuses a key prefix the stage cannot reach', async () => {
    await expect(
      client(new ScriptedSqlApi([])).exportQuery({ ...request, keyPrefix: 'bronze/snowflake/x' }),
    ).rejects.toThrow(
      'Snowflake export to bronze/snowflake/x: the stage SALES.MART.MEDALLION_BRONZE_STAGE only reaches bronze/_staging/',
    );
  });
});

describe('Snowflake key-pair JWT and SQL spelling', () => {
  it('derives the account part of the claims as the drivers do', () => {
    expect(jwtAccount('acme-dev')).toBe('ACME-DEV');
    expect(jwtAccount('xy12345.eu-west-1')).toBe('XY12345');
    expect(jwtAccount('xy12345.eu-west-1.privatelink')).toBe('XY12345');
    expect(jwtAccount('myorg-account1.global')).toBe('MYORG');
  });

  it('signs with an encrypted private key given its passphrase', () => {
    const encrypted = keys.privateKey
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    const token = snowflakeJwt({
      account: 'acme-dev',
      user: 'loader',
      privateKeyPem: encrypted,
      passphrase: 'secret',
      now: new Date('2026-01-02T00:00:00Z'),
    });
    const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(payload.sub).toBe('ACME-DEV.LOADER');
    expect(payload.iss).toBe(`ACME-DEV.LOADER.${fingerprint}`);
  });

  it('spells types and row numbers the Snowflake way', () => {
    const c = client(new ScriptedSqlApi([]));
    expect(c.columnType('TIMESTAMP')).toBe('TIMESTAMP_NTZ');
    expect(c.columnType('DECIMAL(12,2)')).toBe('DECIMAL(12,2)');
    expect(c.rowNumberExpression).toBe('seq8()');
  });

  it('reads the connection block and names what is missing', () => {
    expect(parseSnowflakeConnection('snowflake', connection)).toEqual(connection);
    expect(() => parseSnowflakeConnection('snowflake', { ...connection, stage: '' })).toThrow(
      'Snowflake connection of source snowflake is invalid: sources.snowflake.connection.stage:',
    );
  });
});
