import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricDataPage, MetricDataSource, MetricQuery } from '../../core/cost/optimizer';
import type { Period } from '../../core/cost/report';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock } from '../../core/ports';
import { systemClock } from '../system-clock';

export interface CloudWatchMetricDataOptions {
  /** Attempts of a throttled call, backing off between them. @default 5 */
  readonly maxAttempts?: number;
  /** First wait after a throttled call, doubled after each. @default 1000 */
  readonly backoffMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** One GetMetricData request holds at most 500 queries. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html */
const queriesPerRequest = 500;

/** CloudWatch's throttling error codes. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CommonErrors.html */
const throttled = new Set(['Throttling', 'ThrottlingException']);

/**
 * CloudWatch's GetMetricData over whole UTC days: the queries 500 at a time, every page of each
 * (NextToken; one query's datapoints may span pages). Throttling is tried again with exponential
 * backoff; any other error fails the recording.
 */
export class CloudWatchMetricData implements MetricDataSource {
  private readonly clock: Clock;

  constructor(
    private readonly client: CloudWatchClient,
    private readonly options: CloudWatchMetricDataOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async metricData(queries: readonly MetricQuery[], period: Period): Promise<MetricDataPage[]> {
    const pages: MetricDataPage[] = [];
    for (let i = 0; i < queries.length; i += queriesPerRequest) {
      const batch = queries.slice(i, i + queriesPerRequest);
      let token: string | undefined;
      do {
        const page = await this.send(batch, period, token);
        pages.push({
          MetricDataResults: (page.MetricDataResults ?? []).map((r) => ({
            ...(r.Id ? { Id: r.Id } : {}),
            ...(r.Label ? { Label: r.Label } : {}),
            Timestamps: (r.Timestamps ?? []).map((t) => t.toISOString()),
            Values: r.Values ?? [],
            ...(r.StatusCode ? { StatusCode: r.StatusCode } : {}),
          })),
          ...(page.NextToken ? { NextToken: page.NextToken } : {}),
        });
        token = page.NextToken;
      } while (token);
    }
    return pages;
  }

  private async send(batch: readonly MetricQuery[], period: Period, token: string | undefined) {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.send(
          new GetMetricDataCommand({
            StartTime: new Date(`${period.from}T00:00:00Z`),
            EndTime: new Date(`${period.to}T00:00:00Z`),
            ScanBy: 'TimestampAscending',
            MetricDataQueries: batch.map((q) => ({
              Id: q.id,
              MetricStat: {
                Metric: {
                  Namespace: q.namespace,
                  MetricName: q.metric,
                  Dimensions: Object.entries(q.dimensions).map(([Name, Value]) => ({
                    Name,
                    Value,
                  })),
                },
                Period: q.period,
                Stat: q.stat,
              },
            })),
            ...(token ? { NextToken: token } : {}),
          }),
        );
      } catch (error) {
        const { name, message } = error as Error;
        if (throttled.has(name) && attempt < maxAttempts) {
          await this.clock.sleep((this.options.backoffMs ?? 1000) * 2 ** (attempt - 1));
          continue;
        }
        const text = `CloudWatch GetMetricData failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${name}: ${message}`;
        throw throttled.has(name)
          ? new TransientError(text, { cause: error })
          : new PipelineError(text, { cause: error });
      }
    }
  }
}
