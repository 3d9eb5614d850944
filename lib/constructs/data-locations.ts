import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import {
  lakeSchemas,
  schemaLocations,
  type BucketRole,
  type LakeSchema,
} from '../../lambdas/core/aws-names';
import { pascal } from '../names';
import { grantObjects } from './grants';

/** A location Lake Formation governs: a bucket, or a prefix of one. */
export interface DataLocation {
  readonly bucket: BucketRole;
  readonly prefix: string;
}

/**
 * The locations to register: each schema's, except one inside another of the same bucket
 * (silver's `_seeds/` is governed with silver).
 */
export function dataLocations(): DataLocation[] {
  const all = lakeSchemas.map((s) => schemaLocations[s]);
  return all.filter(
    (l, i) =>
      !all.some(
        (o, j) =>
          o.bucket === l.bucket &&
          l.prefix.startsWith(o.prefix) &&
          (o.prefix !== l.prefix || j < i),
      ),
  );
}

/** The registered location that holds a schema's tables. */
export function locationOf(schema: LakeSchema): DataLocation {
  const where = schemaLocations[schema];
  return dataLocations().find(
    (l) => l.bucket === where.bucket && where.prefix.startsWith(l.prefix),
  )!;
}

export interface DataLocationsProps {
  readonly buckets: Record<BucketRole, s3.IBucket>;
  readonly key: kms.IKey;
  readonly settings: IDependable;
}

/**
 * Registers the lake's locations with Lake Formation, which then vends Athena credentials for
 * them to principals it granted, instead of IAM deciding alone. The registration role is ours,
 * not the service-linked role: only a role of our own can be given the lake's KMS key, which
 * Lake Formation needs for locations encrypted with a customer managed key.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/register-encrypted.html
 * https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html
 */
export class DataLocations extends Construct {
  readonly role: iam.Role;
  /** Location ARN (`arn:aws:s3:::bucket[/prefix]`) per registered location, keyed `bucket/prefix`. */
  readonly arns: Record<string, string>;

  constructor(scope: Construct, id: string, props: DataLocationsProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'RegistrationRole', {
      assumedBy: new iam.ServicePrincipal('lakeformation.amazonaws.com'),
      description: 'Lake Formation reads and writes the registered lake locations with this role.',
    });
    this.arns = {};
    for (const location of dataLocations()) {
      const bucket = props.buckets[location.bucket];
      grantObjects(this.role, bucket, props.key, {
        read: true,
        write: true,
        delete: true,
        ...(location.prefix ? { prefix: location.prefix } : {}),
      });
      const arn = locationArn(bucket, location.prefix);
      this.arns[locationKey(location)] = arn;
      const resource = new lakeformation.CfnResource(
        this,
        `${pascal(location.bucket)}${pascal(location.prefix)}`,
        { resourceArn: arn, useServiceLinkedRole: false, roleArn: this.role.roleArn },
      );
      resource.node.addDependency(props.settings);
    }
    // The key actions Lake Formation's documentation lists for a registration role of a location
    // encrypted with a customer managed key (its ReEncrypt* and GenerateDataKey* spelled out).
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: [props.key.keyArn],
      }),
    );
  }
}

export function locationKey(location: DataLocation): string {
  return `${location.bucket}/${location.prefix}`;
}

function locationArn(bucket: s3.IBucket, prefix: string): string {
  return prefix ? `${bucket.bucketArn}/${prefix.replace(/\/$/, '')}` : bucket.bucketArn;
}
