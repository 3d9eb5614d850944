import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { DeliveryConfig } from '../../config/schema';
import type { AppDefinitions } from '../app';
import { pascal } from '../names';
import { MedallionStage } from '../stage';
import { smokeRoleName } from './smoke-stack';

export interface DeliveryStackProps extends StackProps {
  readonly delivery: DeliveryConfig;
  /** Each stage's definitions (`config/<env>.yaml`, contracts, models, access policy), in `delivery.stages` order. */
  readonly environments: readonly AppDefinitions[];
}

/** CodeBuild's Ubuntu image: Node.js, Python (pip for cfn-lint) and apt-get (Chromium) as `.ci/run` needs. */
const buildImage = codebuild.LinuxBuildImage.STANDARD_7_0;

/** The SSM parameter holding the commit last deployed to the last stage: what contracts are checked against. */
export function deployedVersionParameter(project: string): string {
  return `/${project}/delivery/deployed-commit`;
}

/**
 * The delivery pipeline (CDK Pipelines on CodePipeline V2): each push to the branch is checked
 * and synthesized once, its cloud assembly (bundles included) is the artifact every stage
 * deploys, and the stages go in order, each after the one before succeeded: dev, its smoke test,
 * a manual approval, prod. The pipeline updates itself first when its own definition changed.
 */
export class DeliveryStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: readonly MedallionStage[];

  constructor(scope: Construct, id: string, props: DeliveryStackProps) {
    super(scope, id, props);
    const { delivery } = props;
    const parameter = deployedVersionParameter(delivery.project);
    const parameterArn = this.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: parameter.slice(1),
    });

    // A full clone (not a zip of the tree): the contract check reads the deployed commit's contracts from git.
    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, {
      connectionArn: delivery.connectionArn,
      codeBuildCloneOutput: true,
    });
    const synth = new pipelines.CodeBuildStep('Synth', {
      input: source,
      installCommands: [
        'pip install --quiet cfn-lint',
        // CodeBuild's Ubuntu image ships Google Chrome; Ubuntu's chromium package is a snap, which
        // containers cannot run. `.ci/run` and the report tests look for `chromium`.
        'command -v chromium || ln -s "$(command -v google-chrome)" /usr/local/bin/chromium',
      ],
      commands: [
        // Exactly what CI runs: npm ci, lint, typecheck, npm test, cdk synth of every environment
        // with cdk-nag, cfn-lint, the quickstart.
        'bash .ci/run',
        'bash .ci/contract-check-deployed',
        'npx cdk synth -c env=delivery -c commit="$CODEBUILD_RESOLVED_SOURCE_VERSION" -q --no-notices -o cdk.out/delivery',
      ],
      env: { DEPLOYED_VERSION_PARAMETER: parameter },
      primaryOutputDirectory: 'cdk.out/delivery',
      buildEnvironment: { buildImage, computeType: codebuild.ComputeType.LARGE },
      timeout: Duration.minutes(90),
      rolePolicyStatements: [
        new iam.PolicyStatement({ actions: ['ssm:GetParameter'], resources: [parameterArn] }),
      ],
    });

    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: `${delivery.project}-delivery`,
      pipelineType: codepipeline.PipelineType.V2,
      synth,
      // Stages deploy to other accounts: the artifact bucket's key is shared with them.
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: { buildEnvironment: { buildImage } },
    });

    const last = delivery.stages.at(-1)!;
    this.stages = delivery.stages.map((settings, i) => {
      const definitions = props.environments[i]!;
      const { config } = definitions;
      if (!config.aws.account || !config.aws.region)
        throw new Error(
          `config/${settings.env}.yaml: a stage of the delivery pipeline needs aws.account and aws.region`,
        );
      const smokeRole = settings.smoke
        ? this.smokeStepRole(delivery.project, settings.env)
        : undefined;
      const stage = new MedallionStage(this, pascal(settings.env), {
        env: { account: config.aws.account, region: config.aws.region },
        definitions,
        ...(settings.smoke && smokeRole
          ? { smoke: { config: settings.smoke, trustedRoleArn: smokeRole.roleArn } }
          : {}),
      });
      const post: pipelines.Step[] = [];
      if (settings.smoke && smokeRole) {
        const target = `arn:${this.partition}:iam::${config.aws.account}:role/${smokeRoleName(config.project, config.env)}`;
        smokeRole.addToPrincipalPolicy(
          new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [target] }),
        );
        post.push(
          new pipelines.CodeBuildStep(`Smoke${pascal(settings.env)}`, {
            input: source,
            role: smokeRole,
            env: { SMOKE_ROLE_ARN: target, AWS_REGION: config.aws.region },
            commands: [
              'npm ci --no-audit --no-fund',
              // The SDK assumes the environment's smoke role with the build's own credentials.
              'aws configure set profile.smoke.role_arn "$SMOKE_ROLE_ARN"',
              'aws configure set profile.smoke.credential_source EcsContainer',
              `AWS_PROFILE=smoke npx medallion smoke --env ${settings.env}`,
            ],
            timeout: Duration.minutes(settings.smoke.timeoutMinutes + 15),
          }),
        );
      }
      if (settings === last)
        post.push(
          new pipelines.CodeBuildStep('RecordDeployedVersion', {
            input: source,
            commands: [
              `aws ssm put-parameter --name ${parameter} --type String --overwrite --value "$CODEBUILD_RESOLVED_SOURCE_VERSION"`,
            ],
            rolePolicyStatements: [
              new iam.PolicyStatement({ actions: ['ssm:PutParameter'], resources: [parameterArn] }),
            ],
          }),
        );
      this.pipeline.addStage(stage, {
        pre: settings.approval
          ? [
              new pipelines.ManualApprovalStep(`Approve${pascal(settings.env)}`, {
                comment: `Deploy to ${settings.env}: the stages before succeeded.`,
              }),
            ]
          : [],
        post,
      });
      return stage;
    });
    this.pipeline.buildPipeline();
    this.grantRenamedConnection(delivery.connectionArn);
  }

  /**
   * CDK grants `codestar-connections:UseConnection` to the source action and to every CodeBuild
   * project that clones the source; a connection made under the service's new name (an
   * `arn:aws:codeconnections:` ARN, what the console creates since July 2024) is authorized by the
   * action of the same prefix, `codeconnections:UseConnection`.
   * https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html
   */
  private grantRenamedConnection(connectionArn: string): void {
    if (connectionArn.split(':')[2] !== 'codeconnections') return;
    for (const policy of this.node.findAll()) {
      if (!(policy instanceof iam.Policy) || Stack.of(policy) !== this) continue;
      if (
        !JSON.stringify(this.resolve(policy.document)).includes(
          'codestar-connections:UseConnection',
        )
      )
        continue;
      policy.addStatements(
        new iam.PolicyStatement({
          actions: ['codeconnections:UseConnection'],
          resources: [connectionArn],
        }),
      );
    }
  }

  /** The smoke step's CodeBuild role, named so the environment's smoke role can trust it. */
  private smokeStepRole(project: string, env: string): iam.Role {
    return new iam.Role(this, `Smoke${pascal(env)}Role`, {
      roleName: `${project}-delivery-smoke-${env}`,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
      description: `The delivery pipeline's smoke test of ${env}: assumes that environment's smoke role.`,
    });
  }
}
