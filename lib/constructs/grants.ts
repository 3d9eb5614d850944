import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcard } from './acknowledge';

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
  grantee: lambda.IFunction | iam.IRole,
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
  const add = (statement: iam.PolicyStatement) =>
    'addToRolePolicy' in grantee
      ? grantee.addToRolePolicy(statement)
      : grantee.addToPrincipalPolicy(statement);
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
