import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetBucketLifecycleConfigurationCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricData } from '../../../lambdas/adapters/aws/cloudwatch-metrics';
import { cloudWatchMetricsIam, s3LifecycleIam } from '../../../lambdas/adapters/aws/iam-calls';
import { S3LifecycleRules } from '../../../lambdas/adapters/aws/s3-lifecycle';
import type { MetricQuery } from '../../../lambdas/core/cost/optimizer';
import { TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const cw = mockClient(CloudWatchClient);
const s3 = mockClient(S3Client);
expectDeclaredCommands('CloudWatchMetricData', cw, cloudWatchMetricsIam.actions);
expectDeclaredCommands('S3LifecycleRules', s3, s3LifecycleIam.actions);
beforeEach(() => {
  cw.reset();
  s3.reset();
});

const query = (i: number): MetricQuery => ({
  id: `q${i}`,
  namespace: 'AWS/Lambda',
  metric: 'Invocations',
  dimensions: { FunctionName: `f${i}` },
  stat: 'Sum',
  period: 86_400,
});
const period = { from: '2026-10-24', to: '2026-11-23' };
const metrics = (clock = new ManualClock()) =>
  new CloudWatchMetricData(new CloudWatchClient({ region: 'eu-west-1' }), {
    clock,
    maxAttempts: 3,
    backoffMs: 500,
  });

describe('CloudWatchMetricData', () => {
  it('asks for whole UTC days and follows NextToken, recording timestamps as ISO text', async () => {
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          {
            Id: 'q0',
            Label: 'Invocations',
            Timestamps: [new Date('2026-11-01T00:00:00Z')],
            Values: [3],
            StatusCode: 'PartialData',
          },
        ],
        NextToken: 't2',
      })
      .resolvesOnce({
        MetricDataResults: [
          {
            Id: 'q0',
            Timestamps: [new Date('2026-11-02T00:00:00Z')],
            Values: [4],
            StatusCode: 'Complete',
          },
        ],
      });
    expect(await metrics().metricData([query(0)], period)).toEqual([
      {
        MetricDataResults: [
          {
            Id: 'q0',
            Label: 'Invocations',
            Timestamps: ['2026-11-01T00:00:00.000Z'],
            Values: [3],
            StatusCode: 'PartialData',
          },
        ],
        NextToken: 't2',
      },
      {
        MetricDataResults: [
          {
            Id: 'q0',
            Timestamps: ['2026-11-02T00:00:00.000Z'],
            Values: [4],
            StatusCode: 'Complete',
          },
        ],
      },
    ]);
    const inputs = cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      StartTime: new Date('2026-10-24T00:00:00Z'),
      EndTime: new Date('2026-11-23T00:00:00Z'),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'q0',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [{ Name: 'FunctionName', Value: 'f0' }],
            },
            Period: 86_400,
            Stat: 'Sum',
          },
        },
      ],
    });
    expect(inputs[1]).toEqual({ ...inputs[0], NextToken: 't2' });
  });

  it('sends 500 queries a request', async () => {
    cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const pages = await metrics().metricData(
      Array.from({ length: 501 }, (_, i) => query(i)),
      period,
    );
    expect(pages).toEqual([{ MetricDataResults: [] }, { MetricDataResults: [] }]);
    expect(
      cw.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries!.length),
    ).toEqual([500, 1]);
  });

  it('records a series without datapoints as empty (a function never invoked)', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', Label: 'Invocations', StatusCode: 'Complete' }],
    });
    expect(await metrics().metricData([query(0)], period)).toEqual([
      {
        MetricDataResults: [
          { Id: 'q0', Label: 'Invocations', Timestamps: [], Values: [], StatusCode: 'Complete' },
        ],
      },
    ]);
  });

  it('tries a throttled call again, backing off, then fails as transient', async () => {
    const throttling = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    cw.on(GetMetricDataCommand).rejectsOnce(throttling).resolves({ MetricDataResults: [] });
    const clock = new ManualClock();
    expect(await metrics(clock).metricData([query(0)], period)).toHaveLength(1);
    expect(clock.sleeps).toEqual([500]);
    cw.on(GetMetricDataCommand).rejects(throttling);
    const again = new ManualClock();
    await expect(metrics(again).metricData([query(0)], period)).rejects.toBeInstanceOf(
      TransientError,
    );
    expect(again.sleeps).toEqual([500, 1000]);
  });

  it('fails on any other error, naming the call', async () => {
    cw.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('bad id'), { name: 'InvalidParameterValueException' }),
    );
    await expect(metrics().metricData([query(0)], period)).rejects.toThrow(
      'CloudWatch GetMetricData failed: InvalidParameterValueException: bad id',
    );
  });
});

describe('S3LifecycleRules', () => {
  const rules = () => new S3LifecycleRules(new S3Client({ region: 'eu-west-1' }));

  it("answers the bucket's rules, dates as ISO text", async () => {
    s3.on(GetBucketLifecycleConfigurationCommand, { Bucket: 'lake-bronze' }).resolves({
      Rules: [
        {
          ID: 'BronzeRule',
          Status: 'Enabled',
          Filter: { Prefix: '' },
          Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
          Expiration: { Date: new Date('2030-01-01T00:00:00Z') },
        },
      ],
    });
    expect(await rules().rules('lake-bronze')).toEqual([
      {
        ID: 'BronzeRule',
        Status: 'Enabled',
        Filter: { Prefix: '' },
        Transitions: [{ Days: 30, StorageClass: 'STANDARD_IA' }],
        Expiration: { Date: '2030-01-01T00:00:00.000Z' },
      },
    ]);
    expect(s3.commandCalls(GetBucketLifecycleConfigurationCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake-bronze',
    });
  });

  it('answers null for a bucket without a lifecycle configuration', async () => {
    s3.on(GetBucketLifecycleConfigurationCommand).rejects(
      new S3ServiceException({
        name: 'NoSuchLifecycleConfiguration',
        message: 'The lifecycle configuration does not exist',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    expect(await rules().rules('lake-quarantine')).toBeNull();
  });

  it('fails on any other error, naming the bucket', async () => {
    s3.on(GetBucketLifecycleConfigurationCommand).rejects(
      new S3ServiceException({
        name: 'AccessDenied',
        message: 'Access Denied',
        $fault: 'client',
        $metadata: {},
      }),
    );
    await expect(rules().rules('lake-gold')).rejects.toThrow(
      'S3 GetBucketLifecycleConfiguration of lake-gold failed: AccessDenied: Access Denied',
    );
  });
});
