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
import {
  fixedJobs,
  onDemandJobs,
  sourceJob,
  stateMachineJobsOf,
  type StateMachineJob,
} from '../core/orchestration';

/** Every state machine of the config, by job, each an ASL text with its `${...}` placeholders. */
export function stateMachineDefinitions(
  root: string,
  config: Pick<PlatformConfig, 'sources'>,
): Map<StateMachineJob, string> {
  const read = (relative: string) =>
    readFileSync(path.join(root, 'stepfunctions', relative), 'utf8');
  const template = read('templates/source_to_bronze.asl.json');
  const sourceJobs = Object.entries(config.sources).map(
    ([name, source]) => [sourceJob(name), sourceJobDefinition(template, name, source)] as const,
  );
  const files = [...fixedJobs, ...onDemandJobs]
    .filter((job) => job !== 'daily')
    .map((job) => [job, read(`${job}.asl.json`)] as const);
  const landing = files.find(([job]) => job === 'landing_to_bronze')!;
  const daily = dailyDefinition(read('templates/daily.asl.json'), [...sourceJobs, landing]);
  const definitions = new Map<StateMachineJob, string>([...sourceJobs, ...files, ['daily', daily]]);
  // In the order of the jobs (sources', then the fixed ones), as `jobsOf` lists them.
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
