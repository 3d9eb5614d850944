import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import type { PlatformConfig } from '../../../config/schema';
import { AthenaEngine } from '../../adapters/aws/athena-engine';
import { lakeSchemas, schemaLocations, type LakeSchema } from '../../core/aws-names';
import { tracer } from '../lambda-handler';
import { settings } from './settings';

/**
 * Athena over the Glue catalog, in the pipeline's workgroup. `mergeTargets`: the models MERGEd
 * into (see `mergeTargetsOf`), which the transform's materializations need.
 */
export function athena(config: PlatformConfig, mergeTargets: readonly string[] = []): AthenaEngine {
  const { MEDALLION_BUCKETS: buckets, MEDALLION_WORKGROUP: workgroup } = settings();
  const locations = Object.fromEntries(
    lakeSchemas.map((schema) => [
      schema,
      `s3://${buckets[schemaLocations[schema].bucket]}/${schemaLocations[schema].prefix}`,
    ]),
  ) as Record<LakeSchema, string>;
  return new AthenaEngine(
    tracer.captureAWSv3Client(new AthenaClient({})),
    tracer.captureAWSv3Client(new GlueClient({})),
    {
      workgroup,
      project: config.project,
      env: config.env,
      locations,
      mergeTargets,
    },
  );
}
