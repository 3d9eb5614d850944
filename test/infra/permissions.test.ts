/**
 * Permissions proven by AWS's rules, not by our beliefs: every call each function's code makes
 * (declared next to its adapters, composed in `lambdas/functions/platform/iam.ts`), every call
 * Lambda, EventBridge Scheduler, EventBridge, CloudWatch Logs and Redshift make for the app, is
 * simulated with the concrete ARNs against the synthesized identity, key and resource policies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRedshiftConnection } from '../../lambdas/core/connections';
import {
  glueCatalogBackupIam,
  lambdaServiceIam,
  s3ObjectStoreIam,
  sfnRunStarterIam,
  type IamCall,
} from '../../lambdas/adapters/aws/iam-calls';
import { functionCalls, type FunctionScope } from '../../lambdas/functions/platform/iam';
import { personaDatabases } from '../../lambdas/core/access/persona-views';
import {
  bucketName,
  glueDatabaseName,
  lakeSchemas,
  personaDatabaseName,
  type BucketRole,
} from '../../lambdas/core/aws-names';
import { synthesize, type Synthesized } from '../helpers/cdk';
import {
  describeDecision,
  SimulatedAccount,
  type PolicyDocument,
  type Statement,
} from '../helpers/iam-simulator';

type Properties = Record<string, unknown>;
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Real secret ARNs carry six random characters after the name. */
const secretSuffix = '-AbCdEf';

describe.each(['dev', 'prod'])('permissions (%s)', (env) => {
  let synthesized: Synthesized;
  let account: SimulatedAccount;
  let pipelineStack: string;

  beforeAll(async () => {
    synthesized = await synthesize(env);
    const { stacks, templates, project } = synthesized;
    pipelineStack = stacks.pipeline.stackName;
    account = new SimulatedAccount(project.config.aws.account!, project.config.aws.region!, {
      [stacks.storage.stackName]: templates.storage.toJSON(),
      [stacks.catalog.stackName]: templates.catalog.toJSON(),
      [pipelineStack]: templates.pipeline.toJSON(),
    });
  });

  const fnResource = (id: string) =>
    account.resourcesOf('AWS::Lambda::Function').find((f) => f.id === id)!;

  /** The lake key: the default encryption of the buckets the function is told about. */
  const bucketKey = (bucket: string) => {
    const found = account
      .resourcesOf('AWS::S3::Bucket')
      .find((b) => account.resolve(b.stack, b.properties.BucketName) === bucket);
    const encryption = found?.properties.BucketEncryption as {
      ServerSideEncryptionConfiguration: {
        ServerSideEncryptionByDefault: { KMSMasterKeyID: unknown };
      }[];
    };
    return account.resolve(
      found!.stack,
      encryption.ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault.KMSMasterKeyID,
    );
  };

  /** What a function knows at run time, read from its synthesized environment. */
  const scopeOf = (functionId: string): { entry: string; role: string; scope: FunctionScope } => {
    const fn = fnResource(functionId);
    const variables = account.resolveObject(fn.stack, fn.properties.Environment) as {
      Variables: Record<string, string>;
    };
    const v = variables.Variables;
    const buckets = JSON.parse(v.MEDALLION_BUCKETS!) as Record<BucketRole, string>;
    const { config } = synthesized.project;
    const role = account.resolve(fn.stack, fn.properties.Role);
    return {
      entry: v.POWERTOOLS_SERVICE_NAME!,
      role,
      scope: {
        partition: account.partition,
        region: account.region,
        account: account.account,
        keyArn: bucketKey(buckets.bronze),
        config,
        buckets,
        workgroup: v.MEDALLION_WORKGROUP!,
        failureTopicArn: v.MEDALLION_FAILURE_TOPIC_ARN!,
        secretArn: (name) =>
          `arn:${account.partition}:secretsmanager:${account.region}:${account.account}:secret:${name}${secretSuffix}`,
        userId: `AROAEXAMPLEROLEID:${functionId}`,
        roleArn: role,
        runLockTable: v.MEDALLION_RUN_LOCK_TABLE!,
        personaDatabases: personaDatabases(synthesized.project.access, {
          database: (persona, schema) =>
            personaDatabaseName(config.project, config.env, persona, schema),
        }),
        ...(v.MEDALLION_LANDING_STATE_MACHINE_ARN
          ? { landingStateMachineArn: v.MEDALLION_LANDING_STATE_MACHINE_ARN }
          : {}),
        ...(v.MEDALLION_COST_TOPIC_ARN ? { costTopicArn: v.MEDALLION_COST_TOPIC_ARN } : {}),
        ...(v.MEDALLION_FUNCTION_LOG_GROUPS
          ? { functionLogGroups: JSON.parse(v.MEDALLION_FUNCTION_LOG_GROUPS) as string[] }
          : {}),
      },
    };
  };

  /** The queue's ARN and the key SQS encrypts it with. */
  const queue = (stack: string, arn: string) => {
    const found = account
      .resourcesOf('AWS::SQS::Queue')
      .find((q) => account.resolve(q.stack, { 'Fn::GetAtt': [q.id, 'Arn'] }) === arn);
    if (!found) throw new Error(`${stack}: no queue ${arn}`);
    return { arn, keyArn: account.resolve(found.stack, found.properties.KmsMasterKeyId) };
  };

  /** What Lambda itself does with the function's role: event source mappings, async destinations. */
  const serviceCalls = (functionId: string, scope: FunctionScope): IamCall[] => {
    const stack = pipelineStack;
    const mine = (p: Properties) =>
      account.resolve(stack, p.FunctionName) === account.resolve(stack, { Ref: functionId });
    const destination = (p: Properties) => {
      const arn = (p.DestinationConfig as { OnFailure?: { Destination: unknown } } | undefined)
        ?.OnFailure?.Destination;
      if (arn === undefined) return [];
      const q = queue(stack, account.resolve(stack, arn));
      return lambdaServiceIam.queueDestination({ ...scope, keyArn: q.keyArn }, q.arn);
    };
    return [
      ...account
        .resourcesOf('AWS::Lambda::EventInvokeConfig')
        .filter((c) => mine(c.properties))
        .flatMap((c) => destination(c.properties)),
      ...account
        .resourcesOf('AWS::Lambda::EventSourceMapping')
        .filter((m) => mine(m.properties))
        .flatMap((m) => {
          const p = m.properties as {
            EventSourceArn: unknown;
            Topics?: string[];
            AmazonManagedKafkaEventSourceConfig?: { ConsumerGroupId: string };
          };
          if (!p.Topics) {
            const q = queue(stack, account.resolve(stack, p.EventSourceArn));
            return lambdaServiceIam.sqsEventSource({ ...scope, keyArn: q.keyArn }, q.arn);
          }
          return [
            ...lambdaServiceIam.mskEventSource(
              account.resolve(stack, p.EventSourceArn),
              p.Topics[0]!,
              // Without a group id, Lambda uses the mapping's UUID, which no policy can name ahead.
              p.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ?? m.id,
            ),
            ...destination(m.properties),
          ];
        }),
    ];
  };

  it('every function of the pipeline stack declares its calls', async () => {
    const { stacks } = synthesized;
    for (const [name, fn] of Object.entries(stacks.pipeline.functions)) {
      const { entry } = scopeOf(stacks.pipeline.getLogicalId(fn.node.defaultChild as never));
      expect(functionCalls[entry], `${name} (${entry})`).toBeDefined();
    }
  });

  it('every call of every function, and every call Lambda makes for it, is allowed', async () => {
    const { stacks } = synthesized;
    const denied: string[] = [];
    for (const fn of Object.values(stacks.pipeline.functions)) {
      const id = stacks.pipeline.getLogicalId(fn.node.defaultChild as never);
      const { entry, role, scope } = scopeOf(id);
      const calls = [...functionCalls[entry]!(scope), ...serviceCalls(id, scope)];
      denied.push(...(await account.denied(role, calls)).map(describeDecision));
    }
    expect(denied).toEqual([]);
  });

  it('every action granted to a function is one its calls need (no over-breadth)', () => {
    const { stacks } = synthesized;
    const extra: string[] = [];
    for (const fn of Object.values(stacks.pipeline.functions)) {
      const id = stacks.pipeline.getLogicalId(fn.node.defaultChild as never);
      const { entry, role, scope } = scopeOf(id);
      const needed = new Set(
        [...functionCalls[entry]!(scope), ...serviceCalls(id, scope)].map((c) => c.action),
      );
      const granted = account
        .rolePolicies(role)
        .identity.flatMap((p) => p.policy.Statement)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => list(s.Action as string | string[]));
      extra.push(
        ...granted
          // Lambda's own logging and tracing, which no adapter declares.
          .filter((a) => !/^(logs:(CreateLogStream|PutLogEvents)|xray:Put\w+)$/.test(a))
          .filter((a) => !needed.has(a))
          .map((a) => `${entry}: ${a}`),
      );
    }
    expect([...new Set(extra)]).toEqual([]);
  });

  it('no function role relies on an AWS managed policy', () => {
    const { stacks } = synthesized;
    for (const [name, fn] of Object.entries(stacks.pipeline.functions)) {
      const role = account.resolve(pipelineStack, {
        'Fn::GetAtt': [stacks.pipeline.getLogicalId(fn.role!.node.defaultChild as never), 'Arn'],
      });
      expect(account.rolePolicies(role).awsManaged, name).toEqual([]);
    }
  });

  it('CloudWatch Logs may use the key of every encrypted log group', async () => {
    const groups = ['AWS::Logs::LogGroup']
      .flatMap((t) => account.resourcesOf(t))
      .filter((g) => g.properties.KmsKeyId !== undefined);
    expect(groups.length).toBeGreaterThan(0);
    const denied: string[] = [];
    for (const group of groups) {
      const keyArn = account.resolve(group.stack, group.properties.KmsKeyId);
      const logGroupArn = account
        .resolve(group.stack, { 'Fn::GetAtt': [group.id, 'Arn'] })
        .replace(/:\*$/, '');
      const calls = ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
        action,
        resource: keyArn,
        context: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn },
        why: `CloudWatch Logs encrypts ${logGroupArn}`,
      }));
      denied.push(
        ...(await account.denied(`logs.${account.region}.amazonaws.com`, calls)).map(
          describeDecision,
        ),
      );
    }
    expect(denied).toEqual([]);
  });

  it('every schedule may start its state machine and dead-letter into its encrypted queue', async () => {
    const schedules = account.resourcesOf('AWS::Scheduler::Schedule');
    expect(schedules.length).toBeGreaterThan(0);
    const denied: string[] = [];
    for (const { stack, properties } of schedules) {
      const target = properties.Target as {
        Arn: unknown;
        RoleArn: unknown;
        DeadLetterConfig: { Arn: unknown };
      };
      const q = queue(stack, account.resolve(stack, target.DeadLetterConfig.Arn));
      const started = account.resolve(stack, target.Arn);
      // Schedules start the alias, whose name qualifies the state machine's ARN.
      expect(started).toMatch(/:stateMachine:[^:]+:live$/);
      const calls: IamCall[] = [
        ...sfnRunStarterIam.starts(started),
        ...lambdaServiceIam.queueDestination(
          {
            partition: account.partition,
            region: account.region,
            account: account.account,
            keyArn: q.keyArn,
          },
          q.arn,
        ),
        {
          action: 'kms:Decrypt',
          resource: account.resolve(stack, properties.KmsKeyArn),
          why: 'Scheduler decrypts the schedule',
        },
      ];
      const role = account.resolve(stack, target.RoleArn);
      denied.push(...(await account.denied(role, calls)).map(describeDecision));
      // A start that bypasses the alias (the latest revision, unversioned) is not the schedule's.
      const bypass = sfnRunStarterIam.starts(started.replace(/:live$/, ''));
      expect(await account.denied(role, bypass), started).toHaveLength(1);
    }
    expect(denied).toEqual([]);
  });

  it("Redshift's UNLOAD role may write bronze's staging prefix, encrypted with the lake key", async () => {
    const { config } = synthesized.project;
    const denied: string[] = [];
    for (const [name, source] of Object.entries(config.sources)) {
      if (source.kind !== 'warehouse' || source.engine !== 'redshift') continue;
      const { iamRole } = parseRedshiftConnection(name, source.connection);
      const { scope } = scopeOf(
        synthesized.stacks.pipeline.getLogicalId(
          synthesized.stacks.pipeline.functions.IngestWarehouse.node.defaultChild as never,
        ),
      );
      const calls = s3ObjectStoreIam
        .write(scope, { bucket: scope.buckets.bronze, prefix: '_staging/redshift/' })
        .filter((c) => c.action !== 's3:AbortMultipartUpload');
      denied.push(...(await account.denied(iamRole, calls)).map(describeDecision));
    }
    expect(denied).toEqual([]);
  });

  it('no key policy names a principal the templates do not create', () => {
    const roles = new Set(
      account
        .resourcesOf('AWS::IAM::Role')
        .map((r) => account.resolve(r.stack, { 'Fn::GetAtt': [r.id, 'Arn'] })),
    );
    for (const key of account.resourcesOf('AWS::KMS::Key')) {
      const policy = account.resolveObject(key.stack, key.properties.KeyPolicy) as PolicyDocument;
      for (const statement of policy.Statement) {
        const principals = list(
          (statement.Principal as { AWS?: string | string[] } | undefined)?.AWS,
        );
        for (const principal of principals)
          expect(
            principal === `arn:${account.partition}:iam::${account.account}:root` ||
              roles.has(principal),
            principal,
          ).toBe(true);
      }
    }
  });

  it('EventBridge may use the lake key only for this account’s rules', async () => {
    const key = account.resourcesOf('AWS::KMS::Key')[0]!;
    const keyArn = account.resolve(key.stack, { 'Fn::GetAtt': [key.id, 'Arn'] });
    const rule = `arn:${account.partition}:events:${account.region}:${account.account}:rule/any`;
    const call = (sourceAccount: string, sourceArn: string): IamCall => ({
      action: 'kms:GenerateDataKey',
      resource: keyArn,
      context: { 'aws:SourceAccount': sourceAccount, 'aws:SourceArn': sourceArn },
      why: 'EventBridge delivers to an encrypted topic or queue',
    });
    const events = 'events.amazonaws.com';
    expect((await account.simulate(events, call(account.account, rule))).result).toBe('Allowed');
    const foreign = rule.replace(account.account, '999999999999');
    expect((await account.simulate(events, call('999999999999', foreign))).result).not.toBe(
      'Allowed',
    );
  });

  it('EventBridge may deliver each rule’s events: run-ended notices to the topic, unrecordable runs to the dead-letter queue', async () => {
    const { stacks } = synthesized;
    const pipeline = stacks.pipeline;
    const arnOf = (construct: { node: { defaultChild?: unknown } }) =>
      account.resolve(pipelineStack, {
        'Fn::GetAtt': [pipeline.getLogicalId(construct.node.defaultChild as never), 'Arn'],
      });
    const ruleArn = (id: string) =>
      account.resolve(pipelineStack, {
        'Fn::GetAtt': [
          pipeline.getLogicalId(
            pipeline.node.findChild(id.split('/')[0]!).node.findChild(id.split('/')[1]!).node
              .defaultChild as never,
          ),
          'Arn',
        ],
      });
    const topicArn = account.resolve(pipelineStack, {
      Ref: pipeline.getLogicalId(pipeline.failureTopic.node.defaultChild as never),
    });
    const queueArn = arnOf(pipeline.deadLetters);
    const keyArn = queue(pipelineStack, queueArn).keyArn;
    const delivery = (rule: string, action: string, resource: string): IamCall[] =>
      [
        { action, resource },
        { action: 'kms:GenerateDataKey', resource: keyArn },
      ].map((c) => ({
        ...c,
        context: { 'aws:SourceArn': rule, 'aws:SourceAccount': account.account },
        why: `EventBridge delivers the events of ${rule}`,
      }));
    const calls = [
      ...delivery(ruleArn('Orchestration/RunEndedBadlyRule'), 'sns:Publish', topicArn),
      ...delivery(ruleArn('RunRecording/RunStatusRule'), 'sqs:SendMessage', queueArn),
    ];
    const denied = await account.denied('events.amazonaws.com', calls);
    expect(denied.map(describeDecision)).toEqual([]);
  });

  it('Cost Anomaly Detection and AWS Budgets may publish to the encrypted cost topic, for this account only', async () => {
    const pipeline = synthesized.stacks.pipeline;
    const topicArn = account.resolve(pipelineStack, {
      Ref: pipeline.getLogicalId(pipeline.costAlerts.topic.node.defaultChild as never),
    });
    const keyArn = account.resolve(
      pipelineStack,
      (
        account
          .resourcesOf('AWS::SNS::Topic')
          .find((t) => account.resolve(t.stack, { Ref: t.id }) === topicArn)!.properties as {
          KmsMasterKeyId: unknown;
        }
      ).KmsMasterKeyId,
    );
    const publishes = (source: string, from: string): IamCall[] =>
      [
        { action: 'sns:Publish', resource: topicArn },
        { action: 'kms:GenerateDataKey', resource: keyArn },
        { action: 'kms:Decrypt', resource: keyArn },
      ].map((c) => ({
        ...c,
        context: { 'aws:SourceArn': source, 'aws:SourceAccount': from },
        why: `${source} alerts the cost topic`,
      }));
    const { partition: p, account: a } = account;
    expect(
      [
        ...(await account.denied(
          'costalerts.amazonaws.com',
          publishes(`arn:${p}:ce::${a}:anomalysubscription/abc`, a),
        )),
        ...(await account.denied(
          'budgets.amazonaws.com',
          publishes(`arn:${p}:budgets::${a}:budget/medallion-${env}-monthly`, a),
        )),
      ].map(describeDecision),
    ).toEqual([]);
    const elsewhere = await account.denied(
      'costalerts.amazonaws.com',
      publishes(`arn:${p}:ce::999999999999:anomalysubscription/abc`, '999999999999'),
    );
    expect(elsewhere.map((d) => d.call.action)).toEqual([
      'sns:Publish',
      'kms:GenerateDataKey',
      'kms:Decrypt',
    ]);
  });

  describe('the harness denies what AWS would deny', () => {
    const transform = () =>
      scopeOf(
        synthesized.stacks.pipeline.getLogicalId(
          synthesized.stacks.pipeline.functions.Transform.node.defaultChild as never,
        ),
      );
    const only = (statement: Statement) => [
      { name: 'only', policy: { Version: '2012-10-17', Statement: [statement] } },
    ];

    it('a grant of a secret by its name (a partial ARN) does not reach the real secret', async () => {
      const { role, scope } = transform();
      const real = scope.secretArn('medallion/dev/crm');
      const call = { action: 'secretsmanager:GetSecretValue', resource: real, why: 'test' };
      const grant = (resource: string) =>
        only({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: resource });
      const partial = real.slice(0, -secretSuffix.length);
      expect((await account.simulate(role, call, { identity: grant(partial) })).result).toBe(
        'ImplicitlyDenied',
      );
      expect(
        (await account.simulate(role, call, { identity: grant(`${partial}-??????`) })).result,
      ).toBe('Allowed');
    });

    it('a missing action is denied', async () => {
      const { role, scope } = transform();
      const call = functionCalls.transform!(scope).find(
        (c) => c.action === 's3:GetBucketLocation',
      )!;
      expect((await account.simulate(role, call)).result).toBe('Allowed');
      const identity = account.rolePolicies(role).identity.map((p) => ({
        name: p.name,
        policy: {
          ...p.policy,
          Statement: p.policy.Statement.map((s) => ({
            ...s,
            Action: list(s.Action as string | string[]).filter((a) => a !== 's3:GetBucketLocation'),
          })).filter((s) => s.Action.length > 0),
        },
      }));
      expect((await account.simulate(role, call, { identity })).result).toBe('ImplicitlyDenied');
    });

    it('a call on another bucket is denied', async () => {
      const { role, scope } = transform();
      const call = {
        action: 's3:GetObject',
        resource: `arn:aws:s3:::${scope.buckets.reports}/report.html`,
        why: 'test',
      };
      expect((await account.simulate(role, call)).result).toBe('ImplicitlyDenied');
    });

    it('an identity grant on a KMS key counts only when the key policy allows the account', async () => {
      const { role, scope } = transform();
      const call = { action: 'kms:Decrypt', resource: scope.keyArn, why: 'test' };
      expect((await account.simulate(role, call)).result).toBe('Allowed');
      const withoutAccount: PolicyDocument = {
        Version: '2012-10-17',
        Statement: account
          .resourcePolicy(scope.keyArn)!
          .Statement.filter(
            (s) =>
              !list((s.Principal as { AWS?: string | string[] } | undefined)?.AWS).some((p) =>
                p.endsWith(':root'),
              ),
          ),
      };
      expect(
        (await account.simulate(role, call, { resourcePolicy: withoutAccount })).result,
      ).not.toBe('Allowed');
    });
  });
});

describe.each(['dev', 'prod'])('catalog backup permissions (%s)', (env) => {
  let synthesized: Synthesized;
  let account: SimulatedAccount;
  let backupStack: string;

  beforeAll(async () => {
    synthesized = await synthesize(env);
    const { stacks, templates, project } = synthesized;
    backupStack = stacks.backup.stackName;
    account = new SimulatedAccount(project.config.aws.account!, project.config.aws.region!, {
      [stacks.storage.stackName]: templates.storage.toJSON(),
      [backupStack]: templates.backup.toJSON(),
    });
  });

  /** The role, and what its code knows: the lake key, the project's databases, the exports' prefix. */
  const scopeOf = (which: 'export' | 'restore') => {
    const { stacks, project } = synthesized;
    const { config } = project;
    const fn = stacks.backup.catalogBackup![which];
    const role = account.resolve(backupStack, {
      'Fn::GetAtt': [stacks.backup.getLogicalId(fn.role.node.defaultChild as never), 'Arn'],
    });
    const key = account.resourcesOf('AWS::KMS::Key')[0]!;
    const scope = {
      partition: account.partition,
      region: account.region,
      account: account.account,
      keyArn: account.resolve(key.stack, { 'Fn::GetAtt': [key.id, 'Arn'] }),
    };
    const databases = [
      ...lakeSchemas.map((s) => glueDatabaseName(config.project, config.env, s)),
      ...personaDatabases(project.access, {
        database: (persona, schema) =>
          personaDatabaseName(config.project, config.env, persona, schema),
      }),
    ];
    const exports = {
      bucket: bucketName(config.project, config.env, 'audit', account.account, account.region),
      prefix: 'dr/catalog/',
    };
    return { role, scope, databases, exports };
  };
  const callsOf = (which: 'export' | 'restore') => {
    const { scope, databases, exports } = scopeOf(which);
    return which === 'export'
      ? glueCatalogBackupIam.exports(scope, databases, exports)
      : glueCatalogBackupIam.restores(scope, databases, exports);
  };

  it.each(['export', 'restore'] as const)(
    'every call of the catalog %s is allowed, and no action beyond them is granted',
    async (which) => {
      const { role } = scopeOf(which);
      const calls = callsOf(which);
      expect((await account.denied(role, calls)).map(describeDecision)).toEqual([]);
      const granted = account
        .rolePolicies(role)
        .identity.flatMap((p) => p.policy.Statement)
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => list(s.Action as string | string[]))
        .filter((a) => !/^(logs:(CreateLogStream|PutLogEvents)|xray:Put\w+)$/.test(a));
      expect([...new Set(granted)].sort()).toEqual([...new Set(calls.map((c) => c.action))].sort());
    },
  );

  it("denies the catalog restore another project's databases and the audit bucket outside dr/catalog/", async () => {
    const { role, scope, exports } = scopeOf('restore');
    const foreign = glueCatalogBackupIam
      .restores(scope, ['other_prod_gold'], exports)
      .filter((c) => c.action.startsWith('glue:') && !c.resource.endsWith(':catalog'));
    const outside = {
      action: 's3:GetObject',
      resource: `arn:${scope.partition}:s3:::${exports.bucket}/tables/runs/metadata/v1.metadata.json`,
      why: 'test',
    };
    const decisions = await Promise.all(
      [...foreign, outside].map((c) => account.simulate(role, c)),
    );
    expect(decisions.map((d) => d.result)).toEqual(decisions.map(() => 'ImplicitlyDenied'));
  });
});

describe('cost report readers (dev)', () => {
  let synthesized: Synthesized;
  let account: SimulatedAccount;

  beforeAll(async () => {
    synthesized = await synthesize('dev');
    const { stacks, templates, project } = synthesized;
    account = new SimulatedAccount(project.config.aws.account!, project.config.aws.region!, {
      [stacks.storage.stackName]: templates.storage.toJSON(),
      [stacks.access.stackName]: templates.access.toJSON(),
    });
  });

  /** A persona's role, and what Athena does with its credentials to read `audit.cost_reports`. */
  const reading = (persona: string) => {
    const { stacks, project } = synthesized;
    const { config } = project;
    const access = stacks.access!;
    const role = account.resolve(access.stackName, {
      'Fn::GetAtt': [
        access.getLogicalId(access.personaRoles[persona]!.node.defaultChild as never),
        'Arn',
      ],
    });
    const key = account.resourcesOf('AWS::KMS::Key')[0]!;
    const scope = {
      partition: account.partition,
      region: account.region,
      account: account.account,
      keyArn: account.resolve(key.stack, { 'Fn::GetAtt': [key.id, 'Arn'] }),
    };
    const reports = bucketName(config.project, config.env, 'reports', scope.account, scope.region);
    const audit = glueDatabaseName(config.project, config.env, 'audit');
    const glue = (action: string, resource: string): IamCall => ({
      action,
      resource: `arn:${scope.partition}:glue:${scope.region}:${scope.account}:${resource}`,
      why: 'Athena reads the table definition',
    });
    const calls = [
      glue('glue:GetDatabase', `database/${audit}`),
      glue('glue:GetTable', `table/${audit}/cost_reports`),
      ...s3ObjectStoreIam.read(scope, { bucket: reports, prefix: 'cost/2026-11-23/csv/' }),
    ];
    return { role, scope, reports, calls };
  };

  it.each(['finance', 'engineer'])('lets %s read the cost reports through S3', async (persona) => {
    const { role, calls } = reading(persona);
    expect((await account.denied(role, calls)).map(describeDecision)).toEqual([]);
  });

  it('denies the cost reports to a persona without them, and everything else of the bucket to finance', async () => {
    const analyst = reading('analyst');
    // Every persona decrypts with the lake key (its query results): the rest is denied.
    const denied = await account.denied(analyst.role, analyst.calls);
    expect(denied.map((d) => d.call.action).sort()).toEqual(
      analyst.calls
        .map((c) => c.action)
        .filter((a) => !a.startsWith('kms:'))
        .sort(),
    );
    const { role, reports } = reading('finance');
    const elsewhere: IamCall[] = [
      { action: 's3:GetObject', resource: `arn:aws:s3:::${reports}/other/x.csv`, why: 'test' },
      {
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${reports}`,
        context: { 's3:prefix': '' },
        why: 'test',
      },
    ];
    const decisions = await Promise.all(elsewhere.map((c) => account.simulate(role, c)));
    expect(decisions.map((d) => d.result)).toEqual(decisions.map(() => 'ImplicitlyDenied'));
  });
});
