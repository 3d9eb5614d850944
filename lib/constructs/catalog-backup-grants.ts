import { Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import { Construct, type IDependable } from 'constructs';
import { lakeSchemas } from '../../lambdas/core/aws-names';
import { pascal } from '../names';

export interface CatalogBackupGrantsProps {
  /** The catalog export and restore functions' roles (Backup stack). */
  readonly exportRole: iam.IRole;
  readonly restoreRole: iam.IRole;
  /** The persona databases, which carry no `layer` tag. */
  readonly personaDatabases: readonly string[];
  /** Registered location ARNs: a restored table may point only into a location its creator may use. */
  readonly locations: readonly string[];
  /** Tags, registered locations and persona databases the grants name. */
  readonly after: readonly IDependable[];
}

/**
 * Lake Formation's side of the catalog backup's IAM grants: Glue's GetDatabases and GetTables
 * return only what Lake Formation lets the caller DESCRIBE, so without these the export would
 * silently miss tables. The export may describe every database and table of the lake (by the
 * `layer` tag) and the persona databases; the restore may also create tables in them (in the
 * registered locations) and alter existing ones. What it creates, it owns. CREATE_DATABASE on the
 * catalog is not granted here: CloudFormation's schema for a catalog resource of
 * `AWS::LakeFormation::PrincipalPermissions` does not accept the empty object Lake Formation
 * takes, so recreating a deleted database takes a one-off grant (docs/recovery.md).
 * https://docs.aws.amazon.com/lake-formation/latest/dg/lf-permissions-reference.html
 */
export class CatalogBackupGrants extends Construct {
  constructor(scope: Construct, id: string, props: CatalogBackupGrantsProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    const grant = (
      grantId: string,
      role: iam.IRole,
      resource: lakeformation.CfnPrincipalPermissions.ResourceProperty,
      permissions: string[],
    ) =>
      new lakeformation.CfnPrincipalPermissions(this, grantId, {
        principal: { dataLakePrincipalIdentifier: role.roleArn },
        resource,
        permissions,
        permissionsWithGrantOption: [],
      }).node.addDependency(...props.after);
    const byTag = (resourceType: 'DATABASE' | 'TABLE') => ({
      lfTagPolicy: {
        catalogId,
        resourceType,
        expression: [{ tagKey: 'layer', tagValues: [...lakeSchemas] }],
      },
    });
    const personaGrants = (prefix: string, role: iam.IRole, onDatabase: string[]) =>
      props.personaDatabases.forEach((name) => {
        grant(
          `${prefix}${pascal(name)}Database`,
          role,
          { database: { catalogId, name } },
          onDatabase,
        );
        grant(
          `${prefix}${pascal(name)}Tables`,
          role,
          { table: { catalogId, databaseName: name, tableWildcard: {} } },
          ['DESCRIBE'],
        );
      });

    grant('ExportDatabases', props.exportRole, byTag('DATABASE'), ['DESCRIBE']);
    grant('ExportTables', props.exportRole, byTag('TABLE'), ['DESCRIBE']);
    personaGrants('Export', props.exportRole, ['DESCRIBE']);

    grant('RestoreDatabases', props.restoreRole, byTag('DATABASE'), [
      'DESCRIBE',
      'ALTER',
      'CREATE_TABLE',
    ]);
    grant('RestoreTables', props.restoreRole, byTag('TABLE'), ['DESCRIBE', 'ALTER']);
    personaGrants('Restore', props.restoreRole, ['DESCRIBE', 'ALTER']);
    props.locations.forEach((resourceArn, i) =>
      grant(
        `RestoreLocation${i}`,
        props.restoreRole,
        { dataLocation: { catalogId, resourceArn } },
        ['DATA_LOCATION_ACCESS'],
      ),
    );
  }
}
