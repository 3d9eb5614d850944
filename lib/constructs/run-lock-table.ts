import type { RemovalPolicy } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface RunLockTableProps {
  readonly tableName: string;
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The lake's run lock (`lambdas/core/run-lock.ts`): one lease item per lock, written and deleted
 * under conditions by the RunLock task only. `expires_at` is the TTL attribute: it tidies up
 * leases a run never gave back (the condition, not TTL, decides who may take the lock).
 */
export class RunLockTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RunLockTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      timeToLiveAttribute: 'expires_at',
      removalPolicy: props.removalPolicy,
    });
  }

  /**
   * The two calls DynamoDbRunLeaseStore makes, on this table only; condition expressions and
   * ReturnValuesOnConditionCheckFailure need no other action. A table encrypted with a customer
   * managed key: DynamoDB calls kms:Decrypt on the key as the principal that accesses the table.
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
   * https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
   */
  grantLeases(
    fn: lambda.IFunction,
    key: kms.IKey,
    access: 'take and give back' | 'give back',
  ): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions:
          access === 'give back'
            ? ['dynamodb:DeleteItem']
            : ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }
}
