/** Lambda: builds silver or gold with Athena on Iceberg, from the bundled SQL models and contracts. */
import { mergeTargetsOf } from '../adapters/aws/athena-dialect';
import { SecretsManagerPrivacyKey } from '../adapters/aws/privacy-key-secret';
import { systemClock } from '../adapters/system-clock';
import { createTransformHandler } from '../handlers/transform';
import { lambdaHandler, logger } from './lambda-handler';
import { athena } from './platform/athena';
import { bundledColumnLineage, lineage } from './platform/lineage';
import { definitions } from './platform/project';
import { secrets } from './platform/secrets';

export const handler = lambdaHandler(async () => {
  const project = await definitions();
  return createTransformHandler({
    engine: await athena(project.config, 'Transform', mergeTargetsOf(project.models)),
    contracts: project.contracts,
    project: project.models,
    clock: systemClock,
    logger,
    lineage: lineage(project.config, project.contracts, await bundledColumnLineage()),
    concurrency: project.config.transform.concurrency,
    plausibleDates: project.config.transform.plausibleDates,
    fullChecksEvery: project.config.quality.fullChecksEvery,
    ...(project.config.privacy
      ? { privacyKeys: new SecretsManagerPrivacyKey(secrets(), project.config.privacy.keySecret) }
      : {}),
  });
});
