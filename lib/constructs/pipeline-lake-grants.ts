import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import { Construct, type IDependable } from 'constructs';
import { classifications } from '../../config/access-schema';
import { lakeSchemas, type LakeSchema } from '../../lambdas/core/aws-names';
import { maintainedSchemas } from '../../lambdas/core/maintenance';
import { dsrErasedSchemas } from '../../lambdas/core/privacy/erasure';
import { taskNames, type TaskName } from '../../lambdas/core/tasks';
import { pascal } from '../names';
import { locationKey, locationOf } from './data-locations';

/**
 * What a task does to a layer's tables through Athena and Glue: `describe` them (their Glue
 * definitions only, no rows), `read` them, `alter` their Glue
 * definitions, `modify` their rows in place (DELETE, then OPTIMIZE and VACUUM: never drop them),
 * `write` (commit to, drop) them, or also `create` tables in the layer.
 */
export type LakeUse = 'describe' | 'read' | 'alter' | 'modify' | 'write' | 'create';

/**
 * Each task's use of each layer, the Lake Formation side of its IAM grants in `task-grants.ts`
 * (the infrastructure tests hold the two together). Ingestion writes bronze objects straight to
 * S3 and queries nothing, so it needs no Lake Formation grant.
 */
export const lakeUses: Record<TaskName, Partial<Record<LakeSchema, LakeUse>>> = {
  RunLock: {},
  StartLanding: {},
  IngestWarehouse: {},
  IngestRest: {},
  KafkaDrain: {},
  KafkaEvents: {},
  IngestLanding: {},
  NotifyFailure: {},
  Transform: {
    bronze: 'read',
    silver: 'create',
    gold: 'create',
    quarantine: 'create',
    changelog: 'create',
    seeds: 'create',
    scratch: 'create',
    // Its watermarks in audit.model_state.
    audit: 'create',
  },
  // Reads what it checks (and this run's quarantine counts and deleted keys); writes its
  // evidence to the dq_* audit tables.
  DataQuality: {
    silver: 'read',
    gold: 'read',
    seeds: 'read',
    quarantine: 'read',
    changelog: 'read',
    audit: 'create',
  },
  // Reads run history and scores; updates the Parameters and comments of the lake's tables; is
  // the definer the personas' views read every other layer through (`persona-databases.ts`).
  CatalogSync: {
    bronze: 'alter',
    silver: 'alter',
    gold: 'alter',
    quarantine: 'read',
    changelog: 'read',
    seeds: 'read',
    audit: 'read',
  },
  RecordRun: { audit: 'create' },
  // Reads the gold tables' Parameters (their last publish) with GetTables, which lists only the
  // tables Lake Formation lets the caller describe.
  FreshnessProbe: { gold: 'describe' },
  // Reads the run history: runs and what they wrote, the units of the cost report.
  CostReport: { audit: 'read' },
  // Reads CloudWatch metrics and lifecycle rules, no table.
  CostOptimizer: {},
  Maintenance: Object.fromEntries(maintainedSchemas.map((s) => [s, 'write'])),
  // Finds the subject in bronze (its objects it rewrites in S3), deletes from and compacts the
  // Iceberg tables of every other layer that holds rows about people.
  DsrErase: Object.fromEntries([
    ['bronze', 'read'],
    ...dsrErasedSchemas.map((s) => [s, 'modify']),
  ]) as Partial<Record<LakeSchema, LakeUse>>,
};

const tablePermissions: Record<LakeUse, string[]> = {
  describe: ['DESCRIBE'],
  read: ['SELECT', 'DESCRIBE'],
  alter: ['SELECT', 'DESCRIBE', 'ALTER'],
  modify: ['SELECT', 'DESCRIBE', 'ALTER', 'INSERT', 'DELETE'],
  write: ['ALL'],
  create: ['ALL'],
};

/**
 * The catalog sync applies the personas' data cells filters and column tags at run time
 * (`core/access/sync.ts`): it may grant SELECT on the tables of every layer but scratch (which a
 * filter grant passes on), and associate the `classification` tag.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/data-filters-about.html
 * https://docs.aws.amazon.com/lake-formation/latest/dg/TBAC-assigning-tags.html
 */
export const accessSyncTask: TaskName = 'CatalogSync';
export const accessSyncLayers = lakeSchemas.filter((s) => s !== 'scratch');

export interface PipelineLakeGrantsProps {
  readonly roles: Record<TaskName, iam.IRole>;
  /** Registered location ARNs by `locationKey`. */
  readonly locations: Record<string, string>;
  /** Tags and registered locations the grants name. */
  readonly after: readonly IDependable[];
}

/**
 * Lake Formation grants for the pipeline's roles by LF-tag expression on `layer`, which covers
 * the tables the pipeline creates at run time without naming them: per task and use, the tables
 * of those layers (and DESCRIBE, or CREATE_TABLE, on their databases), plus data location access
 * where it creates tables (a table may point only into a location its creator may use).
 * https://docs.aws.amazon.com/lake-formation/latest/dg/granting-catalog-perms-TBAC.html
 * https://docs.aws.amazon.com/lake-formation/latest/dg/data-location-permissions.html
 */
export class PipelineLakeGrants extends Construct {
  constructor(scope: Construct, id: string, props: PipelineLakeGrantsProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    for (const task of taskNames) {
      const principal = { dataLakePrincipalIdentifier: props.roles[task].roleArn };
      const uses = lakeUses[task];
      const grant = (
        id: string,
        resource: lakeformation.CfnPrincipalPermissions.ResourceProperty,
        permissions: string[],
      ) => {
        const permission = new lakeformation.CfnPrincipalPermissions(this, id, {
          principal,
          resource,
          permissions,
          permissionsWithGrantOption: [],
        });
        permission.node.addDependency(...props.after);
      };
      const byTag = (resourceType: 'DATABASE' | 'TABLE', schemas: LakeSchema[]) => ({
        lfTagPolicy: {
          catalogId,
          resourceType,
          expression: [{ tagKey: 'layer', tagValues: schemas }],
        },
      });
      if (task === accessSyncTask) {
        grant('AccessSyncDatabases', byTag('DATABASE', accessSyncLayers), ['DESCRIBE']);
        const grantable = new lakeformation.CfnPrincipalPermissions(this, 'AccessSyncTables', {
          principal,
          resource: byTag('TABLE', accessSyncLayers),
          permissions: ['SELECT', 'DESCRIBE'],
          permissionsWithGrantOption: ['SELECT', 'DESCRIBE'],
        });
        grantable.node.addDependency(...props.after);
        const associate = new lakeformation.CfnPrincipalPermissions(this, 'AccessSyncTagging', {
          principal,
          resource: {
            lfTag: { catalogId, tagKey: 'classification', tagValues: [...classifications] },
          },
          permissions: ['ASSOCIATE', 'DESCRIBE'],
          permissionsWithGrantOption: [],
        });
        associate.node.addDependency(...props.after);
      }
      for (const use of ['describe', 'read', 'alter', 'modify', 'write', 'create'] as const) {
        const schemas = lakeSchemas.filter((s) => uses[s] === use);
        if (schemas.length === 0) continue;
        const name = `${task}${pascal(use)}`;
        grant(
          `${name}Databases`,
          byTag('DATABASE', schemas),
          use === 'create' ? ['CREATE_TABLE', 'DESCRIBE'] : ['DESCRIBE'],
        );
        grant(`${name}Tables`, byTag('TABLE', schemas), tablePermissions[use]);
        if (use !== 'create') continue;
        const locations = [...new Set(schemas.map((s) => locationKey(locationOf(s))))];
        for (const location of locations)
          grant(
            `${name}${pascal(location)}Location`,
            { dataLocation: { catalogId, resourceArn: props.locations[location]! } },
            ['DATA_LOCATION_ACCESS'],
          );
      }
    }
  }
}
