import { Stack, Validations, type CfnResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Acknowledges cdk-nag's wildcard finding for exactly one resource of a role's (or a policy's) statements, the
 * moment the grant that needs it is made, so every acknowledgement sits next to its reason.
 */
export function acknowledgeWildcard(
  grantee: lambda.IFunction | iam.IRole | iam.Policy | iam.ManagedPolicy,
  resource: string,
  reason: string,
): void {
  const own = grantee instanceof iam.Policy || grantee instanceof iam.ManagedPolicy;
  const role = own ? undefined : 'role' in grantee ? grantee.role : grantee;
  const policy = own ? grantee : role?.node.tryFindChild('DefaultPolicy');
  if (!policy)
    throw new Error(`acknowledgeWildcard: ${grantee.node.path} has no policy yet: grant first`);
  const cfn = policy.node.defaultChild as CfnResource;
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${rendered(Stack.of(cfn).resolve(resource))}]`,
    reason,
  });
}

/** A resource as cdk-nag spells it in a finding id: pseudo parameters and references in angle brackets. */
export function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as {
    'Fn::Join'?: [string, unknown[]];
    Ref?: string;
    'Fn::GetAtt'?: [string, string];
  };
  if (intrinsic['Fn::Join'])
    return intrinsic['Fn::Join'][1].map(rendered).join(intrinsic['Fn::Join'][0]);
  if (intrinsic.Ref) return `<${intrinsic.Ref}>`;
  if (intrinsic['Fn::GetAtt']) return `<${intrinsic['Fn::GetAtt'].join('.')}>`;
  throw new Error(`acknowledgeWildcard: cannot render ${JSON.stringify(value)}`);
}
