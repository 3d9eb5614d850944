/**
 * The smoke test (`medallion smoke`) against mocked S3, Step Functions and Athena: what it lands,
 * starts, polls and counts, and each way it fails.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  type ExecutionStatus,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformConfig, SmokeConfig } from '../../../config/schema';
import {
  athenaEngineIam,
  s3ObjectStoreIam,
  sfnRunStarterIam,
  sfnRunWatcherIam,
} from '../../../lambdas/adapters/aws/iam-calls';
import { PipelineError } from '../../../lambdas/core/errors';
import {
  runSmokeTest,
  smokeFileKey,
  SmokeTestError,
  type SmokePlan,
} from '../../../lambdas/core/smoke';
import { loadDeliveryConfig } from '../../../lambdas/definitions/source-files';
import { loadProject, type Project } from '../../../lambdas/definitions/project-files';
import { awsSmokeDeps } from '../../../lambdas/runtime/cli/smoke-command';
import { repositoryRoot } from '../../helpers/cdk';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
const athena = mockClient(AthenaClient);
expectDeclaredCommands('smoke test', s3, s3ObjectStoreIam.actions);
expectDeclaredCommands('smoke test', sfn, [
  ...sfnRunStarterIam.actions,
  ...sfnRunWatcherIam.actions,
]);
expectDeclaredCommands('smoke test', athena, athenaEngineIam.actions);

const machine = 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily';
const landingBucket = 'medallion-dev-landing-111111111111-eu-west-1';

let project: Project;
let smoke: SmokeConfig;
let clock: ManualClock;

beforeAll(async () => {
  project = await loadProject({ root: repositoryRoot, env: 'dev' });
  smoke = (await loadDeliveryConfig(repositoryRoot))!.stages.find((s) => s.env === 'dev')!.smoke!;
});

const text = () => readFileSync(path.join(repositoryRoot, smoke.file), 'utf8');

const plan = (overrides: Partial<SmokePlan> = {}): SmokePlan => ({
  contract: project.contracts.get(`${smoke.source}.${smoke.dataset}`),
  source: smoke.source,
  dataset: smoke.dataset,
  fileName: path.basename(smoke.file),
  text: text(),
  timeoutMs: 30 * 60_000,
  ...overrides,
});

const run = (overrides: Partial<SmokePlan> = {}) =>
  runSmokeTest(
    {
      ...awsSmokeDeps(project.config as PlatformConfig, smoke, {
        s3: new S3Client({ region: 'eu-west-1' }),
        sfn: new SFNClient({ region: 'eu-west-1' }),
        athena: new AthenaClient({ region: 'eu-west-1' }),
        glue: new GlueClient({ region: 'eu-west-1' }),
      }),
      clock,
    },
    plan(overrides),
  );

const executions = (...states: ExecutionStatus[]) => {
  let call = sfn.on(DescribeExecutionCommand);
  for (const status of states)
    call = call.resolvesOnce(
      status === 'FAILED'
        ? { status, error: 'States.TaskFailed', cause: 'IngestLanding failed' }
        : { status },
    );
};

const athenaCount = (n: number) => {
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  athena.on(GetQueryExecutionCommand).resolves({
    QueryExecution: {
      QueryExecutionId: 'q-1',
      StatementType: 'DML',
      Status: { State: 'SUCCEEDED' },
    },
  });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: {
      ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] },
      Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: String(n) }] }],
    },
  });
};

beforeEach(() => {
  s3.reset();
  sfn.reset();
  athena.reset();
  clock = new ManualClock();
  s3.on(PutObjectCommand).resolves({});
  s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'Not Found', $metadata: {} }));
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${machine}:x` });
});

describe('smoke test', () => {
  it('lands the file under a name made of its content, runs daily and counts its rows in bronze by key', async () => {
    executions('RUNNING', 'RUNNING', 'SUCCEEDED');
    athenaCount(3);

    const result = await run();

    const key = smokeFileKey(plan());
    expect(key).toMatch(/^landing\/fx\/rates\/smoke-[0-9a-f]{16}\.csv$/);
    expect(result).toMatchObject({ key, rows: 3 });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: landingBucket,
      Key: key.replace(/^landing\//, ''),
      Body: text(),
    });
    const started = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(started).toMatchObject({ stateMachineArn: machine, input: '{}' });
    expect(result.runId).toBe(started.name);
    expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({
        executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${started.name}`,
      }),
    );
    // Backoff between polls: 5 s, then 10 s.
    expect(clock.sleeps).toEqual([5_000, 10_000]);
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: landingBucket,
      Key: key.replace(/^landing\//, ''),
    });
    const query = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(query.WorkGroup).toBe('medallion-dev-engineering');
    expect(query.QueryString).toBe(
      [
        `select count(*) as n from "medallion_dev_bronze"."fx_rates" where (cast("rate_date" as varchar) = '2000-01-03' and cast("quote_currency" as varchar) = 'EUR')`,
        `  or (cast("rate_date" as varchar) = '2000-01-03' and cast("quote_currency" as varchar) = 'GBP')`,
        `  or (cast("rate_date" as varchar) = '2000-01-03' and cast("quote_currency" as varchar) = 'JPY')`,
      ].join('\n'),
    );
  });

  it('lands the same file at the same key every time (a second smoke test ingests nothing twice)', () => {
    expect(smokeFileKey(plan())).toBe(smokeFileKey(plan()));
    expect(smokeFileKey(plan({ text: `${text()}2000-01-03,CHF,USD,1.6\n` }))).not.toBe(
      smokeFileKey(plan()),
    );
  });

  it('fails with the execution’s error when the run fails, without querying', async () => {
    executions('RUNNING', 'FAILED');
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmokeTestError);
    expect((error as Error).message).toMatch(
      /^Run \S+ ended FAILED: States\.TaskFailed \(IngestLanding failed\)$/,
    );
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });

  it('fails when the run is still going at the timeout, its waits capped by the timeout', async () => {
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    await expect(run({ timeoutMs: 60_000 })).rejects.toThrow(
      /^Run \S+ was still running after 1 minute\(s\)$/,
    );
    expect(clock.sleeps).toEqual([5_000, 10_000, 20_000, 25_000]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(5);
  });

  it('fails when the run succeeded but left the file in the landing zone', async () => {
    executions('SUCCEEDED');
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    await expect(run()).rejects.toThrow(/left landing\/fx\/rates\/smoke-.*did not pick it up/);
  });

  it.each([
    [0, /holds 0 row\(s\) with the keys of the 3 .* rejected or only partly ingested/],
    [6, /holds 6 row\(s\) with the keys of the 3 .* ingested more than once/],
  ])('fails when bronze holds %i rows with the file’s keys', async (n, message) => {
    executions('SUCCEEDED');
    athenaCount(n);
    await expect(run()).rejects.toThrow(message);
  });

  it('fails with Athena’s error when the count query fails', async () => {
    executions('SUCCEEDED');
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        QueryExecutionId: 'q-1',
        Status: {
          State: 'FAILED',
          StateChangeReason: 'TABLE_NOT_FOUND: Table medallion_dev_bronze.fx_rates does not exist',
          AthenaError: { ErrorCategory: 2 },
        },
      },
    });
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as Error).message).toContain('TABLE_NOT_FOUND');
  });

  it('fails when DescribeExecution is refused', async () => {
    sfn.on(DescribeExecutionCommand).rejects(
      Object.assign(new Error('not authorized to perform states:DescribeExecution'), {
        name: 'AccessDeniedException',
      }),
    );
    await expect(run()).rejects.toThrow(
      /^DescribeExecution of arn:aws:states:.*:execution:medallion-dev-daily:\S+ failed: not authorized/,
    );
  });

  it('refuses a file without records before landing anything', async () => {
    await expect(run({ text: 'rate_date,quote_currency,base_currency,rate\n' })).rejects.toThrow(
      'fx-rates.csv holds no records',
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});
