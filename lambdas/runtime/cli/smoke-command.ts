/**
 * `medallion smoke --env dev`: the smoke test of a deployed environment (`core/smoke.ts`), run by
 * the delivery pipeline after the stage with the credentials of the environment's smoke role
 * (`lib/stacks/smoke-stack.ts`), or by hand with credentials that may do as much.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import { v7 as uuidv7 } from 'uuid';
import type { PlatformConfig, SmokeConfig } from '../../../config/schema';
import { AthenaEngine } from '../../adapters/aws/athena-engine';
import { S3ObjectStore } from '../../adapters/aws/s3-object-store';
import { StepFunctionsRunStarter } from '../../adapters/aws/sfn-run-starter';
import { StepFunctionsRunWatcher } from '../../adapters/aws/sfn-run-watcher';
import { systemClock } from '../../adapters/system-clock';
import {
  bucketName,
  lakeSchemas,
  schemaLocations,
  stateMachineName,
  workgroupName,
} from '../../core/aws-names';
import { PipelineError } from '../../core/errors';
import { runSmokeTest, type SmokeDeps } from '../../core/smoke';
import { loadDeliveryConfig } from '../../definitions/source-files';
import { projectRoot } from '../../definitions/project-root';
import { context } from './context';
import { green } from './output';

/** The AWS side of the smoke test in the environment `config` describes: its buckets, state machine and workgroup. */
export function awsSmokeDeps(
  config: PlatformConfig,
  smoke: SmokeConfig,
  clients: { s3: S3Client; sfn: SFNClient; athena: AthenaClient; glue: GlueClient },
): SmokeDeps {
  const { project, env } = config;
  const { account, region } = config.aws;
  if (!account || !region)
    throw new PipelineError(`config/${env}.yaml names no aws.account and aws.region to smoke-test`);
  const bucket = (role: Parameters<typeof bucketName>[2]) =>
    bucketName(project, env, role, account, region);
  const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${stateMachineName(project, env, smoke.pipeline)}`;
  return {
    store: new S3ObjectStore(clients.s3, { landing: bucket('landing') }),
    starter: new StepFunctionsRunStarter(clients.sfn, stateMachineArn, uuidv7),
    watcher: new StepFunctionsRunWatcher(clients.sfn, stateMachineArn),
    engine: new AthenaEngine(clients.athena, clients.glue, {
      workgroup: workgroupName(project, env, 'engineering'),
      project,
      env,
      locations: Object.fromEntries(
        lakeSchemas.map((s) => [
          s,
          `s3://${bucket(schemaLocations[s].bucket)}/${schemaLocations[s].prefix}`,
        ]),
      ) as Record<(typeof lakeSchemas)[number], string>,
      mergeTargets: [],
    }),
    clock: systemClock,
  };
}

export function smokeCommand(): Command {
  return new Command('smoke')
    .description(
      "Smoke-test a deployed environment: land the smoke file config/delivery.yaml gives its stage, run the pipeline, check the file's rows reached bronze exactly once. Exit 1 when anything fails.",
    )
    .addHelpText(
      'after',
      '\nExamples (credentials of the environment, or of its smoke role):\n  $ medallion smoke --env dev\n  $ AWS_PROFILE=dev medallion smoke --env dev',
    )
    .action(async (_options: unknown, command: Command) => {
      const { project, env } = await context(command);
      const delivery = await loadDeliveryConfig(projectRoot);
      const smoke = delivery?.stages.find((s) => s.env === env)?.smoke;
      if (!smoke)
        throw new PipelineError(
          `config/delivery.yaml gives the ${env} stage no smoke test (stages[].smoke)`,
        );
      const region = project.config.aws.region;
      const deps = awsSmokeDeps(project.config, smoke, {
        s3: new S3Client({ region }),
        sfn: new SFNClient({ region }),
        athena: new AthenaClient({ region }),
        glue: new GlueClient({ region }),
      });
      const result = await runSmokeTest(deps, {
        contract: project.contracts.get(`${smoke.source}.${smoke.dataset}`),
        source: smoke.source,
        dataset: smoke.dataset,
        fileName: path.basename(smoke.file),
        text: await readFile(path.resolve(projectRoot, smoke.file), 'utf8'),
        timeoutMs: smoke.timeoutMinutes * 60_000,
      });
      process.stdout.write(
        `${green('smoke test passed:')} run ${result.runId} succeeded and ${result.rows} row(s) of ${result.key} are in bronze once\n`,
      );
    });
}
