import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import type { PlatformConfig } from '../../../config/schema';
import { AthenaAuditTables } from '../../adapters/aws/audit-tables';
import { AthenaEngine } from '../../adapters/aws/athena-engine';
import { lakeSchemas, schemaLocations, type LakeSchema } from '../../core/aws-names';
import { tasks, type TaskName, type TaskSpec } from '../../core/tasks';
import { logger, tracer } from '../lambda-handler';
import { settings } from './settings';

let auditReady: Promise<void> | undefined;

/**
 * Athena over the Glue catalog, in the pipeline's workgroup, once the audit tables the task writes
 * are in place (checked once per container, see {@link AthenaAuditTables}). `mergeTargets`: the
 * models MERGEd into (see `mergeTargetsOf`), which the transform's materializations need.
 */
export async function athena(
  config: PlatformConfig,
  task: TaskName,
  mergeTargets: readonly string[] = [],
): Promise<AthenaEngine> {
  const { MEDALLION_BUCKETS: buckets, MEDALLION_WORKGROUP: workgroup } = settings();
  const locations = Object.fromEntries(
    lakeSchemas.map((schema) => [
      schema,
      `s3://${buckets[schemaLocations[schema].bucket]}/${schemaLocations[schema].prefix}`,
    ]),
  ) as Record<LakeSchema, string>;
  const glue = tracer.captureAWSv3Client(new GlueClient({}));
  const engine = new AthenaEngine(tracer.captureAWSv3Client(new AthenaClient({})), glue, {
    workgroup,
    project: config.project,
    env: config.env,
    locations,
    mergeTargets,
  });
  const spec: TaskSpec = tasks[task];
  auditReady ??= new AthenaAuditTables(glue, engine, {
    project: config.project,
    env: config.env,
    location: locations.audit,
  })
    .ensure(spec.auditTables ?? [])
    .then(({ created, altered }) => {
      if (created.length + altered.length > 0)
        logger.info('audit tables brought up to date', { created, altered });
    })
    .catch((error: unknown) => {
      auditReady = undefined;
      throw error;
    });
  await auditReady;
  return engine;
}
