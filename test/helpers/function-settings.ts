import { bucketName, bucketRoles, type BucketRole } from '../../lambdas/core/aws-names';
import type { FunctionSettings } from '../../lambdas/core/function-environment';

/** The settings the dev pipeline stack gives every function (Lambda adds AWS_REGION). */
export function devFunctionSettings(
  failureTopicArn = 'arn:aws:sns:eu-west-1:111111111111:failures',
): Omit<FunctionSettings, 'AWS_REGION'> {
  return {
    MEDALLION_ENV: 'dev',
    MEDALLION_ACCOUNT: '111111111111',
    MEDALLION_BUCKETS: Object.fromEntries(
      bucketRoles.map((role) => [
        role,
        bucketName('medallion', 'dev', role, '111111111111', 'eu-west-1'),
      ]),
    ) as Record<BucketRole, string>,
    MEDALLION_WORKGROUP: 'medallion-dev-engineering',
    MEDALLION_FAILURE_TOPIC_ARN: failureTopicArn,
    MEDALLION_RUN_LOCK_TABLE: 'medallion-dev-run-lock',
    POWERTOOLS_METRICS_NAMESPACE: 'medallion-dev',
  };
}
