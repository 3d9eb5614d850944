/**
 * The freshness probe's AWS side: publish times from Glue GetTables (every page, only the tables
 * asked for, the parameter catalog-sync writes) and the figures to CloudWatch PutMetricData.
 */
import {
  CloudWatchClient,
  InternalServiceFault,
  InvalidParameterValueException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  AccessDeniedException,
  GetTablesCommand,
  GlueClient,
  ThrottlingException,
} from '@aws-sdk/client-glue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchMetricSink } from '../../../lambdas/adapters/aws/cloudwatch-metric-sink';
import { GluePublishTimes } from '../../../lambdas/adapters/aws/glue-publish-times';
import {
  cloudWatchMetricSinkIam,
  gluePublishTimesIam,
} from '../../../lambdas/adapters/aws/iam-calls';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const glue = mockClient(GlueClient);
const cloudwatch = mockClient(CloudWatchClient);
expectDeclaredCommands('GluePublishTimes', glue, gluePublishTimesIam.actions);
expectDeclaredCommands('CloudWatchMetricSink', cloudwatch, cloudWatchMetricSinkIam.actions);
beforeEach(() => {
  glue.reset();
  cloudwatch.reset();
});

const client = { region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
const times = () => new GluePublishTimes(new GlueClient(client), 'medallion', 'prod');
const sink = () => new CloudWatchMetricSink(new CloudWatchClient(client), 'medallion-prod');

describe('GluePublishTimes', () => {
  it("reads every page of the gold database and keeps the asked tables' updated_at", async () => {
    glue
      .on(GetTablesCommand)
      .resolvesOnce({
        TableList: [
          { Name: 'fact_orders', Parameters: { updated_at: '2026-12-06T02:40:00.000Z' } },
          // A version table of a build, not asked for.
          {
            Name: 'fact_orders__v20261206',
            Parameters: { updated_at: '2026-12-06T02:39:00.000Z' },
          },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        TableList: [
          { Name: 'revenue_daily', Parameters: { updated_at: '2026-12-05T02:41:00.000Z' } },
          // Created, never synced: no publish time.
          { Name: 'dim_date', Parameters: { table_type: 'ICEBERG' } },
        ],
      });
    const found = await times().lastPublished([
      'gold.fact_orders',
      'gold.revenue_daily',
      'gold.dim_date',
      'gold.customer_360',
    ]);
    expect(Object.fromEntries(found)).toEqual({
      'gold.fact_orders': '2026-12-06T02:40:00.000Z',
      'gold.revenue_daily': '2026-12-05T02:41:00.000Z',
    });
    expect(glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input)).toEqual([
      { DatabaseName: 'medallion_prod_gold', NextToken: undefined },
      { DatabaseName: 'medallion_prod_gold', NextToken: 'page-2' },
    ]);
  });

  it('lists each database the relations live in once', async () => {
    glue.on(GetTablesCommand).resolves({ TableList: [] });
    await times().lastPublished(['gold.a', 'silver.b', 'gold.c']);
    expect(glue.commandCalls(GetTablesCommand).map((c) => c.args[0].input.DatabaseName)).toEqual([
      'medallion_prod_gold',
      'medallion_prod_silver',
    ]);
  });

  it('fails transiently when Glue throttles, for good when access is denied', async () => {
    glue
      .on(GetTablesCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .rejectsOnce(new AccessDeniedException({ message: 'not allowed', $metadata: {} }));
    await expect(times().lastPublished(['gold.a'])).rejects.toBeInstanceOf(TransientError);
    const denied = times().lastPublished(['gold.a']);
    await expect(denied).rejects.toBeInstanceOf(PipelineError);
    await expect(denied).rejects.not.toBeInstanceOf(TransientError);
    await expect(denied).rejects.toThrow('Glue GetTables medallion_prod_gold failed');
  });
});

describe('CloudWatchMetricSink', () => {
  const at = new Date('2026-12-06T12:00:00.000Z');
  const point = (i: number) => ({
    name: 'MinutesSincePublish',
    dimensions: { dataset: `gold.t${i}` },
    value: i,
    at,
  });

  it('puts the points in its namespace, each with its dimensions, value and time', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    await sink().put([point(1), point(2)]);
    expect(cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        Namespace: 'medallion-prod',
        MetricData: [1, 2].map((i) => ({
          MetricName: 'MinutesSincePublish',
          Dimensions: [{ Name: 'dataset', Value: `gold.t${i}` }],
          Value: i,
          Timestamp: at,
          Unit: 'None',
        })),
      },
    ]);
  });

  it('sends 1,000 points a request at most, and nothing for no points', async () => {
    cloudwatch.on(PutMetricDataCommand).resolves({});
    await sink().put(Array.from({ length: 1001 }, (_, i) => point(i)));
    expect(
      cloudwatch.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.length),
    ).toEqual([1000, 1]);
    cloudwatch.resetHistory();
    await sink().put([]);
    expect(cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it('fails transiently on a service fault, for good on a bad parameter', async () => {
    cloudwatch
      .on(PutMetricDataCommand)
      .rejectsOnce(
        new InternalServiceFault({ message: 'fault', $metadata: { httpStatusCode: 500 } }),
      )
      .rejectsOnce(new InvalidParameterValueException({ message: 'bad value', $metadata: {} }));
    await expect(sink().put([point(1)])).rejects.toBeInstanceOf(TransientError);
    const bad = sink().put([point(1)]);
    await expect(bad).rejects.not.toBeInstanceOf(TransientError);
    await expect(bad).rejects.toThrow('CloudWatch PutMetricData medallion-prod failed');
  });
});
