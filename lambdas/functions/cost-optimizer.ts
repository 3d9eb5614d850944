/**
 * Lambda: the cost optimizer, which records the platform buckets' storage metrics and lifecycle
 * rules and its functions' and state machines' activity for the weekly cost report. A function
 * of its own: the report's bundle has no room for the CloudWatch client.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { CloudWatchMetricData } from '../adapters/aws/cloudwatch-metrics';
import { S3LifecycleRules } from '../adapters/aws/s3-lifecycle';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { systemClock } from '../adapters/system-clock';
import { parseCostOptimizerEnvironment } from '../core/function-environment';
import { createCostOptimizerHandler } from '../handlers/cost-optimizer';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { settings } from './platform/settings';

export const handler = lambdaHandler(async () => {
  const { MEDALLION_BUCKETS } = settings();
  const own = parseCostOptimizerEnvironment(process.env);
  const s3 = tracer.captureAWSv3Client(new S3Client({}));
  return createCostOptimizerHandler({
    metrics: new CloudWatchMetricData(tracer.captureAWSv3Client(new CloudWatchClient({}))),
    lifecycle: new S3LifecycleRules(s3),
    targets: {
      buckets: MEDALLION_BUCKETS,
      functions: own.MEDALLION_WATCHED_FUNCTIONS,
      stateMachines: own.MEDALLION_STATE_MACHINE_ARNS,
    },
    store: new S3ObjectStore(s3, { reports: MEDALLION_BUCKETS.reports }),
    clock: systemClock,
    logger,
  });
});
