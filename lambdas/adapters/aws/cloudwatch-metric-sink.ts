import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { MetricPoint, MetricSink } from '../../core/ports';
import { apiError } from './athena-engine';

/** The most metric data one PutMetricData request carries. */
const pointsPerRequest = 1000;

/**
 * Custom metrics through PutMetricData, in one namespace (the one the alarms watch), up to 1,000
 * data points a request; the SDK retries throttling and server errors itself.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
export class CloudWatchMetricSink implements MetricSink {
  constructor(
    private readonly cloudwatch: CloudWatchClient,
    private readonly namespace: string,
  ) {}

  async put(points: readonly MetricPoint[]): Promise<void> {
    for (let i = 0; i < points.length; i += pointsPerRequest) {
      const batch = points.slice(i, i + pointsPerRequest);
      await this.cloudwatch
        .send(
          new PutMetricDataCommand({
            Namespace: this.namespace,
            MetricData: batch.map((p) => ({
              MetricName: p.name,
              Dimensions: Object.entries(p.dimensions).map(([Name, Value]) => ({ Name, Value })),
              Value: p.value,
              Timestamp: p.at,
              Unit: 'None',
            })),
          }),
        )
        .catch((error: unknown) => {
          throw apiError(`CloudWatch PutMetricData ${this.namespace}`, error);
        });
    }
  }
}
