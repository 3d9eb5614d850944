import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { MedallionStacks } from './app';

/**
 * cdk-nag findings accepted on purpose: each on the narrowest construct, with why it is
 * acceptable. Any other finding fails the synth (and the infrastructure tests).
 */
export function acknowledgeFindings({ storage, pipeline }: MedallionStacks): void {
  const acknowledge = (construct: IConstruct, id: string, reason: string) =>
    Validations.of(construct).acknowledge({ id, reason });

  for (const fn of Object.values(pipeline.functions)) {
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (!policy) continue;
    const redshift =
      fn === pipeline.functions.IngestWarehouseFunctionArn
        ? ' Redshift Data API statement calls (describe, fetch, cancel) take no resource ARN: a condition limits them to statements the function itself started.'
        : '';
    acknowledge(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      `X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.${redshift}`,
    );
  }
  acknowledge(
    pipeline.functions.KafkaEvents.role!,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
    'The MSK event source mapping needs the managed MSK execution role (cluster and network description); it grants no data-bucket access.',
  );
  for (const machine of Object.values(pipeline.stateMachines)) {
    acknowledge(
      machine.role.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'Step Functions log delivery (logs:*LogDelivery) and X-Ray tracing support no resource-level permissions.',
    );
  }
  acknowledge(
    pipeline.deadLetters,
    'AwsSolutions-SQS3',
    'This queue is the dead-letter queue of the schedules, of run recording and of the landing-events queue; a dead-letter queue of its own would only move the problem.',
  );

  const notifications = Stack.of(storage).node.children.filter((c) =>
    c.node.id.startsWith('BucketNotificationsHandler'),
  );
  for (const handler of notifications) {
    acknowledge(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK’s own custom resource that turns on EventBridge notifications for the landing bucket at deploy time; it only writes its logs.',
    );
    acknowledge(
      handler,
      'AwsSolutions-IAM5[Resource::*]',
      'CDK’s notifications custom resource calls s3:PutBucketNotification, which it scopes at run time.',
    );
  }
}
