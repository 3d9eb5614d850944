import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import { Construct, type IDependable } from 'constructs';
import { persona, personaNames, personaSchemas } from '../../lambdas/core/access/policy';
import type { AccessPolicy } from '../../lambdas/core/access/policy';
import { personaDatabaseName } from '../../lambdas/core/aws-names';
import { pascal } from '../names';

export interface PersonaDatabasesProps {
  readonly policy: AccessPolicy;
  readonly project: string;
  readonly env: string;
  readonly personaRoles: Record<string, iam.IRole>;
  /** The catalog sync's role: it defines the views, as their definer. */
  readonly definer: iam.IRole;
  /** The settings resource (admins, IAMAllowedPrincipals revoked) the grants wait for. */
  readonly after: readonly IDependable[];
}

/**
 * One Glue database per persona and layer it reads, holding the persona's views
 * (`core/access/persona-views.ts`), which the catalog sync defines at run time. The persona may
 * describe the database and read every view in it (nothing else is ever in it); the definer may
 * create tables in it and replace or drop them. A view's own reads run with the definer's SELECT
 * with grant option on the lake's tables (`pipeline-lake-grants.ts`).
 * https://docs.aws.amazon.com/lake-formation/latest/dg/views-prereqs.html
 */
export class PersonaDatabases extends Construct {
  /** Database names, for the settings resource to take IAMAllowedPrincipals' grant off. */
  readonly names: string[] = [];
  readonly databases: glue.CfnDatabase[] = [];

  constructor(scope: Construct, id: string, props: PersonaDatabasesProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    for (const name of personaNames(props.policy)) {
      for (const schema of personaSchemas(persona(props.policy, name))) {
        const databaseName = personaDatabaseName(props.project, props.env, name, schema);
        const id = `${pascal(name)}${pascal(schema)}`;
        const database = new glue.CfnDatabase(this, `${id}Database`, {
          catalogId,
          databaseInput: {
            name: databaseName,
            description: `What persona ${name} may read of the ${schema} layer (config/access.yaml): views the catalog sync defines.`,
            // As the lake's databases: no IAMAllowedPrincipals grant on new tables.
            createTableDefaultPermissions: [],
          },
        });
        this.names.push(databaseName);
        this.databases.push(database);
        const grant = (
          grantId: string,
          role: iam.IRole,
          resource: lakeformation.CfnPrincipalPermissions.ResourceProperty,
          permissions: string[],
        ) => {
          const permission = new lakeformation.CfnPrincipalPermissions(this, grantId, {
            principal: { dataLakePrincipalIdentifier: role.roleArn },
            resource,
            permissions,
            permissionsWithGrantOption: [],
          });
          permission.node.addDependency(...props.after);
          permission.addResourceDependency(database);
        };
        const onDatabase = { database: { catalogId, name: databaseName } };
        const onViews = { table: { catalogId, databaseName, tableWildcard: {} } };
        grant(`${id}PersonaDatabase`, props.personaRoles[name]!, onDatabase, ['DESCRIBE']);
        grant(`${id}PersonaViews`, props.personaRoles[name]!, onViews, ['SELECT', 'DESCRIBE']);
        grant(`${id}DefinerDatabase`, props.definer, onDatabase, ['CREATE_TABLE', 'DESCRIBE']);
        grant(`${id}DefinerViews`, props.definer, onViews, ['ALL']);
      }
    }
  }
}
