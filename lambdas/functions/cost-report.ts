/**
 * Lambda: the weekly cost report, from Cost Explorer and the run history in Athena, with
 * recommendations from the functions' logs (Logs Insights) and Cost Optimization Hub.
 */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { CostOptimizationHubClient } from '@aws-sdk/client-cost-optimization-hub';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { CostExplorerCosts } from '../adapters/aws/cost-explorer';
import { CostOptimizationHubRecommendations } from '../adapters/aws/cost-optimization-hub';
import { LogsInsightsLambdaUsage } from '../adapters/aws/logs-insights';
import { S3ObjectStore } from '../adapters/aws/s3-object-store';
import { SnsPublisher } from '../adapters/aws/sns-notifier';
import { systemClock } from '../adapters/system-clock';
import { costAllocationTags } from '../core/cost/tags';
import { parseCostReportEnvironment } from '../core/function-environment';
import { RunHistory } from '../core/runs';
import { createCostReportHandler } from '../handlers/cost-report';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';
import { settings } from './platform/settings';

export const handler = lambdaHandler(async () => {
  const { config } = await sources();
  const own = parseCostReportEnvironment(process.env);
  return createCostReportHandler({
    costs: new CostExplorerCosts(
      // Cost Explorer has one endpoint for the partition, in us-east-1, whatever the stack's region.
      // https://docs.aws.amazon.com/general/latest/gr/billing.html
      tracer.captureAWSv3Client(new CostExplorerClient({ region: 'us-east-1' })),
      { monitorArn: own.MEDALLION_ANOMALY_MONITOR_ARN },
    ),
    runs: new RunHistory(await athena(config, 'CostReport')),
    lambdas: new LogsInsightsLambdaUsage(tracer.captureAWSv3Client(new CloudWatchLogsClient({})), {
      logGroups: own.MEDALLION_FUNCTION_LOG_GROUPS,
    }),
    hub: new CostOptimizationHubRecommendations(
      // Cost Optimization Hub's one endpoint is in us-east-1, for every Region's recommendations.
      // https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_Operations_Cost_Optimization_Hub.html
      tracer.captureAWSv3Client(new CostOptimizationHubClient({ region: 'us-east-1' })),
      { project: config.project },
    ),
    prices: config.cost.prices,
    advice: config.cost.advice,
    store: new S3ObjectStore(tracer.captureAWSv3Client(new S3Client({})), {
      reports: settings().MEDALLION_BUCKETS.reports,
    }),
    publisher: new SnsPublisher(
      tracer.captureAWSv3Client(new SNSClient({})),
      own.MEDALLION_COST_TOPIC_ARN,
    ),
    env: config.env,
    tags: costAllocationTags,
    clock: systemClock,
    logger,
  });
});
