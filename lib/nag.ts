import { Aspects, Stack, Validations, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { BucketRole } from '../lambdas/core/aws-names';
import type { MedallionStacks } from './app';
import type { DeliveryStack } from './stacks/delivery-stack';
import type { SmokeStack } from './stacks/smoke-stack';
import { rendered } from './constructs/acknowledge';
import { taskNames, tasks, type TaskName } from '../lambdas/core/tasks';
import { lakeUses } from './constructs/pipeline-lake-grants';
import { s3BackupPolicies } from './stacks/backup-stack';

/**
 * cdk-nag findings (AWS Solutions and NIST 800-53 R5) accepted on purpose: each on the narrowest
 * construct, with why it is acceptable. Any other finding fails the synth (and the
 * infrastructure tests).
 */
export function acknowledgeFindings(stacks: MedallionStacks): void {
  acknowledgeAwsSolutions(stacks);
  acknowledgeNist80053R5(stacks);
}

const acknowledge = (construct: IConstruct, id: string, reason: string) =>
  Validations.of(construct).acknowledge({ id, reason });

function acknowledgeAwsSolutions({ storage, pipeline, access, backup }: MedallionStacks): void {
  if (backup)
    for (const policy of s3BackupPolicies)
      acknowledge(
        backup.role,
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${policy}]`,
        'AWS’s managed policies for AWS Backup of S3, which AWS keeps current with the S3 calls backup and restore need (https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html); the role is assumed by AWS Backup only and selected for the lake buckets only.',
      );
  if (access)
    acknowledge(
      access.settings.function.role!.node.findChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords, and Lake Formation GetDataLakeSettings, PutDataLakeSettings, ListPermissions and RevokePermissions, support no resource-level permissions; Lake Formation itself decides what an admin may change.',
    );
  for (const fn of Object.values(pipeline.functions)) {
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (!policy) continue;
    const redshift =
      fn === pipeline.functions.IngestWarehouse
        ? ' Redshift Data API statement calls (describe, fetch, cancel) take no resource ARN: a condition limits them to statements the function itself started.'
        : '';
    const msk =
      fn === pipeline.functions.KafkaEvents
        ? ' The MSK event source mapping calls kafka:GetBootstrapBrokers and the EC2 network-interface actions, which support no resource-level permissions (or, for the ENIs, only subnets and security groups the cluster chooses).'
        : '';
    const task = taskOf(pipeline, fn);
    const lakeFormation = Object.values(lakeUses[task]).some((use) => use !== 'describe')
      ? ' Lake Formation GetDataAccess (Athena asks for credentials to registered locations as the caller) supports none either; Lake Formation grants decide what it reaches.'
      : '';
    const costExplorer =
      task === 'CostReport'
        ? ' Cost Explorer’s GetCostAndUsage, GetCostForecast and GetAnomalies support no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscostexplorerservice.html).'
        : '';
    const metrics =
      task === 'FreshnessProbe'
        ? ' CloudWatch PutMetricData supports no resource-level permissions; a cloudwatch:namespace condition holds it to the platform’s namespace (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).'
        : '';
    const cloudWatch =
      task === 'CostOptimizer'
        ? ' CloudWatch’s GetMetricData supports no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html).'
        : '';
    const accessSync =
      task === 'CatalogSync'
        ? ' Neither do the access sync’s Lake Formation calls (data cells filters, GrantPermissions, AddLFTagsToResource), bounded by the Lake Formation grants the Access stack gives this role.'
        : '';
    acknowledge(
      policy,
      'AwsSolutions-IAM5[Resource::*]',
      `X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.${redshift}${msk}${lakeFormation}${accessSync}${costExplorer}${metrics}${cloudWatch}`,
    );
  }
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
    'This queue is the dead-letter queue of the schedules, of run recording, of the MSK event source mapping and of the landing-events queue; a dead-letter queue of its own would only move the problem.',
  );
  for (const handler of notificationHandlers(storage)) {
    acknowledge(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK’s singleton handler of Custom::S3BucketNotifications, which turns on EventBridge notifications for the landing bucket at deploy time. CDK attaches this managed policy to its role unconditionally (it lets the handler create and write any CloudWatch log group and stream of the account); its only other permission is s3:PutBucketNotification on the landing bucket’s ARN, in the bucket’s HandlerPolicy.',
    );
  }
}

function taskOf(pipeline: MedallionStacks['pipeline'], fn: unknown): TaskName {
  return taskNames.find((t) => pipeline.functions[t] === fn)!;
}

/** CDK's custom-resource Lambda that writes bucket notification configurations (one per stack). */
function notificationHandlers(stack: Stack): IConstruct[] {
  return stack.node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'));
}

function acknowledgeNist80053R5({
  storage,
  catalog,
  pipeline,
  access,
  backup,
}: MedallionStacks): void {
  const lambdaDocs = 'https://docs.aws.amazon.com/lambda/latest/dg';
  const unreserved = `A reservation would be carved out of the account’s shared concurrency, of which Lambda keeps 100 unreserved (${lambdaDocs}/configuration-concurrency.html), and would fail the deploy in accounts with a low quota.`;
  for (const task of taskNames.filter((t) => tasks[t].invokedBy === 'state machine')) {
    const fn = pipeline.functions[task];
    acknowledge(
      fn,
      'NIST.800.53.R5-LambdaDLQ',
      `Invoked synchronously by Step Functions Task states, whose Retry and Catch (to NotifyFailure) handle its failures; a dead-letter queue only receives failed asynchronous invocations (${lambdaDocs}/invocation-async-retain-records.html).`,
    );
    acknowledge(
      fn,
      'NIST.800.53.R5-LambdaConcurrency',
      `Invoked only by Task states of this stack’s state machines: how many run at once is decided where runs and fan-outs start, not by a reservation. ${unreserved}`,
    );
  }
  if (access) {
    const settings = access.settings.function;
    acknowledge(
      settings,
      'NIST.800.53.R5-LambdaDLQ',
      `Invoked synchronously by CloudFormation as a custom resource; a failure is answered to CloudFormation, which fails and rolls back the deployment. A dead-letter queue only receives failed asynchronous invocations (${lambdaDocs}/invocation-async-retain-records.html).`,
    );
    acknowledge(
      settings,
      'NIST.800.53.R5-LambdaConcurrency',
      `Invoked only by CloudFormation, once per deployment that changes the Lake Formation settings resource. ${unreserved}`,
    );
    acknowledge(
      settings,
      'NIST.800.53.R5-LambdaInsideVPC',
      'Reaches only the Lake Formation API and CloudFormation’s presigned response URL in S3, over TLS with IAM credentials; a VPC would only add NAT gateways or interface endpoints in front of the same calls.',
    );
  }
  const { KafkaEvents, RecordRun, StartLanding } = pipeline.functions;
  acknowledge(
    StartLanding,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked synchronously by the SQS event source mapping of the landing-events queue: a batch that fails returns to the queue, which moves a message received 5 times to the DeadLetters queue (${lambdaDocs}/services-sqs-errorhandling.html). A dead-letter queue only receives failed asynchronous invocations.`,
  );
  acknowledge(
    StartLanding,
    'NIST.800.53.R5-LambdaConcurrency',
    `Invoked only by the landing-events queue's event source mapping, whose maximum concurrency of 2 bounds it (${lambdaDocs}/services-sqs-scaling.html). ${unreserved}`,
  );
  acknowledge(
    pipeline.runLock.table,
    'NIST.800.53.R5-DynamoDBInBackupPlan',
    'Holds only the lake’s run lock: one lease that expires within the longest run plus five minutes. There is nothing to restore: a lost lease is a free lock, and a run that held it is recorded in audit.runs. Point-in-time recovery is on all the same.',
  );
  acknowledge(
    KafkaEvents,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked synchronously by the MSK event source mapping: a dead-letter queue only receives failed asynchronous invocations; a batch that keeps failing is the mapping’s to retry or send to its on-failure destination (${lambdaDocs}/kafka-on-failure.html).`,
  );
  acknowledge(
    KafkaEvents,
    'NIST.800.53.R5-LambdaConcurrency',
    `Invoked by the MSK event source mapping, which reads each topic partition sequentially (${lambdaDocs}/with-msk-process.html): the topics’ partitions bound its concurrency. ${unreserved}`,
  );
  acknowledge(
    RecordRun,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked asynchronously by EventBridge; an invocation that fails its retries goes to the DeadLetters queue through the function’s on-failure destination, which AWS recommends over a dead-letter queue because it also records the error (${lambdaDocs}/invocation-async-retain-records.html).`,
  );
  acknowledge(
    pipeline.functions.CostReport,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked asynchronously by the weekly EventBridge rule, whose event carries nothing to replay: a report that failed is made again by invoking the function with {"asOf": "<day>"} (docs/cost.md), and Lambda's own retries cover passing failures (${lambdaDocs}/invocation-async-retain-records.html).`,
  );
  acknowledge(
    pipeline.functions.CostReport,
    'NIST.800.53.R5-LambdaConcurrency',
    `Invoked once a week by its schedule, or by a person on demand. ${unreserved}`,
  );
  acknowledge(
    pipeline.functions.FreshnessProbe,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked asynchronously by its EventBridge schedule every few minutes, with an event that carries nothing to replay: the next invocation measures afresh, and a measure that never arrives fires the gold tables' freshness alarms, whose missing data breaches (${lambdaDocs}/invocation-async-retain-records.html).`,
  );
  acknowledge(
    pipeline.functions.FreshnessProbe,
    'NIST.800.53.R5-LambdaConcurrency',
    `Invoked by its schedule every few minutes, for a second or two. ${unreserved}`,
  );
  acknowledge(
    pipeline.functions.CostOptimizer,
    'NIST.800.53.R5-LambdaDLQ',
    `Invoked asynchronously by the weekly EventBridge rule, whose event carries nothing to replay: a recording that failed is made again by invoking the function with {"asOf": "<day>"} before the report (docs/cost.md), and Lambda's own retries cover passing failures (${lambdaDocs}/invocation-async-retain-records.html).`,
  );
  acknowledge(
    pipeline.functions.CostOptimizer,
    'NIST.800.53.R5-LambdaConcurrency',
    `Invoked once a week by its schedule, or by a person on demand. ${unreserved}`,
  );
  for (const fn of Object.values(pipeline.functions)) {
    acknowledge(
      fn,
      'NIST.800.53.R5-LambdaInsideVPC',
      'Reaches nothing inside a VPC: only AWS service endpoints (S3, Athena, Glue, KMS, SNS, Step Functions, Secrets Manager, Redshift Data API) and the sources’ public HTTPS APIs (Snowflake, CRM, FX), all over TLS with IAM or secret credentials. The MSK event source mapping reaches the cluster’s VPC by itself. A VPC would only add NAT gateways or interface endpoints in front of the same calls.',
    );
  }

  if (backup?.restoreTesting) {
    const validation = backup.restoreTesting.validation;
    acknowledge(
      validation,
      'NIST.800.53.R5-LambdaDLQ',
      `Invoked asynchronously by EventBridge once per restore test. A validation that never reports leaves the restore job’s validation status to time out at the end of the validation window, which the RestoreValidationFailed rule sends to the backup alerts topic: a dead-letter queue would hold an event nobody needs to replay (${lambdaDocs}/invocation-async-retain-records.html).`,
    );
    acknowledge(
      validation,
      'NIST.800.53.R5-LambdaConcurrency',
      `Invoked once per restore job of the weekly restore test, a handful of invocations a week. ${unreserved}`,
    );
    acknowledge(
      validation,
      'NIST.800.53.R5-LambdaInsideVPC',
      'Reaches only the S3 and AWS Backup APIs, over TLS with IAM credentials; a VPC would only add NAT gateways or interface endpoints in front of the same calls.',
    );
  }

  if (backup?.catalogBackup) {
    const { export: exporter, restore } = backup.catalogBackup;
    acknowledge(
      exporter.function,
      'NIST.800.53.R5-LambdaDLQ',
      `Invoked asynchronously by its EventBridge schedule, once a day. A failed export leaves the previous ones in place and is replaced by the next day's; its errors are in the function's log: a dead-letter queue would hold a scheduled event nobody needs to replay (${lambdaDocs}/invocation-async-retain-records.html).`,
    );
    acknowledge(
      restore.function,
      'NIST.800.53.R5-LambdaDLQ',
      'Invoked synchronously by an operator (`aws lambda invoke`), who gets the result or the error back: there is no asynchronous event to keep.',
    );
    for (const fn of [exporter.function, restore.function]) {
      acknowledge(
        fn,
        'NIST.800.53.R5-LambdaConcurrency',
        `A daily export and a restore in a recovery: a handful of invocations. ${unreserved}`,
      );
      acknowledge(
        fn,
        'NIST.800.53.R5-LambdaInsideVPC',
        'Reaches only the Glue and S3 APIs, over TLS with IAM credentials; a VPC would only add NAT gateways or interface endpoints in front of the same calls.',
      );
    }
  }

  for (const policy of [
    storage,
    catalog,
    pipeline,
    ...(access ? [access] : []),
    ...(backup ? [backup] : []),
  ].flatMap((s) => ownRolePolicies(s))) {
    acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy', inlinePolicyReason);
  }

  const derived = (what: string) =>
    `Versioned, in one Region. ${what} is rebuilt from bronze by replaying the pipeline, so a replica in another Region would copy what bronze already reproduces.`;
  const noDrRegion = (what: string) =>
    `Versioned, in one Region (S3 stores objects across at least three Availability Zones). No disaster-recovery Region is configured for the platform, so there is no replica to write: cross-Region protection of ${what} is a decision for the deployment.`;
  const drCopy = backup?.disasterRecoveryVaultArn
    ? `Versioned, and backed up by AWS Backup (continuous and snapshots, Backup stack), whose snapshots are copied to the disaster-recovery vault ${backup.disasterRecoveryVaultArn}: recovery in another Region restores from those copies, so a replica would be a second copy of the same protection.`
    : undefined;
  const notReplicated: Record<BucketRole | 'accessLogs', string> = {
    landing:
      'A drop zone: each file is ingested into bronze, then moved under processed/ or rejected/; bronze holds the durable copy, so a replica would duplicate files already in bronze.',
    bronze: drCopy ?? noDrRegion('bronze, the layer nothing can rebuild,'),
    silver: derived('Silver (and its seeds)'),
    gold: derived('Gold'),
    quarantine: derived('Quarantine'),
    audit: drCopy ?? noDrRegion('the run history, lineage and quality evidence'),
    athenaResults:
      'Athena query results and scratch tables of running materializations: re-created by running the query again, and expired by the bucket’s lifecycle.',
    reports:
      'Rendered reports (HTML and CSV) only, each rendered again from the tables it summarizes; a replica would protect nothing that cannot be produced again.',
    accessLogs:
      'S3 server access logs of the lake’s buckets, delivered on a best-effort basis (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html): an investigation aid kept for its lifecycle, not a complete record that a replica would make safe.',
  };
  for (const [role, bucket] of Object.entries({
    ...storage.buckets,
    accessLogs: storage.accessLogs,
  }))
    acknowledge(
      bucket,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      notReplicated[role as BucketRole | 'accessLogs'],
    );
}

/**
 * CDK's `iam.Policy` constructs (roles' DefaultPolicy, CDK's own handler policies) attached to
 * exactly one role and to no user or group: the one case the inline-policy acknowledgement covers.
 */
export function ownRolePolicies(stack: Stack): iam.Policy[] {
  return stack.node.findAll().filter((c): c is iam.Policy => {
    // Not those of the stacks in a stage the stack holds (the delivery pipeline's).
    if (!(c instanceof iam.Policy) || Stack.of(c) !== stack) return false;
    const cfn = c.node.defaultChild as iam.CfnPolicy;
    const attached = (value: unknown) => (stack.resolve(value) as unknown[] | undefined) ?? [];
    return (
      attached(cfn.roles).length === 1 &&
      attached(cfn.users).length === 0 &&
      attached(cfn.groups).length === 0
    );
  });
}

const inlinePolicyReason =
  'The permissions of exactly one role, attached to it alone and created, changed and deleted with it by CloudFormation. AWS names this strict one-to-one relation as the case for an inline policy: its permissions cannot be attached to another identity by mistake (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).';

/**
 * Wildcards CDK Pipelines writes into the roles it makes (the pipeline's, each CodeBuild step's,
 * the asset publishers', self-mutation's), none of which it lets a caller narrow: CDK's read and
 * read-write grants on the pipeline's own artifact bucket and key (`s3:GetObject*`,
 * `kms:GenerateDataKey*`... on `<bucket>/*`), each CodeBuild project's own log group and report
 * groups, the bootstrap roles self-mutation may assume (by their `aws-cdk:bootstrap-role` tag),
 * and the calls that take no resource: codebuild:StartBuild of the asset publishers' projects
 * and cloudformation:DescribeStacks of self-mutation. Any other wildcard still fails the synth.
 */
const pipelineWildcardActions = new Set([
  's3:GetObject*',
  's3:GetBucket*',
  's3:List*',
  's3:Abort*',
  's3:DeleteObject*',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
]);
const pipelineWildcardResources = [
  /^<PipelineArtifactsBucket[0-9A-F]{8}\.Arn>\/\*$/,
  /^arn:<AWS::Partition>:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/codebuild\/(\*|<[A-Za-z0-9]+>:\*)$/,
  /^arn:<AWS::Partition>:codebuild:[a-z0-9-]+:\d{12}:report-group\/(\*|<[A-Za-z0-9]+>-\*)$/,
  /^arn:\*:iam::\d{12}:role\/\*$/,
  /^\*$/,
];

/** Acknowledges, on each CDK Pipelines role policy, exactly the wildcards above it holds once built. */
class PipelineGrantFindings implements IAspect {
  constructor(private readonly stack: DeliveryStack) {}

  visit(node: IConstruct): void {
    // The stages' stacks (in other environments) are checked by their own acknowledgements.
    if (!(node instanceof iam.CfnPolicy) || Stack.of(node) !== this.stack) return;
    const document = Stack.of(node).resolve(node.policyDocument) as {
      Statement: { Action: string | string[]; Resource: unknown }[];
    };
    const list = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);
    for (const statement of document.Statement) {
      for (const action of list(statement.Action))
        if (pipelineWildcardActions.has(action))
          acknowledge(node, `AwsSolutions-IAM5[Action::${action}]`, pipelineGrantReason);
      for (const resource of list(statement.Resource)
        .filter((r) => JSON.stringify(r).includes('*'))
        .map(rendered))
        if (pipelineWildcardResources.some((r) => r.test(resource)))
          acknowledge(node, `AwsSolutions-IAM5[Resource::${resource}]`, pipelineGrantReason);
    }
  }
}

const pipelineGrantReason =
  'A grant CDK Pipelines makes and offers no way to narrow: read or write of the pipeline’s own artifact bucket and key, the CodeBuild project’s own log group and report groups, the CDK bootstrap roles (by their aws-cdk:bootstrap-role tag), or calls that support no resource-level permissions (codebuild:StartBuild by the asset publishers, cloudformation:DescribeStacks by self-mutation: https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html).';

/** Findings on what CDK Pipelines builds (CodePipeline, CodeBuild projects and their roles) that are inherent to it. */
export function acknowledgeDeliveryFindings(stack: DeliveryStack): void {
  Aspects.of(stack).add(new PipelineGrantFindings(stack));
  for (const policy of ownRolePolicies(stack))
    acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy', inlinePolicyReason);
  const bucket = stack.pipeline.pipeline.artifactBucket.node.defaultChild!;
  acknowledge(
    bucket,
    'AwsSolutions-S1',
    'The pipeline’s artifact bucket: only the pipeline and its CodeBuild projects read and write it, each call logged by CloudTrail; CDK Pipelines makes it.',
  );
  acknowledge(
    bucket,
    'NIST.800.53.R5-S3BucketLoggingEnabled',
    'The pipeline’s artifact bucket: only the pipeline and its CodeBuild projects read and write it, each call logged by CloudTrail; CDK Pipelines makes it.',
  );
  acknowledge(
    bucket,
    'NIST.800.53.R5-S3BucketReplicationEnabled',
    'Build artifacts, made again from git by running the pipeline: nothing to recover from a replica.',
  );
  acknowledge(
    bucket,
    'NIST.800.53.R5-S3BucketVersioningEnabled',
    'Each pipeline execution writes its artifacts under keys of its own, never over another’s: the artifacts of earlier executions (the assemblies a rollback redeploys) stay as they were without versioning.',
  );
}

/** The smoke test role's own policy (its wildcards are acknowledged next to their grants). */
export function acknowledgeSmokeFindings(smoke: SmokeStack): void {
  for (const policy of ownRolePolicies(smoke))
    acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy', inlinePolicyReason);
}
