import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../lib/app';
import { ownRolePolicies } from '../../lib/nag';
import { newApp, synthesize } from '../helpers/cdk';

describe.each(['dev', 'prod'])('cdk-nag AWS Solutions and NIST 800-53 R5 checks (%s)', (env) => {
  it('the app synthesizes with no unacknowledged finding', async () => {
    // synthesize() runs app.synth(), which throws on any unacknowledged finding.
    const { app } = await synthesize(env);
    const report = JSON.parse(
      readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'),
    ) as { pluginReports: { conclusion: string }[] };
    expect(report.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
  });

  it('every acknowledgement names one finding and says specifically why', async () => {
    const { app } = await synthesize(env);
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      // Wildcard and managed-policy findings are acknowledged per resource or policy, never
      // wholesale; NIST findings only of the kinds reviewed, each on its own resource.
      expect(id).toMatch(
        /^Annotation::(AwsSolutions-(IAM5\[Resource::.+\]|IAM4\[Policy::.+\]|SQS3)|NIST\.800\.53\.R5-(LambdaDLQ|LambdaConcurrency|LambdaInsideVPC|IAMNoInlinePolicy|S3BucketReplicationEnabled|S3DefaultEncryptionKMS|DynamoDBInBackupPlan))$/,
      );
      expect(reason.length, id).toBeGreaterThanOrEqual(60);
    }
  });

  it('CDK’s acknowledged notifications handler may only put the landing bucket’s notification configuration and write logs', async () => {
    const { templates } = await synthesize(env);
    // CDK's singleton handler keeps a fixed logical id prefix.
    const roles = Object.entries(templates.storage.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('BucketNotificationsHandler'),
    ) as [string, { Properties: object }][];
    expect(roles).toHaveLength(1);
    const [[roleId, role]] = roles as [[string, { Properties: object }]];
    expect(role.Properties).not.toHaveProperty('Policies');
    expect(role.Properties).toMatchObject({
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
            ],
          ],
        },
      ],
    });
    const policies = Object.values(
      templates.storage.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      {
        Action: 's3:PutBucketNotification',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LandingBucket/), 'Arn'] },
      },
    ]);
  });
});

it('a finding nobody acknowledged fails the synth and names the rule', async () => {
  const { app, project } = await newApp('dev');
  const { pipeline } = createApp(app, project);
  new sqs.Queue(pipeline, 'PlainQueue');
  expect(() => app.synth()).toThrow(
    /AwsSolutions-SQS4[\s\S]*PlainQueue|PlainQueue[\s\S]*AwsSolutions-SQS4/,
  );
});

it('a NIST 800-53 R5 finding nobody acknowledged fails the synth and names the rule', async () => {
  const { app, project } = await newApp('dev');
  const { pipeline } = createApp(app, project);
  new logs.LogGroup(pipeline, 'PlainLogs');
  expect(() => app.synth()).toThrow(
    /NIST\.800\.53\.R5-CloudWatchLogGroupEncrypted[\s\S]*PlainLogs|PlainLogs[\s\S]*NIST\.800\.53\.R5-CloudWatchLogGroupEncrypted/,
  );
});

it('only a policy attached to exactly one role, and to no user or group, counts as that role’s own', () => {
  const stack = new Stack();
  const role = (id: string) =>
    new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const policy = (id: string) =>
    new iam.Policy(stack, id, {
      statements: [new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] })],
    });
  const own = policy('Own');
  own.attachToRole(role('A'));
  const shared = policy('Shared');
  shared.attachToRole(role('B'));
  shared.attachToRole(role('C'));
  const withUser = policy('WithUser');
  withUser.attachToRole(role('D'));
  withUser.attachToUser(new iam.User(stack, 'User'));
  expect(ownRolePolicies(stack)).toEqual([own]);
});
