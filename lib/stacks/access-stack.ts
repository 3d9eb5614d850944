import { DefaultStackSynthesizer, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { cellsGrants } from '../../lambdas/core/access/cells';
import type { AccessPolicy } from '../../lambdas/core/access/policy';
import { classifyTables, type ListedTable } from '../../lambdas/core/access/tables';
import { personaDatabases } from '../../lambdas/core/access/persona-views';
import { glueDatabaseName, lakeSchemas, personaDatabaseName } from '../../lambdas/core/aws-names';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import type { TaskName } from '../../lambdas/core/tasks';
import { AccessTrail } from '../constructs/access-trail';
import { DataLocations } from '../constructs/data-locations';
import { LakeFormationSettings } from '../constructs/lake-formation-settings';
import { lakeBuckets } from '../constructs/lake-bucket';
import { LakeTags } from '../constructs/lake-tags';
import { CatalogBackupGrants } from '../constructs/catalog-backup-grants';
import { PersonaDatabases } from '../constructs/persona-databases';
import { PersonaRoles } from '../constructs/persona-roles';
import { accessSyncTask, PipelineLakeGrants } from '../constructs/pipeline-lake-grants';

export interface AccessStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly policy: AccessPolicy;
  readonly key: kms.IKey;
  /** The tables CloudFormation owns (Catalog stack): bronze and the lineage events. */
  readonly cloudFormationTables: readonly ListedTable[];
  readonly pipelineRoles: Record<TaskName, iam.IRole>;
  /** The catalog export and restore functions' roles (Backup stack), when it has them. */
  readonly catalogBackupRoles?: { readonly export: iam.IRole; readonly restore: iam.IRole };
}

/**
 * Lake Formation from the access policy (`config/access.yaml`) and the contracts: the settings
 * (admins merged, IAMAllowedPrincipals off our databases), LF-tags and their associations, the
 * registered locations, the pipeline roles' tag-based grants, one role per persona with its data
 * cells filters on the tables CloudFormation owns and its databases of views, and the trail of
 * who read what. Filters on
 * the tables the pipeline creates at run time cannot be CloudFormation resources (the tables do
 * not exist at the first deploy); they are the run-time sync's (docs/security.md).
 */
export class AccessStack extends Stack {
  readonly settings: LakeFormationSettings;
  readonly personaRoles: Record<string, iam.Role>;

  constructor(scope: Construct, id: string, props: AccessStackProps) {
    super(scope, id, props);
    const { config, key } = props;
    const { project, env } = config;
    const buckets = lakeBuckets(this, project, env);
    const removalPolicy =
      config.storage.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention =
      env === 'prod' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;

    // CloudFormation's execution role (`cdk-<qualifier>-cfn-exec-role-<account>-<region>`, from
    // the bootstrap qualifier) creates the tags, associations and grants, which takes an admin.
    // Its ARN keeps `${AWS::Partition}` for the deployment to fill in, hence Fn::Sub.
    const deployer =
      this.synthesizer instanceof DefaultStackSynthesizer
        ? [Fn.sub(this.synthesizer.cloudFormationExecutionRoleArn)]
        : [];
    const personaDatabaseNames = personaDatabases(props.policy, {
      database: (name, schema) => personaDatabaseName(project, env, name, schema),
    });
    this.settings = new LakeFormationSettings(this, 'Settings', {
      admins: [...deployer, ...config.aws.lakeFormationAdmins],
      databases: [
        ...lakeSchemas.map((s) => glueDatabaseName(project, env, s)),
        ...personaDatabaseNames,
      ],
      logEncryptionKey: key,
      logRetention,
      removalPolicy,
    });
    const tables = classifyTables(props.cloudFormationTables, props.contracts);
    const tags = new LakeTags(this, 'Tags', {
      project,
      env,
      contracts: props.contracts,
      tables,
      settings: this.settings.resource,
    });
    const locations = new DataLocations(this, 'Locations', {
      buckets,
      key,
      settings: this.settings.resource,
    });
    new PipelineLakeGrants(this, 'PipelineGrants', {
      roles: props.pipelineRoles,
      locations: locations.arns,
      after: [tags, locations],
    });
    this.personaRoles = new PersonaRoles(this, 'Personas', {
      policy: props.policy,
      project,
      env,
      key,
      athenaResults: buckets.athenaResults,
      reports: buckets.reports,
      filters: cellsGrants(props.policy, tables, project),
      after: [tags, this.settings.resource],
    }).roles;
    const views = new PersonaDatabases(this, 'PersonaDatabases', {
      policy: props.policy,
      project,
      env,
      personaRoles: this.personaRoles,
      definer: props.pipelineRoles[accessSyncTask],
      after: [this.settings.resource],
    });
    // The settings resource takes IAMAllowedPrincipals' grant off the persona databases too.
    this.settings.resource.node.addDependency(...views.databases);
    if (props.catalogBackupRoles)
      new CatalogBackupGrants(this, 'CatalogBackupGrants', {
        exportRole: props.catalogBackupRoles.export,
        restoreRole: props.catalogBackupRoles.restore,
        personaDatabases: views.names,
        locations: Object.values(locations.arns),
        after: [tags, locations, ...views.databases],
      });
    new AccessTrail(this, 'Trail', {
      project,
      env,
      buckets,
      key,
      logRetention,
      removalPolicy,
    });
  }
}
