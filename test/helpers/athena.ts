import { athenaDialect } from '../../lambdas/adapters/aws/athena-dialect';
import { lakeSchemas, type LakeSchema } from '../../lambdas/core/aws-names';
import type { SqlDialect } from '../../lambdas/core/ports';

/**
 * The Athena dialect of project `medallion` in `env`, each schema in a bucket of its own
 * (`s3://medallion-<env>-<schema>/tables/`), for tests of the SQL it writes.
 */
export function testAthenaDialect(
  options: { env?: string; mergeTargets?: readonly string[] } = {},
): SqlDialect {
  const env = options.env ?? 'dev';
  return athenaDialect({
    project: 'medallion',
    env,
    locations: Object.fromEntries(
      lakeSchemas.map((s) => [s, `s3://medallion-${env}-${s}/tables/`]),
    ) as Record<LakeSchema, string>,
    mergeTargets: options.mergeTargets ?? [],
  });
}
