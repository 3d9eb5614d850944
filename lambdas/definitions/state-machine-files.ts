/**
 * The ASL of a config's state machines, read from `stepfunctions/` by the local runner and the
 * CDK app alike: the fixed jobs' files as they are, the sources' jobs and `daily` built from
 * `stepfunctions/templates/` (`lambdas/core/job-definitions.ts`). Synchronous: CDK constructs are.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { PlatformConfig } from '../../config/schema';
import { PipelineError } from '../core/errors';
import { dailyDefinition, sourceJobDefinition } from '../core/job-definitions';
import { sourceJob, stateMachineJobsOf, type StateMachineJob } from '../core/orchestration';

/** Every state machine of the config, by job, each an ASL text with its `${...}` placeholders. */
export function stateMachineDefinitions(
  root: string,
  config: Pick<PlatformConfig, 'sources'>,
): Map<StateMachineJob, string> {
  const read = (relative: string) =>
    readFileSync(path.join(root, 'stepfunctions', relative), 'utf8');
  const template = read('templates/source_to_bronze.asl.json');
  const definitions = new Map<StateMachineJob, string>(
    Object.entries(config.sources).map(([name, source]) => [
      sourceJob(name),
      sourceJobDefinition(template, name, source),
    ]),
  );
  const ingestJobs = [...definitions.keys()].map((job) => [job, definitions.get(job)!] as const);
  for (const job of stateMachineJobsOf(config.sources))
    if (job !== 'daily' && !definitions.has(job)) definitions.set(job, read(`${job}.asl.json`));
  definitions.set(
    'daily',
    dailyDefinition(read('templates/daily.asl.json'), [
      ...ingestJobs,
      ['landing_to_bronze', definitions.get('landing_to_bronze')!],
    ]),
  );
  return new Map(stateMachineJobsOf(config.sources).map((job) => [job, definitions.get(job)!]));
}

/** One job's ASL; a job the config does not have is an error naming those it has. */
export function stateMachineDefinition(
  root: string,
  config: Pick<PlatformConfig, 'sources'>,
  job: string,
): string {
  const definitions = stateMachineDefinitions(root, config);
  const definition = definitions.get(job as StateMachineJob);
  if (definition === undefined)
    throw new PipelineError(
      `No job ${job} in this config (jobs: ${[...definitions.keys()].join(', ')})`,
    );
  return definition;
}
