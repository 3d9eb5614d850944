/**
 * The delivery pipeline (`-c env=delivery`): its stages and steps in order, what the synth step
 * runs, the smoke step and its role in dev, the approval before prod, the deployed commit
 * recorded after it, the per-commit Version outputs, and cdk-nag clean.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryConfig } from '../../config/schema';
import { loadDeliveryConfig, loadAccessPolicy } from '../../lambdas/definitions/source-files';
import { loadProject } from '../../lambdas/definitions/project-files';
import { createDeliveryApp } from '../../lib/delivery';
import { smokeTestCalls } from '../../lambdas/adapters/aws/iam-calls';
import { bucketName, type BucketRole } from '../../lambdas/core/aws-names';
import { repositoryRoot } from '../helpers/cdk';
import { describeDecision, SimulatedAccount } from '../helpers/iam-simulator';

type Resource = { Type: string; Properties: Record<string, unknown> };
interface Action {
  Name: string;
  RunOrder: number;
  ActionTypeId: { Category: string; Provider: string };
  Configuration: Record<string, unknown>;
}

const commit = '0123456789abcdef0123456789abcdef01234567';
const outdir = mkdtempSync(path.join(os.tmpdir(), 'medallion-delivery-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

let delivery: DeliveryConfig;
let app: App;
let assembly: CloudAssembly;
let template: Template;
let resources: Record<string, Resource>;
let stages: { Name: string; Actions: Action[] }[];

/** The CodeBuild project a pipeline action runs. */
const projectOf = (action: Action) =>
  resources[(action.Configuration.ProjectName as { Ref: string }).Ref]!.Properties;
/** The buildspec of the CodeBuild project a pipeline action runs. */
const buildSpecOf = (action: Action) =>
  JSON.parse((projectOf(action).Source as { BuildSpec: string }).BuildSpec) as {
    phases: { install?: { commands: string[] }; build: { commands: string[] } };
    artifacts?: { 'base-directory': string };
  };
/** The environment variables of the CodeBuild project a pipeline action runs. */
const variablesOf = (action: Action) =>
  Object.fromEntries(
    (
      (
        projectOf(action).Environment as {
          EnvironmentVariables?: { Name: string; Value: unknown }[];
        }
      ).EnvironmentVariables ?? []
    ).map((v) => [v.Name, v.Value]),
  );
const stage = (name: string) => stages.find((s) => s.Name === name)!;
const stageTemplate = (stage: string, stack: string) =>
  Template.fromJSON(
    assembly.getNestedAssembly(`assembly-Medallion-Delivery-${stage}`).getStackByName(stack)
      .template as object,
  );

/** The delivery app as `cdk synth -c env=delivery -c commit=…` builds it, without bundling. */
async function newDeliveryApp(directory = mkdtempSync(path.join(outdir, 'app-'))) {
  const cdkJson = JSON.parse(readFileSync(path.join(repositoryRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({
    outdir: directory,
    context: { ...cdkJson.context, env: 'delivery', commit, 'aws:cdk:bundling-stacks': [] },
  });
  const delivery = (await loadDeliveryConfig(repositoryRoot))!;
  const environments = await Promise.all(
    delivery.stages.map(async ({ env }) => ({
      ...(await loadProject({ root: repositoryRoot, env })),
      access: await loadAccessPolicy(repositoryRoot, env),
    })),
  );
  return { app, delivery, environments };
}

const bucket = (role: BucketRole) =>
  bucketName('medallion', 'dev', role, '111111111111', 'eu-west-1');

/** Where the dev smoke test works: what `awsSmokeDeps` addresses for config/delivery.yaml's dev stage. */
const smokeWhere = {
  landing: { bucket: bucket('landing'), prefix: 'fx/rates/smoke-' },
  stateMachineArn: 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-daily',
  workgroup: 'medallion-dev-engineering',
  results: { bucket: bucket('athenaResults'), prefix: 'engineering/' },
  table: {
    database: 'medallion_dev_bronze',
    table: 'fx_rates',
    location: { bucket: bucket('bronze'), prefix: 'fx_rates/' },
  },
};

const smokeRoleArn = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/medallion-dev-smoke-test'],
  ],
};

beforeAll(async () => {
  const built = await newDeliveryApp(outdir);
  delivery = built.delivery;
  app = built.app;
  createDeliveryApp(app, delivery, built.environments);
  // app.synth() throws on any unacknowledged cdk-nag finding, in the pipeline's stack or a stage's.
  assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName('Medallion-Delivery').template as object);
  resources = template.toJSON().Resources as Record<string, Resource>;
  const pipeline = Object.values(resources).find((r) => r.Type === 'AWS::CodePipeline::Pipeline')!;
  stages = pipeline.Properties.Stages as typeof stages;
});

describe('the delivery pipeline', () => {
  it('is cdk-nag clean, in its own stack and in every stage', () => {
    const report = JSON.parse(
      readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { conclusion: string }[];
    };
    expect(report.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
  });

  it('acknowledges only wildcards, inline policies and the artifact bucket’s findings, each with its reason', () => {
    const acknowledged = app.node
      .findAll()
      // The pipeline's own stack and the smoke stacks (the stages' others are the nag test's).
      .filter((c) => /^Medallion-Delivery\/(?!(Dev|Prod)\/)|-Smoke(\/|$)/.test(c.node.path))
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(
        /^Annotation::(AwsSolutions-(IAM5\[(Resource|Action)::.+\]|S1)|NIST\.800\.53\.R5-(IAMNoInlinePolicy|S3Bucket(Logging|Replication|Versioning)Enabled))$/,
      );
      expect(reason.length, id).toBeGreaterThanOrEqual(60);
    }
  });

  it('still fails the synth on a wildcard CDK Pipelines did not make', async () => {
    const { app, delivery, environments } = await newDeliveryApp();
    const stack = createDeliveryApp(app, delivery, environments);
    stack.pipeline.synthProject.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::other/*'] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  it('is a V2 pipeline whose stages go source, synth, self-update, assets, dev, prod', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Name: 'medallion-delivery',
      PipelineType: 'V2',
    });
    expect(stages.map((s) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'Dev',
      'Prod',
    ]);
  });

  it('takes the branch from the CodeConnections connection as a full clone', () => {
    const [source] = stage('Source').Actions;
    expect(source!.ActionTypeId).toMatchObject({
      Category: 'Source',
      Provider: 'CodeStarSourceConnection',
    });
    expect(source!.Configuration).toEqual({
      ConnectionArn: delivery.connectionArn,
      FullRepositoryId: 'acme/medallion-platform',
      BranchName: 'main',
      OutputArtifactFormat: 'CODEBUILD_CLONE_REF',
    });
    // The source action and each project that clones may use the connection, under the
    // prefix of its ARN (codeconnections) as well as the one CDK grants.
    const list = (value: unknown) => (Array.isArray(value) ? value : [value]) as unknown[];
    const using = (action: string) =>
      Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([, p]) =>
          (
            (p as Resource).Properties.PolicyDocument as {
              Statement: { Action: unknown; Resource: unknown }[];
            }
          ).Statement.some(
            (s) =>
              list(s.Action).includes(action) && list(s.Resource).includes(delivery.connectionArn),
          ),
        )
        .map(([id]) => id)
        .sort();
    expect(using('codestar-connections:UseConnection')).toHaveLength(4);
    expect(using('codeconnections:UseConnection')).toEqual(
      using('codestar-connections:UseConnection'),
    );
  });

  it('synthesizes after CI, the contract check against the deployed commit, into cdk.out/delivery', () => {
    const spec = buildSpecOf(stage('Build').Actions[0]!);
    expect(spec.phases.install?.commands).toEqual([
      'pip install --quiet cfn-lint',
      'command -v chromium || ln -s "$(command -v google-chrome)" /usr/local/bin/chromium',
    ]);
    expect(spec.phases.build.commands).toEqual([
      'bash .ci/run',
      'bash .ci/contract-check-deployed',
      'npx cdk synth -c env=delivery -c commit="$CODEBUILD_RESOLVED_SOURCE_VERSION" -q --no-notices -o cdk.out/delivery',
    ]);
    expect(spec.artifacts?.['base-directory']).toBe('cdk.out/delivery');
    expect(variablesOf(stage('Build').Actions[0]!)).toEqual({
      DEPLOYED_VERSION_PARAMETER: '/medallion/delivery/deployed-commit',
    });
  });

  it('deploys dev, then smoke-tests it with the dev smoke role', () => {
    const actions = stage('Dev').Actions;
    const deploys = actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(new Set(deploys.map((a) => a.Configuration.StackName))).toEqual(
      new Set([
        'Medallion-Dev-Storage',
        'Medallion-Dev-Catalog',
        'Medallion-Dev-Pipeline',
        'Medallion-Dev-Backup',
        'Medallion-Dev-Access',
        'Medallion-Dev-Smoke',
      ]),
    );
    const smoke = actions.find((a) => a.Name === 'SmokeDev')!;
    expect(smoke.RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder)));
    const spec = buildSpecOf(smoke);
    expect(variablesOf(smoke)).toEqual({
      SMOKE_ROLE_ARN: smokeRoleArn,
      AWS_REGION: 'eu-west-1',
    });
    expect(spec.phases.build.commands.at(-1)).toBe(
      'AWS_PROFILE=smoke npx medallion smoke --env dev',
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Resource: smokeRoleArn,
          },
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^SmokeDevRole') }],
    });
  });

  it('waits for a manual approval before prod, deploys it, then records the deployed commit', () => {
    const actions = stage('Prod').Actions;
    const approval = actions.find((a) => a.ActionTypeId.Category === 'Approval')!;
    const deploys = actions.filter((a) => a.ActionTypeId.Provider === 'CloudFormation');
    const record = actions.find((a) => a.Name === 'RecordDeployedVersion')!;
    expect(approval.Name).toBe('ApproveProd');
    expect(Math.min(...deploys.map((a) => a.RunOrder))).toBeGreaterThan(approval.RunOrder);
    expect(record.RunOrder).toBeGreaterThan(Math.max(...deploys.map((a) => a.RunOrder)));
    expect(new Set(deploys.map((a) => a.Configuration.StackName))).not.toContain(
      'Medallion-Prod-Smoke',
    );
    expect(buildSpecOf(record).phases.build.commands).toEqual([
      'aws ssm put-parameter --name /medallion/delivery/deployed-commit --type String --overwrite --value "$CODEBUILD_RESOLVED_SOURCE_VERSION"',
    ]);
    // Dev has no approval: it deploys every push.
    expect(stage('Dev').Actions.some((a) => a.ActionTypeId.Category === 'Approval')).toBe(false);
  });

  it('lets the synth step read and the record step write the deployed commit, nothing else', () => {
    const parameter = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ssm:eu-west-1:333333333333:parameter/medallion/delivery/deployed-commit',
        ],
      ],
    };
    for (const action of ['ssm:GetParameter', 'ssm:PutParameter'])
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([{ Action: action, Effect: 'Allow', Resource: parameter }]),
        },
      });
  });

  it('gives the dev smoke role only the smoke test’s calls, assumable by the pipeline’s smoke step alone', () => {
    const smoke = stageTemplate('Dev', 'Medallion-Dev-Smoke');
    smoke.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'medallion-dev-smoke-test',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: {
              AWS: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':iam::333333333333:role/medallion-delivery-smoke-dev',
                  ],
                ],
              },
            },
          },
        ],
      },
    });
    const statements = Object.values(smoke.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p as Resource).Properties.PolicyDocument as { Statement: { Action: unknown }[] },
    );
    // Exactly the actions its calls need (iam-calls.ts), no more.
    const needed = smokeTestCalls(
      { partition: 'aws', region: 'eu-west-1', account: '111111111111', keyArn: 'key' },
      smokeWhere,
    ).map((c) => c.action);
    expect(new Set(statements.flatMap((d) => d.Statement.flatMap((s) => s.Action)))).toEqual(
      new Set(needed),
    );
    smoke.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', {
      Resource: {
        Table: {
          CatalogId: '111111111111',
          DatabaseName: 'medallion_dev_bronze',
          Name: 'fx_rates',
        },
      },
      Permissions: ['SELECT', 'DESCRIBE'],
      PermissionsWithGrantOption: [],
    });
  });

  it('lets the dev smoke role make every call the smoke test makes (IAM simulator)', async () => {
    const dev = assembly.getNestedAssembly('assembly-Medallion-Delivery-Dev');
    const account = new SimulatedAccount(
      '111111111111',
      'eu-west-1',
      Object.fromEntries(dev.stacks.map((s) => [s.stackName, s.template as never])),
    );
    const landing = account
      .resourcesOf('AWS::S3::Bucket')
      .find((b) => account.resolve(b.stack, b.properties.BucketName) === bucket('landing'))!;
    const keyArn = account.resolve(
      landing.stack,
      (
        landing.properties.BucketEncryption as {
          ServerSideEncryptionConfiguration: {
            ServerSideEncryptionByDefault: { KMSMasterKeyID: never };
          }[];
        }
      ).ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID,
    );
    const calls = smokeTestCalls(
      { partition: 'aws', region: 'eu-west-1', account: '111111111111', keyArn },
      smokeWhere,
    );
    const role = 'arn:aws:iam::111111111111:role/medallion-dev-smoke-test';
    expect((await account.denied(role, calls)).map(describeDecision)).toEqual([]);
    // And nothing beyond its own dataset: another landing folder, another table, another machine.
    const beyond = [
      { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket('landing')}/crm/accounts/x.csv` },
      {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${bucket('bronze')}/crm_accounts/x.parquet`,
      },
      {
        action: 'states:StartExecution',
        resource: 'arn:aws:states:eu-west-1:111111111111:stateMachine:medallion-dev-maintenance',
      },
    ].map((c) => ({ ...c, why: 'beyond the smoke test' }));
    expect(await account.denied(role, beyond)).toHaveLength(beyond.length);
  });

  it('has every stage stack output the commit it was synthesized from', () => {
    for (const [stage, env] of [
      ['Dev', 'Dev'],
      ['Prod', 'Prod'],
    ])
      for (const stack of ['Storage', 'Catalog', 'Pipeline', 'Access', 'Backup'])
        stageTemplate(stage!, `Medallion-${env}-${stack}`).hasOutput('Version', { Value: commit });
  });
});
