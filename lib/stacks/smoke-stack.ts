import { ArnFormat, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type { Construct } from 'constructs';
import type { PlatformConfig, SmokeConfig } from '../../config/schema';
import {
  bucketName,
  executionArnOf,
  glueDatabaseName,
  schemaLocations,
  stateMachineName,
  type BucketRole,
  type LakeSchema,
  workgroupName,
} from '../../lambdas/core/aws-names';
import { landingFolder } from '../../lambdas/core/ingest/landing';
import { acknowledgeWildcard } from '../constructs/acknowledge';

export interface SmokeStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly smoke: SmokeConfig;
  /** The bronze table the smoke file's rows land in, `bronze.fx_rates`. */
  readonly relation: string;
  /** The lake's key (Storage stack): the landing bucket and the query results are encrypted with it. */
  readonly key: kms.IKey;
  /** The delivery pipeline's smoke step role (another account), the only one that may assume this role. */
  readonly trustedRoleArn: string;
}

/** The smoke test role's name, fixed so the delivery pipeline (another account) can name it. */
export function smokeRoleName(project: string, env: string): string {
  return `${project}-${env}-smoke-test`;
}

/**
 * The role `medallion smoke` assumes in the environment: it may drop a file into one landing
 * dataset's folder, start and read runs of one state machine, and count that dataset's bronze
 * rows through the engineering workgroup, nothing else. Its own stack, so environments deployed
 * without the pipeline have no such role.
 */
export class SmokeStack extends Stack {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: SmokeStackProps) {
    super(scope, id, props);
    const { config, smoke } = props;
    const { project, env } = config;
    const bucket = (role: BucketRole) => bucketName(project, env, role, this.account, this.region);
    const machine = this.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName(project, env, smoke.pipeline),
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const [schema, table] = props.relation.split('.') as [LakeSchema, string];
    const database = glueDatabaseName(project, env, schema);
    const workgroup = workgroupName(project, env, 'engineering');
    const landing = landingFolder(smoke.source, smoke.dataset).replace(/^landing\//, '');

    this.role = new iam.Role(this, 'Role', {
      roleName: smokeRoleName(project, env),
      description: `${project} ${env}: the delivery pipeline's smoke test (medallion smoke).`,
      assumedBy: new iam.ArnPrincipal(props.trustedRoleArn),
    });
    const allow = (actions: string[], resources: string[]) =>
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    const executions = executionArnOf(machine, '*');
    const smokeFiles = `arn:${this.partition}:s3:::${bucket('landing')}/${landing}smoke-*`;
    const results = `arn:${this.partition}:s3:::${bucket('athenaResults')}/engineering/*`;
    const location = schemaLocations[schema];
    const tableFiles = `${location.prefix}${table}/`;
    const tableObjects = `arn:${this.partition}:s3:::${bucket(location.bucket)}/${tableFiles}*`;
    allow(['states:StartExecution'], [machine]);
    allow(['states:DescribeExecution'], [executions]);
    // HeadObject answers 404 for a missing key only to a caller that may list the bucket.
    allow(['s3:ListBucket'], [`arn:${this.partition}:s3:::${bucket('landing')}`]);
    allow(['s3:PutObject', 's3:GetObject'], [smokeFiles]);
    // StopQueryExecution: the engine stops a query that outlives its timeout.
    allow(
      [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
      ],
      [this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroup })],
    );
    allow(
      ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      [`arn:${this.partition}:s3:::${bucket('athenaResults')}`],
    );
    allow(
      ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      [results],
    );
    allow(
      ['glue:GetDatabase', 'glue:GetTable'],
      [
        this.formatArn({ service: 'glue', resource: 'catalog' }),
        this.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
        this.formatArn({
          service: 'glue',
          resource: 'table',
          resourceName: `${database}/${table}`,
        }),
      ],
    );
    // The table's files, as Athena reads them with the caller's credentials where Lake Formation
    // does not vend its own.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [`arn:${this.partition}:s3:::${bucket(location.bucket)}`],
        conditions: { StringLike: { 's3:prefix': [`${tableFiles}*`] } },
      }),
    );
    allow(['s3:GetObject'], [tableObjects]);
    props.key.grant(this.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    // Lake Formation's GetDataAccess supports no resource-level permissions: Lake Formation's
    // grant below decides what it reaches.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html
    allow(['lakeformation:GetDataAccess'], ['*']);
    acknowledgeWildcard(
      this.role,
      executions,
      'The executions of the one state machine it starts: their names are made when they start.',
    );
    acknowledgeWildcard(
      this.role,
      smokeFiles,
      'The smoke files of one landing dataset, each named after its content.',
    );
    acknowledgeWildcard(
      this.role,
      results,
      'Athena writes each query’s results as the caller under the engineering workgroup’s output location, one object per query id.',
    );
    acknowledgeWildcard(
      this.role,
      tableObjects,
      `The files of the one table it counts rows in, ${props.relation}.`,
    );
    acknowledgeWildcard(
      this.role,
      '*',
      'lakeformation:GetDataAccess supports no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslakeformation.html); the Lake Formation grant below limits it to one table.',
    );
    new lakeformation.CfnPrincipalPermissions(this, 'BronzeTable', {
      principal: { dataLakePrincipalIdentifier: this.role.roleArn },
      resource: { table: { catalogId: this.account, databaseName: database, name: table } },
      permissions: ['SELECT', 'DESCRIBE'],
      permissionsWithGrantOption: [],
    });
  }
}
