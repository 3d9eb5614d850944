/**
 * The sample project's state machines as the runner and the CDK app build them (dev config,
 * `lambdas/definitions/state-machine-files.ts`), for tests that read ASL.
 */
import { parseConfig } from '../../lambdas/core/config';
import { jobsOf, stateMachineJobsOf } from '../../lambdas/core/orchestration';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { loadConfig } from '../../lambdas/definitions/source-files';
import { stateMachineDefinitions } from '../../lambdas/definitions/state-machine-files';

export const { config: sampleConfig } = await loadConfig({ root: projectRoot, env: 'dev' });
export const sampleDefinitions = stateMachineDefinitions(projectRoot, sampleConfig);
export const sampleJobs = jobsOf(sampleConfig.sources);
export const sampleStateMachineJobs = stateMachineJobsOf(sampleConfig.sources);

/** A job's ASL text, `${...}` placeholders unresolved. */
export function definitionText(job: string): string {
  const text = sampleDefinitions.get(job as (typeof sampleStateMachineJobs)[number]);
  if (text === undefined) throw new Error(`no state machine ${job} in the sample`);
  return text;
}

/** A project without the sample: one REST source of one dataset, defaults everywhere. */
export const oneRestSourceConfig = parseConfig(
  'env: test\nsources:\n  billing_api:\n    kind: rest\n    datasets:\n      invoices: { path: /v1/invoices, watermark: updated_at }\n',
  'config/test.yaml',
);

/** A project with no source but the landing zone's (its contracts). */
export const landingOnlyConfig = parseConfig('env: test\nsources: {}\n', 'config/test.yaml');
