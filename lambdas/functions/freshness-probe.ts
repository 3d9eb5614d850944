/**
 * Lambda, on a schedule: every gold table's minutes since its last publish, from the Glue catalog
 * to CloudWatch, in the namespace of the functions' own metrics.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GlueClient } from '@aws-sdk/client-glue';
import { CloudWatchMetricSink } from '../adapters/aws/cloudwatch-metric-sink';
import { GluePublishTimes } from '../adapters/aws/glue-publish-times';
import { systemClock } from '../adapters/system-clock';
import { createFreshnessProbeHandler } from '../handlers/freshness-probe';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { sources } from './platform/definitions';
import { settings } from './platform/settings';

export const handler = lambdaHandler(async () => {
  const { config, contracts } = await sources();
  return createFreshnessProbeHandler({
    contracts,
    times: new GluePublishTimes(
      tracer.captureAWSv3Client(new GlueClient({})),
      config.project,
      config.env,
    ),
    metrics: new CloudWatchMetricSink(
      tracer.captureAWSv3Client(new CloudWatchClient({})),
      settings().POWERTOOLS_METRICS_NAMESPACE,
    ),
    defaultFreshnessHours: config.monitoring.defaultFreshnessHours,
    clock: systemClock,
    logger,
  });
});
