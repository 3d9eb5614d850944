import { CustomResource, Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PlatformFunction } from './platform-function';

export interface LakeFormationSettingsProps {
  /** Principals to make Lake Formation admins (CloudFormation's execution role, config's admins). */
  readonly admins: readonly string[];
  /** Glue databases to take IAMAllowedPrincipals' grant off. */
  readonly databases: readonly string[];
  readonly logEncryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * `Custom::LakeFormationSettings`: a function CloudFormation invokes directly
 * (`lambdas/handlers/lake-formation-settings.ts`), because PutDataLakeSettings replaces the whole
 * settings document and a plain resource (`AWS::LakeFormation::DataLakeSettings`) would drop
 * every admin it does not list. The function is an admin itself while the resource exists: only
 * an admin may revoke IAMAllowedPrincipals' grant on a database it did not grant.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/permissions-reference.html
 */
export class LakeFormationSettings extends Construct {
  readonly resource: CustomResource;
  readonly function: lambda.IFunction;

  constructor(scope: Construct, id: string, props: LakeFormationSettingsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const fn = new PlatformFunction(this, 'Handler', {
      entry: 'lake-formation-settings',
      description:
        'Custom::LakeFormationSettings: adds Lake Formation admins without dropping existing ones; revokes IAMAllowedPrincipals on the lake databases.',
      definitions: 'none',
      environment: { MEDALLION_ACCOUNT: stack.account },
      memorySize: 256,
      timeout: Duration.minutes(2),
      logEncryptionKey: props.logEncryptionKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Lake Formation's settings and permission APIs take no resource ARN; what the function may
    // change is decided by Lake Formation (it is an admin), not by IAM.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'lakeformation:GetDataLakeSettings',
          'lakeformation:PutDataLakeSettings',
          'lakeformation:ListPermissions',
          'lakeformation:RevokePermissions',
        ],
        resources: ['*'],
      }),
    );
    this.function = fn.function;
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.function.functionArn,
      resourceType: 'Custom::LakeFormationSettings',
      properties: {
        Admins: [...props.admins, fn.role.roleArn],
        Databases: [...props.databases],
      },
    });
  }
}
