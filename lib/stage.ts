import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { SmokeConfig } from '../config/schema';
import { createApp, type AppDefinitions, type MedallionStacks } from './app';
import { acknowledgeSmokeFindings } from './nag';
import { pascal } from './names';
import { SmokeStack } from './stacks/smoke-stack';

export interface MedallionStageProps extends StageProps {
  readonly definitions: AppDefinitions;
  /** The smoke test run after the stage, and the pipeline role allowed to run it. */
  readonly smoke?: { readonly config: SmokeConfig; readonly trustedRoleArn: string };
}

/**
 * One environment as the delivery pipeline deploys it: the stacks `cdk deploy -c env=<env>`
 * deploys (same names), plus the smoke test's role when the stage has a smoke test.
 */
export class MedallionStage extends Stage {
  readonly stacks: MedallionStacks;
  readonly smoke?: SmokeStack;

  constructor(scope: Construct, id: string, props: MedallionStageProps) {
    super(scope, id, props);
    const { config, contracts } = props.definitions;
    this.stacks = createApp(this, props.definitions);
    if (!props.smoke) return;
    const name = `${pascal(config.project)}-${pascal(config.env)}-Smoke`;
    this.smoke = new SmokeStack(this, name, {
      stackName: name,
      env: { account: config.aws.account, region: config.aws.region },
      description: `${config.project} ${config.env}: the role of the delivery pipeline's smoke test.`,
      config,
      smoke: props.smoke.config,
      relation: contracts.get(`${props.smoke.config.source}.${props.smoke.config.dataset}`)
        .relation,
      key: this.stacks.storage.key,
      trustedRoleArn: props.smoke.trustedRoleArn,
    });
    acknowledgeSmokeFindings(this.smoke);
    // Its Lake Formation grant names a table of the Catalog stack, made by the Access stack's admins.
    this.smoke.addStackDependency(this.stacks.catalog);
    if (this.stacks.access) this.smoke.addStackDependency(this.stacks.access);
  }
}
