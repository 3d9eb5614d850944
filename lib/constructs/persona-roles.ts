import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import type { CellsFilter } from '../../lambdas/core/access/cells';
import {
  persona,
  personaNames,
  personaSchemas,
  type AccessPolicy,
} from '../../lambdas/core/access/policy';
import {
  costReportsTable,
  glueDatabaseName,
  personaDatabaseName,
  personaRoleName,
  type LakeSchema,
  workgroupName,
} from '../../lambdas/core/aws-names';
import { pascal } from '../names';
import { acknowledgeWildcard } from './acknowledge';

import { grantAthenaQueries } from './grants';

export interface PersonaRolesProps {
  readonly policy: AccessPolicy;
  readonly project: string;
  readonly env: string;
  readonly key: kms.IKey;
  readonly athenaResults: s3.IBucket;
  /** Holds the cost reports (`cost/`) that `audit.cost_reports` reads. */
  readonly reports: s3.IBucket;
  /** The data cells filters of the tables CloudFormation owns; the rest are synced at run time. */
  readonly filters: readonly CellsFilter[];
  readonly after: readonly IDependable[];
}

/**
 * One IAM role per persona of the access policy: assumable by the persona's `principals`, it
 * queries in the persona's workgroup (results under that workgroup's prefix, KMS-encrypted),
 * reads the Glue definitions of its layers and of its own views (`persona-databases.ts`), and asks
 * Lake Formation for data access: what it reads is decided by the views and data cells filters it
 * is granted, never by IAM.
 */
export class PersonaRoles extends Construct {
  readonly roles: Record<string, iam.Role>;

  constructor(scope: Construct, id: string, props: PersonaRolesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { project, env } = props;
    this.roles = {};
    for (const name of personaNames(props.policy)) {
      const p = persona(props.policy, name);
      const role = new iam.Role(this, pascal(name), {
        // Without principals of its own, the account's administrators decide (through IAM) who
        // may assume it: the account root as principal delegates to the account's IAM policies.
        assumedBy:
          p.principals.length > 0
            ? new iam.CompositePrincipal(...p.principals.map((arn) => new iam.ArnPrincipal(arn)))
            : new iam.AccountRootPrincipal(),
        roleName: personaRoleName(project, env, name),
        description: `Access persona ${name} (config/access.yaml): ${p.description}`.slice(0, 1000),
      });
      this.roles[name] = role;
      grantAthenaQueries(role, {
        workgroup: workgroupName(project, env, p.workgroup),
        results: props.athenaResults,
        resultsPrefix: `${p.workgroup}/`,
        key: props.key,
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery'],
          resources: [
            stack.formatArn({
              service: 'athena',
              resource: 'workgroup',
              resourceName: workgroupName(project, env, p.workgroup),
            }),
          ],
        }),
      );
      const schemas = personaSchemas(p);
      const databases = schemas.flatMap((s) => [
        glueDatabaseName(project, env, s),
        personaDatabaseName(project, env, name, s),
      ]);
      const tables = databases.map((d) =>
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${d}/*` }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: [
            'glue:GetDatabase',
            'glue:GetDatabases',
            'glue:GetTable',
            'glue:GetTables',
            'glue:GetPartition',
            'glue:GetPartitions',
          ],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            ...databases.map((d) =>
              stack.formatArn({ service: 'glue', resource: 'database', resourceName: d }),
            ),
            ...tables,
          ],
        }),
      );
      for (const table of tables)
        acknowledgeWildcard(
          role,
          table,
          'Glue definitions (not data) of the tables of the persona’s layers and of its views, which runs create; Lake Formation grants decide what it reads.',
        );
      // Athena asks Lake Formation for temporary credentials to the registered locations on
      // the caller's behalf; the action takes no resource ARN.
      // https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html
      role.addToPolicy(
        new iam.PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }),
      );
      acknowledgeWildcard(
        role,
        '*',
        'lakeformation:GetDataAccess supports no resource-level permissions; Lake Formation vends credentials only for the data its grants to this role allow.',
      );
    }

    for (const name of personaNames(props.policy))
      if (persona(props.policy, name).reports.includes('cost')) this.grantCostReports(name, props);

    const catalogId = stack.account;
    for (const filter of props.filters) {
      const [schema, tableName] = filter.relation.split('.') as [LakeSchema, string];
      const databaseName = glueDatabaseName(project, env, schema);
      const id = `${pascal(filter.persona)}${pascal(filter.relation)}`;
      const cells = new lakeformation.CfnDataCellsFilter(this, `${id}Filter`, {
        tableCatalogId: catalogId,
        databaseName,
        tableName,
        name: filter.name,
        columnNames: [...filter.columnNames],
        rowFilter: filter.rowFilter
          ? { filterExpression: filter.rowFilter }
          : { allRowsWildcard: {} },
      });
      cells.node.addDependency(...props.after);
      const grant = new lakeformation.CfnPrincipalPermissions(this, `${id}Select`, {
        principal: { dataLakePrincipalIdentifier: this.roles[filter.persona]!.roleArn },
        resource: {
          dataCellsFilter: {
            tableCatalogId: catalogId,
            databaseName,
            tableName,
            name: filter.name,
          },
        },
        permissions: ['SELECT'],
        permissionsWithGrantOption: [],
      });
      grant.addResourceDependency(cells);
    }
  }

  /**
   * `audit.cost_reports` whole: Lake Formation's SELECT on the table (its database is out of
   * IAMAllowedPrincipals' reach), its Glue definition, and, since the reports bucket is not a
   * location Lake Formation governs, S3 read of `cost/` (decrypting with the lake key, which every
   * persona has for its query results).
   * https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html
   */
  private grantCostReports(name: string, props: PersonaRolesProps): void {
    const stack = Stack.of(this);
    const role = this.roles[name]!;
    const database = glueDatabaseName(props.project, props.env, 'audit');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${database}/${costReportsTable}`,
          }),
        ],
      }),
    );
    const objects = props.reports.arnForObjects('cost/*');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
    acknowledgeWildcard(
      role,
      objects,
      'The cost reports are written under a folder per day (cost/<day>/csv/): the prefix of the one table it reads.',
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.reports.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['cost/*'] } },
      }),
    );
    const grant = new lakeformation.CfnPrincipalPermissions(
      this,
      `${pascal(name)}CostReportsSelect`,
      {
        principal: { dataLakePrincipalIdentifier: role.roleArn },
        resource: {
          table: { catalogId: stack.account, databaseName: database, name: costReportsTable },
        },
        permissions: ['SELECT', 'DESCRIBE'],
        permissionsWithGrantOption: [],
      },
    );
    grant.node.addDependency(...props.after);
  }
}
