import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledgeWildcard } from './acknowledge';

type Grantee = lambda.IFunction | iam.IRole;

function addTo(grantee: Grantee, statement: iam.PolicyStatement): void {
  if ('addToRolePolicy' in grantee) grantee.addToRolePolicy(statement);
  else grantee.addToPrincipalPolicy(statement);
}

export interface ObjectAccess {
  readonly read?: boolean;
  readonly write?: boolean;
  readonly delete?: boolean;
  /** Limit to keys under this prefix (`state/`). @default the whole bucket */
  readonly prefix?: string;
}

/**
 * Object access to a lake bucket with the exact actions the adapters call (S3ObjectStore,
 * S3ParquetSink), never `s3:*` or the `s3:GetObject*` families CDK's `grant*` helpers use, plus
 * the KMS actions SSE-KMS needs for them.
 */
export function grantObjects(
  grantee: Grantee,
  bucket: s3.IBucket,
  key: kms.IKey,
  access: ObjectAccess,
): void {
  const prefix = access.prefix ?? '';
  const objectActions = [
    ...(access.read ? ['s3:GetObject'] : []),
    ...(access.write ? ['s3:PutObject', 's3:AbortMultipartUpload'] : []),
    ...(access.delete ? ['s3:DeleteObject'] : []),
  ];
  const add = (statement: iam.PolicyStatement) => addTo(grantee, statement);
  const objects = bucket.arnForObjects(`${prefix}*`);
  add(new iam.PolicyStatement({ actions: objectActions, resources: [objects] }));
  acknowledgeWildcard(
    grantee,
    objects,
    `Object keys are generated at run time (run ids, dates, table versions); access is limited to ${prefix ? `the ${prefix} prefix of ` : ''}this lake bucket, with named actions only.`,
  );
  if (access.read) {
    add(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        ...(prefix ? { conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } } } : {}),
      }),
    );
  }
  const keyActions = [
    ...(access.read || access.write ? ['kms:Decrypt'] : []),
    ...(access.write ? ['kms:GenerateDataKey'] : []),
  ];
  if (keyActions.length > 0)
    add(new iam.PolicyStatement({ actions: keyActions, resources: [key.keyArn] }));
}

export interface AthenaQueriesProps {
  /** The workgroup's name; its result location is `s3://<results>/<resultsPrefix>`. */
  readonly workgroup: string;
  readonly results: s3.IBucket;
  readonly resultsPrefix: string;
  /** The key SSE_KMS results are encrypted with. */
  readonly key: kms.IKey;
}

/**
 * Running queries in one workgroup, and what Athena does with the caller's credentials on the
 * results bucket: AWS's documented minimum (GetBucketLocation, ListBucket, the multipart list
 * actions, GetObject, PutObject, AbortMultipartUpload) and the results' key. Without
 * GetBucketLocation every query fails before it starts.
 * https://docs.aws.amazon.com/athena/latest/ug/managed-policies.html#amazonathenafullaccess-managed-policy
 * https://docs.aws.amazon.com/athena/latest/ug/encryption.html
 */
export function grantAthenaQueries(grantee: Grantee, props: AthenaQueriesProps): void {
  const stack = Stack.of(grantee);
  addTo(
    grantee,
    new iam.PolicyStatement({
      actions: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      resources: [
        stack.formatArn({
          service: 'athena',
          resource: 'workgroup',
          resourceName: props.workgroup,
        }),
      ],
    }),
  );
  addTo(
    grantee,
    new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [props.results.bucketArn],
    }),
  );
  const results = props.results.arnForObjects(`${props.resultsPrefix}*`);
  addTo(
    grantee,
    new iam.PolicyStatement({
      actions: [
        's3:GetObject',
        's3:PutObject',
        's3:ListMultipartUploadParts',
        's3:AbortMultipartUpload',
      ],
      resources: [results],
    }),
  );
  acknowledgeWildcard(
    grantee,
    results,
    `Athena names result objects by query id at run time; access is limited to the ${props.resultsPrefix} result location of this workgroup.`,
  );
  addTo(
    grantee,
    new iam.PolicyStatement({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [props.key.keyArn],
    }),
  );
}

/**
 * GetSecretValue on a secret named in config. Secrets Manager appends `-` and six random
 * characters to a secret's ARN, so a policy must name `<name>-??????`: the partial ARN that
 * `Secret.fromSecretNameV2` gives matches no real secret.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_examples_wildcard
 */
export function grantSecretRead(grantee: Grantee, secretName: string): void {
  const secret = Stack.of(grantee).formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${secretName}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  addTo(
    grantee,
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret] }),
  );
  acknowledgeWildcard(
    grantee,
    secret,
    `Secrets Manager appends six random characters to the ARN of secret ${secretName}; the wildcard matches exactly those six.`,
  );
}

/**
 * Sending to a KMS-encrypted queue (a dead-letter queue, an on-failure destination): SQS
 * encrypts with the sender's credentials, so the sender needs GenerateDataKey and Decrypt.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#sqs-what-permissions-for-sse
 */
export function grantQueueSend(grantee: Grantee, queue: sqs.IQueue, key: kms.IKey): void {
  addTo(
    grantee,
    new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  );
  addTo(
    grantee,
    new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
    }),
  );
}

export interface MskConsumerProps {
  readonly clusterArn: string;
  /** Each topic with the consumer group its event source mapping reads it in. */
  readonly consumers: readonly { readonly topic: string; readonly group: string }[];
}

/**
 * What an MSK event source mapping with IAM authentication (port 9098) does with the function's
 * role, as exact statements rather than the AWSLambdaMSKExecutionRole managed policy: describe the
 * cluster and its brokers, manage the pollers' network interfaces in the cluster's VPC, and
 * consume as a Kafka client (connect, describe and read the topics, join and commit the group).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk-permissions.html
 * https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
 */
export function grantMskConsumer(fn: lambda.IFunction, props: MskConsumerProps): void {
  const { clusterArn, consumers } = props;
  const match = /^(arn:[^:]+:kafka:[^:]+:[^:]+:)cluster\/(.+)$/.exec(clusterArn);
  if (!match) throw new Error(`grantMskConsumer: ${clusterArn} is not an MSK cluster ARN`);
  const [, prefix, cluster] = match;
  const topicArns = consumers.map((c) => `${prefix}topic/${cluster}/${c.topic}`);
  const groupArns = consumers.map((c) => `${prefix}group/${cluster}/${c.group}`);
  const statement = (actions: string[], resources: string[]) =>
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  statement(
    [
      'kafka:DescribeClusterV2',
      'kafka-cluster:Connect',
      'kafka-cluster:DescribeClusterDynamicConfiguration',
    ],
    [clusterArn],
  );
  statement(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], topicArns);
  statement(['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], groupArns);
  // Neither supports resource-level permissions; the ENIs live in subnets the cluster chooses.
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmanagedstreamingforapachekafka.html
  statement(
    [
      'kafka:GetBootstrapBrokers',
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeVpcs',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeSubnets',
      'ec2:DescribeSecurityGroups',
    ],
    ['*'],
  );
}

/**
 * The role Redshift assumes for UNLOAD, granted through its own policy (a policy attached to the
 * existing role, which CloudFormation fails to attach, naming it, when the role is missing): put
 * objects under bronze's Redshift staging prefix, encrypted with the lake key. A key policy or
 * bucket policy naming a role that may not exist would fail or be dropped instead.
 * https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-access-permissions.html
 */
export function grantRedshiftUnload(
  scope: Construct,
  id: string,
  roleArn: string,
  bronze: s3.IBucket,
  key: kms.IKey,
): void {
  const role = iam.Role.fromRoleArn(scope, `${id}Role`, roleArn);
  const staging = bronze.arnForObjects('_staging/redshift/*');
  const policy = new iam.Policy(scope, `${id}Policy`, {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [staging] }),
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bronze.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['_staging/redshift/*'] } },
      }),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
      }),
    ],
  });
  acknowledgeWildcard(
    policy,
    staging,
    'UNLOAD names its files by slice and part at run time; access is limited to the Redshift staging prefix of bronze.',
  );
}
