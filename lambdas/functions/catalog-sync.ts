/** Lambda: the last step of every pipeline, writing run figures into the Glue tables. */
import { GlueClient } from '@aws-sdk/client-glue';
import { LakeFormationClient } from '@aws-sdk/client-lakeformation';
import { LakeFormationPermissions } from '../adapters/aws/lake-formation-permissions';
import { personaDatabaseName, personaRoleName } from '../core/aws-names';
import { loadAccessPolicy } from '../definitions/source-files';
import { GlueCatalogWriter } from '../adapters/aws/glue-catalog-writer';
import { systemClock } from '../adapters/system-clock';
import { DatasetStatuses } from '../core/catalog';
import { createCatalogSyncHandler } from '../handlers/catalog-sync';
import { lambdaHandler, logger, tracer } from './lambda-handler';
import { athena } from './platform/athena';
import { sources } from './platform/definitions';

export const handler = lambdaHandler(async () => {
  const { root, config, contracts } = await sources();
  const policy = await loadAccessPolicy(root, config.env);
  const glue = tracer.captureAWSv3Client(new GlueClient({}));
  const account = process.env.MEDALLION_ACCOUNT!;
  const engine = await athena(config, 'CatalogSync');
  return createCatalogSyncHandler({
    contracts,
    statuses: new DatasetStatuses(engine),
    writer: new GlueCatalogWriter(glue, config.project, config.env),
    clock: systemClock,
    logger,
    ...(policy
      ? {
          access: {
            policy,
            context: {
              project: config.project,
              dialect: engine.dialect,
              naming: {
                database: (persona, schema) =>
                  personaDatabaseName(config.project, config.env, persona, schema),
              },
            },
            permissions: new LakeFormationPermissions(
              glue,
              tracer.captureAWSv3Client(new LakeFormationClient({})),
              {
                project: config.project,
                env: config.env,
                catalogId: account,
                roleArn: (persona) =>
                  `arn:${partition(process.env.AWS_REGION ?? '')}:iam::${account}:role/${personaRoleName(config.project, config.env, persona)}`,
                runStatement: (sql) => engine.execute(sql),
              },
            ),
          },
        }
      : {}),
  });
});

/** The partition of a region, for ARNs: China and GovCloud have their own. */
function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
