import { ArnFormat, Stack, type ArnComponents } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';

/**
 * CloudWatch Logs accepts a customer managed key for a log group only if the key policy allows
 * the regional Logs service principal; the condition limits it to this account's log groups in
 * this region (every stack of the project: state machines' and functions' log groups alike).
 * Without it, creating an encrypted log group fails and so does its stack.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function allowLogGroupsToUseKey(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: [
        'kms:Encrypt*',
        'kms:Decrypt*',
        'kms:ReEncrypt*',
        'kms:GenerateDataKey*',
        'kms:Describe*',
      ],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}

/**
 * EventBridge delivers to the encrypted failure topic and dead-letter queue as its service
 * principal, which must be allowed to use the key: only on behalf of this account's rules, so
 * that no other account's rule can make EventBridge use it (the confused deputy).
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
 */
export function allowEventBridgeToUseKey(key: kms.IKey): void {
  allowOwnResourcesToUseKey(key, 'events', { resource: 'rule', resourceName: '*' });
}

/**
 * CloudTrail encrypts the access trail's log files with the lake key: it may generate data keys
 * for this trail only (its ARN as `aws:SourceArn` and in the encryption context) and describe
 * the key. https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 */
export function allowCloudTrailToUseKey(key: kms.IKey, trailArn: string): void {
  const stack = Stack.of(key);
  const cloudTrail = new iam.ServicePrincipal('cloudtrail.amazonaws.com');
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudTrail],
      actions: ['kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceArn': trailArn },
        StringLike: {
          'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
        },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [cloudTrail],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceArn': trailArn } },
    }),
  );
}

/**
 * Cost Anomaly Detection and AWS Budgets publish to the encrypted cost topic as their service
 * principals, which must be allowed to use the key, on behalf of this account only.
 * https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html
 * https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
 */
export function allowCostAlertsToUseKey(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [
        new iam.ServicePrincipal('costalerts.amazonaws.com'),
        new iam.ServicePrincipal('budgets.amazonaws.com'),
      ],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
  );
}

/**
 * CloudWatch alarms publish to the encrypted failure topic as their service principal, on behalf
 * of this account's alarms only (the confused deputy).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-encrypted-topics
 */
export function allowCloudWatchAlarmsToUseKey(key: kms.IKey): void {
  allowOwnResourcesToUseKey(key, 'cloudwatch', {
    resource: 'alarm',
    resourceName: '*',
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * Lets a service principal encrypt and decrypt with the key on behalf of this account's own
 * resources only (`aws:SourceAccount` and `aws:SourceArn`), so no other account can make the
 * service use it (the confused deputy).
 */
function allowOwnResourcesToUseKey(
  key: kms.IKey,
  service: string,
  source: Omit<ArnComponents, 'service'>,
): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`${service}.amazonaws.com`)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': stack.formatArn({ service, ...source }) },
      },
    }),
  );
}
