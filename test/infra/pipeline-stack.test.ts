import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { personaDatabases } from '../../lambdas/core/access/persona-views';
import { bucketName, personaDatabaseName, type BucketRole } from '../../lambdas/core/aws-names';
import {
  onDemandJobs,
  placeholders,
  substitutePlaceholders,
  taskStates,
} from '../../lambdas/core/orchestration';
import { createApp } from '../../lib/app';
import {
  placeholderOf,
  taskNames,
  taskOfPlaceholder,
  tasks,
  type TaskName,
} from '../../lambdas/core/tasks';
import { newApp, synthesize } from '../helpers/cdk';
import {
  definitionText,
  oneRestSourceConfig,
  sampleJobs as jobs,
  sampleStateMachineJobs as stateMachineJobs,
} from '../helpers/state-machines';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

/** A CloudFormation value as text: `<Logical.Arn>` for GetAtt, `<Logical>` for Ref. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(rendered).join(separator);
  }
  if (v.Ref) return `<${String(v.Ref)}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v['Fn::ImportValue']) return `<import:${String(v['Fn::ImportValue'])}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every Allow statement of the policies attached to a role, one entry per action and resource. */
function grantsOf(template: Template, roleId: string) {
  // A role's statements past the inline policy's size limit go to an overflow managed policy.
  const policies = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap(
    (type) => Object.values(template.findResources(type)) as Resource[],
  );
  return policies
    .filter((p) => ((p.Properties.Roles ?? []) as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .flatMap((s) =>
      list(s.Action).flatMap((action) =>
        list(s.Resource).map((resource) => ({
          effect: s.Effect,
          action,
          resource: rendered(resource),
          condition: s.Condition,
        })),
      ),
    );
}

/** The logical id of the alias of the state machine `machineId`, through its version. */
function aliasId(template: Template, machineId: string): string {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const version = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::StepFunctions::StateMachineVersion' &&
      JSON.stringify(r.Properties.StateMachineArn) === JSON.stringify({ Ref: machineId }),
  )?.[0];
  const alias = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::StepFunctions::StateMachineAlias' &&
      JSON.stringify(r.Properties.RoutingConfiguration).includes(`"${version}"`),
  )?.[0];
  if (!version || !alias) throw new Error(`no version and alias for ${machineId}`);
  return alias;
}

describe.each(['dev', 'prod'])('pipeline stack (%s)', (env) => {
  const pipeline = async () => {
    const synthesized = await synthesize(env);
    const { stacks, templates, project } = synthesized;
    const stack = stacks.pipeline;
    const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
      stack.getLogicalId(construct.node.defaultChild as never);
    const functionIds = Object.fromEntries(
      Object.entries(stack.functions).map(([name, fn]) => [name, logicalId(fn as never)]),
    ) as Record<keyof typeof stack.functions, string>;
    const roleIds = Object.fromEntries(
      Object.entries(stack.functions).map(([name, fn]) => [name, logicalId(fn.role as never)]),
    ) as Record<keyof typeof stack.functions, string>;
    const bucket = (role: BucketRole) =>
      bucketName(
        project.config.project,
        env,
        role,
        project.config.aws.account!,
        project.config.aws.region!,
      );
    return {
      ...synthesized,
      config: project.config,
      template: templates.pipeline,
      stack,
      functionIds,
      roleIds,
      logicalId,
      bucket,
    };
  };

  it('has one function per task of the catalogue; the state machines call exactly those a state machine invokes', async () => {
    const { template, functionIds } = await pipeline();
    const used = new Set(stateMachineJobs.flatMap((job) => placeholders(definitionText(job))));
    expect(used).toEqual(
      new Set(taskNames.filter((t) => tasks[t].invokedBy === 'state machine').map(placeholderOf)),
    );
    expect(Object.keys(functionIds).sort()).toEqual([...taskNames].sort());
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).sort()).toEqual(
      Object.values(functionIds).sort(),
    );
  });

  it('runs every function on Node.js 24, arm64, traced, with its own log group, sized as the catalogue says', async () => {
    const { template, functionIds, config } = await pipeline();
    for (const [task, id] of Object.entries(functionIds)) {
      const fn = template.findResources('AWS::Lambda::Function')[id] as Resource;
      const spec = tasks[task as TaskName];
      expect(fn.Properties, id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: expect.objectContaining({ MEDALLION_ENV: config.env }) },
      });
    }
  });

  it.each(stateMachineJobs)(
    '%s: the state machine is its ASL, placeholders resolved to this stack’s functions',
    async (job) => {
      const { template, stack, functionIds } = await pipeline();
      const machine = stack.stateMachines[job]!;
      const properties = (
        template.findResources('AWS::StepFunctions::StateMachine')[
          stack.getLogicalId(machine.node.defaultChild as never)
        ] as Resource
      ).Properties as {
        DefinitionString: string;
        DefinitionSubstitutions: Record<string, unknown>;
        LoggingConfiguration: unknown;
        TracingConfiguration: unknown;
      };
      const deployed = properties.DefinitionString;
      expect(JSON.parse(deployed)).toEqual(JSON.parse(definitionText(job)));

      const substitutions = Object.fromEntries(
        Object.entries(properties.DefinitionSubstitutions).map(([k, v]) => [k, rendered(v)]),
      );
      const definition = substitutePlaceholders(deployed, substitutions);
      expect(definition).not.toMatch(/\$\{/);
      for (const task of taskStates(JSON.parse(definition))) {
        const handler = /^<(.+)\.Arn>$/.exec(String(task.definition.Resource))?.[1];
        expect(Object.values(functionIds), `${job}.${task.name}`).toContain(handler);
      }
      for (const [placeholder, value] of Object.entries(substitutions)) {
        expect(value).toBe(`<${functionIds[taskOfPlaceholder(placeholder)!]}.Arn>`);
      }
      expect(properties.LoggingConfiguration).toMatchObject({
        Level: 'ALL',
        // The erase's input and states name the person: its log keeps no execution data.
        IncludeExecutionData: job !== 'dsr_erase',
      });
      expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    },
  );

  it('each state machine may invoke exactly the functions its definition uses', async () => {
    const { template, stack, functionIds, logicalId } = await pipeline();
    for (const job of stateMachineJobs) {
      const machine = stack.stateMachines[job]!;
      const used = new Set(placeholders(definitionText(job)));
      const invokable = grantsOf(template, logicalId(machine.role as never))
        .filter((g) => g.action === 'lambda:InvokeFunction')
        .map((g) => g.resource)
        .sort();
      expect(invokable, job).toEqual(
        [...used].map((p) => `<${functionIds[taskOfPlaceholder(p)!]}.Arn>`).sort(),
      );
    }
  });

  it('publishes a version of every state machine on each definition change, and an alias routing every start to it', async () => {
    const { template, stack, logicalId } = await pipeline();
    const machines = Object.values(stack.stateMachines);
    template.resourceCountIs('AWS::StepFunctions::StateMachineVersion', machines.length);
    template.resourceCountIs('AWS::StepFunctions::StateMachineAlias', machines.length);
    for (const machine of machines) {
      const id = logicalId(machine);
      const alias = template.toJSON().Resources[aliasId(template, id)] as Resource;
      const [route] = alias.Properties.RoutingConfiguration as {
        StateMachineVersionArn: { 'Fn::GetAtt': [string, string] };
        Weight: number;
      }[];
      expect(alias.Properties.RoutingConfiguration).toHaveLength(1);
      expect(route!.Weight).toBe(100);
      expect(alias.Properties.Name).toBe('live');
      const version = template.toJSON().Resources[route!.StateMachineVersionArn['Fn::GetAtt'][0]];
      // The revision CloudFormation deployed: a new one replaces the version, publishing anew.
      expect((version as Resource).Properties).toEqual(
        expect.objectContaining({
          StateMachineArn: { Ref: id },
          StateMachineRevisionId: { 'Fn::GetAtt': [id, 'StateMachineRevisionId'] },
        }),
      );
    }
  });

  it('schedules every pipeline that config schedules, with its window, retries and DLQ', async () => {
    const { template, config, stack, logicalId } = await pipeline();
    const scheduled = Object.entries(config.pipelines).filter(([, p]) => p.schedule);
    expect(scheduled.length).toBeGreaterThan(0);
    template.resourceCountIs('AWS::Scheduler::Schedule', scheduled.length);
    const queue = logicalId(stack.deadLetters);
    for (const [job, p] of scheduled) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: p.schedule,
        ScheduleExpressionTimezone: p.timezone,
        State: 'ENABLED',
        FlexibleTimeWindow:
          p.flexibleWindowMinutes > 0
            ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: p.flexibleWindowMinutes }
            : { Mode: 'OFF' },
        Target: {
          // The alias, so that a run keeps the version it started on through a deploy.
          Arn: {
            'Fn::GetAtt': [
              aliasId(
                template,
                logicalId(stack.stateMachines[job as keyof typeof stack.stateMachines]!),
              ),
              'Arn',
            ],
          },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
          RetryPolicy: {
            MaximumRetryAttempts: p.retry.maximumRetryAttempts,
            MaximumEventAgeInSeconds: p.retry.maximumEventAgeSeconds,
          },
        },
      });
    }
  });

  it('subscribes config’s addresses to the encrypted failure topic', async () => {
    const { template, config } = await pipeline();
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('LakeKey') },
    });
    // The cost topic's subscribers are finance's (test/infra/cost.test.ts).
    template.resourceCountIs(
      'AWS::SNS::Subscription',
      config.notifications.emails.length + config.cost.emails.length,
    );
    for (const email of config.notifications.emails) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: email,
      });
    }
  });

  it('landing files queue up, and each batch of them starts one landing_to_bronze run', async () => {
    const { template, templates, stack, logicalId, bucket, functionIds, roleIds, config } =
      await pipeline();
    const [queueId, queue] = Object.entries(
      template.findResources('AWS::SQS::Queue', {
        Properties: { RedrivePolicy: Match.anyValue() },
      }),
    )[0]!;
    // Encrypted with the lake key; what cannot start a run ends in the dead-letter queue.
    expect((queue as Resource).Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::ImportValue': expect.stringMatching(/LakeKey/) },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.deadLetters), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [bucket('landing')] } },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, Id: Match.anyValue() }],
    });
    // No rule starts a state machine per file any more.
    const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap(
      (r) => (r as Resource).Properties.Targets as { Arn: unknown }[],
    );
    expect(targets).not.toContainEqual(
      expect.objectContaining({ Arn: { Ref: logicalId(stack.stateMachines.landing_to_bronze) } }),
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionIds.StartLanding },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 60,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    // It starts the alias only: the state machine's ARN, qualified by the alias name.
    expect(
      grantsOf(template, roleIds.StartLanding)
        .filter((g) => g.action.startsWith('states:'))
        .map((g) => ({ grant: `${g.action} ${g.resource}`, condition: g.condition })),
    ).toEqual([
      {
        grant: `states:StartExecution <${logicalId(stack.stateMachines.landing_to_bronze)}>`,
        condition: { 'ForAnyValue:StringEquals': { 'states:StateMachineQualifier': 'live' } },
      },
    ]);
    const starter = template.toJSON().Resources[functionIds.StartLanding] as Resource;
    expect(
      (starter.Properties.Environment as { Variables: Record<string, unknown> }).Variables
        .MEDALLION_LANDING_STATE_MACHINE_ARN,
    ).toEqual({
      'Fn::GetAtt': [aliasId(template, logicalId(stack.stateMachines.landing_to_bronze)), 'Arn'],
    });
    // EventBridge may send to the queue, and use the lake key for it, for this rule's events only.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    // The lake key lets EventBridge encrypt for this account's rules only (allowEventBridgeToUseKey),
    // never kms:Encrypt or ReEncrypt as CDK's SqsQueue target would grant.
    const keyPolicy = Object.values(templates.storage.findResources('AWS::KMS::Key'))
      .map((k) => (k as Resource).Properties.KeyPolicy as { Statement: Record<string, unknown>[] })
      .flatMap((p) => p.Statement)
      .filter((st) => JSON.stringify(st.Principal).includes('events.amazonaws.com'));
    expect(
      keyPolicy.filter((st) => /kms:(Encrypt|ReEncrypt)/.test(JSON.stringify(st.Action))),
    ).toEqual([]);
    for (const statement of keyPolicy)
      expect(statement.Condition).toMatchObject({
        StringEquals: { 'aws:SourceAccount': config.aws.account },
      });
  });

  it('the run lock lives in an encrypted, recoverable DynamoDB table every function knows', async () => {
    const { template, functionIds, config } = await pipeline();
    const tableName = `${config.project}-${env}-run-lock`;
    const tables = template.findResources('AWS::DynamoDB::Table');
    expect(Object.values(tables)).toEqual([
      expect.objectContaining({
        DeletionPolicy: config.storage.removalPolicy === 'destroy' ? 'Delete' : 'Retain',
        Properties: expect.objectContaining({
          TableName: tableName,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: {
            SSEEnabled: true,
            SSEType: 'KMS',
            KMSMasterKeyId: { 'Fn::ImportValue': expect.stringMatching(/LakeKey/) },
          },
          TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        }),
      }),
    ]);
    for (const id of Object.values(functionIds)) {
      const fn = template.findResources('AWS::Lambda::Function')[id] as Resource;
      expect(fn.Properties.Environment, id).toMatchObject({
        Variables: { MEDALLION_RUN_LOCK_TABLE: tableName },
      });
    }
  });

  it('MSK delivers each Kafka topic to the Kafka function, in a group of its own, failures to the dead-letter queue', async () => {
    const { template, config, functionIds, stack, logicalId } = await pipeline();
    const topics = Object.entries(config.sources).flatMap(([name, s]) =>
      s.kind === 'kafka' && s.eventSourceMapping
        ? Object.values(s.datasets).map((d) => ({
            topic: d.topic,
            cluster: s.mskClusterArn,
            group: `${config.project}-${env}-${name}-${d.topic}`,
          }))
        : [],
    );
    expect(topics.length).toBeGreaterThan(0);
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { Topics: Match.anyValue() },
        }),
      ),
    ).toHaveLength(topics.length);
    for (const { topic, cluster, group } of topics) {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: functionIds.KafkaEvents },
        EventSourceArn: cluster,
        Topics: [topic],
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.deadLetters), 'Arn'] } },
        },
      });
    }
  });

  describe('least privilege', () => {
    const s3Grants = async (fn: keyof Awaited<ReturnType<typeof pipeline>>['roleIds']) => {
      const { template, roleIds } = await pipeline();
      const grants: Record<string, string[]> = {};
      for (const g of grantsOf(template, roleIds[fn])) {
        const object = /^arn:<AWS::Partition>:s3:::([^/]+)\/(.*)$/.exec(g.resource);
        if (!object || !g.action.startsWith('s3:')) continue;
        (grants[`${object[1]}/${object[2]}`] ??= []).push(g.action);
      }
      return Object.fromEntries(Object.entries(grants).map(([k, v]) => [k, v.sort()]));
    };
    const readWrite = [
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ];
    const writeState = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];
    /** Every task writes its OpenLineage events, and only writes them. */
    const writeLineage = ['s3:AbortMultipartUpload', 's3:PutObject'];
    /** Athena's documented minimum on the workgroup's result location. */
    const queryResults = [
      's3:AbortMultipartUpload',
      's3:GetObject',
      's3:ListMultipartUploadParts',
      's3:PutObject',
    ];

    it('no statement grants a wildcard action, and Resource * only where AWS allows nothing narrower', async () => {
      const { template } = await pipeline();
      const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
      const statements = policies.flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      for (const statement of statements) {
        for (const action of list(statement.Action)) expect(action).not.toMatch(/\*$/);
        if (list(statement.Resource).includes('*')) {
          for (const action of list(statement.Action)) {
            expect(action).toMatch(
              /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|DeleteLogDelivery|DescribeLogGroups|DescribeResourcePolicies|GetLogDelivery|ListLogDeliveries|PutResourcePolicy|UpdateLogDelivery)|redshift-data:(DescribeStatement|GetStatementResult|CancelStatement)|kafka:GetBootstrapBrokers|lakeformation:(GetDataAccess|ListDataCellsFilter|CreateDataCellsFilter|UpdateDataCellsFilter|DeleteDataCellsFilter|GrantPermissions|AddLFTagsToResource)|ec2:(CreateNetworkInterface|DeleteNetworkInterface|DescribeNetworkInterfaces|DescribeSecurityGroups|DescribeSubnets|DescribeVpcs)|ce:(GetCostAndUsage|GetCostForecast|GetAnomalies)|logs:GetQueryResults|cost-optimization-hub:ListRecommendations|cloudwatch:(PutMetricData|GetMetricData))$/,
            );
          }
          if (list(statement.Action).includes('cloudwatch:PutMetricData')) {
            expect(statement.Condition).toEqual({
              StringEquals: { 'cloudwatch:namespace': `medallion-${env}` },
            });
          }
          if (list(statement.Action).some((a) => a.startsWith('redshift-data:'))) {
            expect(statement.Condition).toEqual({
              StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' },
            });
          }
        }
      }
    });

    it.each(['IngestWarehouse', 'IngestRest', 'KafkaDrain', 'KafkaEvents'] as const)(
      '%s writes bronze, its state under audit/state/ and its lineage under audit/lineage/, nothing else',
      async (fn) => {
        const { bucket } = await pipeline();
        expect(await s3Grants(fn)).toEqual({
          [`${bucket('bronze')}/*`]: readWrite,
          [`${bucket('audit')}/state/*`]: writeState,
          [`${bucket('audit')}/lineage/*`]: writeLineage,
        });
      },
    );

    it('IngestLanding also moves files out of the landing bucket', async () => {
      const { bucket } = await pipeline();
      expect(await s3Grants('IngestLanding')).toEqual({
        [`${bucket('bronze')}/*`]: readWrite,
        [`${bucket('landing')}/*`]: readWrite,
        [`${bucket('audit')}/state/*`]: writeState,
        [`${bucket('audit')}/lineage/*`]: writeLineage,
      });
    });

    it('Transform reads bronze and writes the Athena-managed layers, in its own workgroup and databases', async () => {
      const { bucket, template, roleIds, config } = await pipeline();
      expect(await s3Grants('Transform')).toEqual({
        [`${bucket('bronze')}/*`]: ['s3:GetObject'],
        ...Object.fromEntries(
          (['silver', 'gold', 'quarantine'] as const).map((r) => [`${bucket(r)}/*`, readWrite]),
        ),
        [`${bucket('silver')}/_seeds/*`]: readWrite,
        [`${bucket('audit')}/changelog/*`]: readWrite,
        [`${bucket('audit')}/tables/model_state/*`]: readWrite,
        // The plans read the run history: a date before the last completed one is refused.
        [`${bucket('audit')}/tables/runs/*`]: ['s3:GetObject'],
        [`${bucket('athenaResults')}/scratch/*`]: readWrite,
        [`${bucket('athenaResults')}/engineering/*`]: queryResults,
        [`${bucket('audit')}/lineage/*`]: writeLineage,
      });
      const grants = grantsOf(template, roleIds.Transform);
      const athena = grants.filter((g) => g.action.startsWith('athena:'));
      expect(new Set(athena.map((g) => g.resource))).toEqual(
        new Set([
          `arn:<AWS::Partition>:athena:${config.aws.region}:${config.aws.account}:workgroup/${config.project}-${env}-engineering`,
        ]),
      );
      const glue = grants.filter((g) => g.action.startsWith('glue:'));
      for (const g of glue) {
        expect(g.resource).toMatch(
          new RegExp(
            `:glue:${config.aws.region}:${config.aws.account}:(catalog|database/${config.project}_${env}_\\w+|table/${config.project}_${env}_\\w+/\\*|table/${config.project}_${env}_audit/model_state)$`,
          ),
        );
      }
      // Bronze and the audit tables other than its watermarks are read-only to it.
      const written = glue
        .filter((g) => /^glue:(Create|Update|Delete)Table$/.test(g.action))
        .map((g) => g.resource.replace(/^.*:table\//, ''))
        .filter((r) => !r.startsWith('arn:'));
      expect([...new Set(written.filter((t) => /_(bronze|audit)\//.test(t)))]).toEqual([
        `${config.project}_${env}_audit/model_state`,
      ]);
    });

    it('DsrErase rewrites bronze and landing files and deletes their old versions, erases from the Iceberg layers, keeps its log under audit/privacy/', async () => {
      const { bucket, template, roleIds, config } = await pipeline();
      expect(await s3Grants('DsrErase')).toEqual({
        [`${bucket('bronze')}/*`]: [
          's3:AbortMultipartUpload',
          's3:DeleteObjectVersion',
          's3:GetObject',
          's3:PutObject',
        ],
        ...Object.fromEntries(
          (['silver', 'gold', 'quarantine'] as const).map((r) => [`${bucket(r)}/*`, readWrite]),
        ),
        [`${bucket('audit')}/tables/*`]: readWrite,
        [`${bucket('audit')}/changelog/*`]: readWrite,
        [`${bucket('audit')}/privacy/*`]: readWrite,
        [`${bucket('athenaResults')}/engineering/*`]: queryResults,
        // Every version of every landing file is read; never a plain delete, only of versions.
        [`${bucket('landing')}/*`]: [
          's3:DeleteObjectVersion',
          's3:GetObjectVersion',
          's3:PutObject',
        ],
      });
      const grants = grantsOf(template, roleIds.DsrErase);
      for (const versioned of ['bronze', 'landing'] as const)
        expect(grants).toContainEqual(
          expect.objectContaining({
            action: 's3:ListBucketVersions',
            resource: `arn:<AWS::Partition>:s3:::${bucket(versioned)}`,
          }),
        );
      // Bronze is Parquet on S3: its Glue tables are read, never committed to.
      const updated = grants
        .filter((g) => g.action === 'glue:UpdateTable')
        .map((g) => g.resource.replace(/^.*:table\//, ''))
        .filter((r) => !r.startsWith('arn:'));
      expect(new Set(updated)).toEqual(
        new Set(
          ['silver', 'gold', 'quarantine', 'changelog', 'audit'].map(
            (schema) => `${config.project}_${env}_${schema}/*`,
          ),
        ),
      );
      // Started by the privacy officer: no schedule starts it.
      expect(onDemandJobs).toEqual(['dsr_erase']);
      expect(Object.keys(config.pipelines)).not.toContain('dsr_erase');
    });

    it('RecordRun writes the run and contract-version tables, reads its executions’ history, one invocation at a time', async () => {
      const { bucket, template, roleIds, functionIds, config } = await pipeline();
      expect(await s3Grants('RecordRun')).toEqual({
        ...Object.fromEntries(
          ['runs', 'run_datasets', 'contract_versions'].map((t) => [
            `${bucket('audit')}/tables/${t}/*`,
            readWrite,
          ]),
        ),
        [`${bucket('audit')}/lineage/*`]: writeState,
        [`${bucket('athenaResults')}/engineering/*`]: queryResults,
      });
      const grants = grantsOf(template, roleIds.RecordRun);
      const audit = `${config.project}_${env}_audit`;
      // It creates its tables when they are missing: the pipeline owns the audit tables.
      expect(
        [
          ...new Set(
            grants
              .filter((g) => g.action.startsWith('glue:'))
              .map((g) => `${g.action} ${g.resource.replace(/^.*:glue:[^:]+:[^:]+:/, '')}`),
          ),
        ].sort(),
      ).toEqual(
        ['glue:GetDatabase', 'glue:GetTable', 'glue:CreateTable', 'glue:UpdateTable']
          .flatMap((a) =>
            [
              'catalog',
              `database/${audit}`,
              `table/${audit}/runs`,
              `table/${audit}/run_datasets`,
              `table/${audit}/contract_versions`,
            ].map((r) => `${a} ${r}`),
          )
          .sort(),
      );
      expect(
        grants
          .filter((g) => g.action === 'states:GetExecutionHistory')
          .map((g) => g.resource.replace(/^.*:execution:/, ''))
          .sort(),
      ).toEqual(jobs.map((j) => `${config.project}-${env}-${j.replaceAll('_', '-')}:*`).sort());
      const fn = template.findResources('AWS::Lambda::Function')[functionIds.RecordRun] as Resource;
      expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    });

    it('every status change of every run reaches RecordRun; what it cannot record lands in the dead-letter queue', async () => {
      const { template, stack, functionIds, logicalId } = await pipeline();
      const queueArn = { 'Fn::GetAtt': [logicalId(stack.deadLetters), 'Arn'] };
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.states'],
          'detail-type': ['Step Functions Execution Status Change'],
          detail: {
            stateMachineArn: jobs.map((j) => ({ Ref: logicalId(stack.stateMachines[j]!) })),
          },
        },
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionIds.RecordRun, 'Arn'] },
            DeadLetterConfig: { Arn: queueArn },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionIds.RecordRun },
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
    });

    it('DataQuality reads silver and gold (and quarantine and change feeds), and writes only its evidence', async () => {
      const { bucket, template, roleIds, config } = await pipeline();
      expect(await s3Grants('DataQuality')).toEqual({
        [`${bucket('silver')}/*`]: ['s3:GetObject'],
        [`${bucket('gold')}/*`]: ['s3:GetObject'],
        // A scoped gate's quarantine counts, and the keys a run deleted (SQL rules' `${rows:…}`).
        [`${bucket('quarantine')}/*`]: ['s3:GetObject'],
        [`${bucket('audit')}/changelog/*`]: ['s3:GetObject'],
        ...Object.fromEntries(
          ['dq_results', 'dq_scores', 'dq_profiles'].map((t) => [
            `${bucket('audit')}/tables/${t}/*`,
            readWrite,
          ]),
        ),
        [`${bucket('audit')}/lineage/*`]: writeLineage,
        [`${bucket('athenaResults')}/engineering/*`]: queryResults,
      });
      const audit = `${config.project}_${env}_audit`;
      expect(
        grantsOf(template, roleIds.DataQuality)
          .filter((g) => g.action === 'glue:UpdateTable' && g.resource.includes(':table/'))
          .map((g) => g.resource.replace(/^.*:table\//, ''))
          .sort(),
      ).toEqual([`${audit}/dq_profiles`, `${audit}/dq_results`, `${audit}/dq_scores`]);
    });

    it('CatalogSync reads run history and scores, and updates only the lake tables’ and persona views’ definitions', async () => {
      const { bucket, template, roleIds, config, project } = await pipeline();
      expect(await s3Grants('CatalogSync')).toEqual({
        [`${bucket('audit')}/tables/*`]: ['s3:GetObject'],
        [`${bucket('athenaResults')}/engineering/*`]: queryResults,
      });
      expect(
        grantsOf(template, roleIds.CatalogSync)
          .filter((g) => g.action === 'glue:UpdateTable' && g.resource.includes(':table/'))
          .map((g) => g.resource.replace(/^.*:table\//, ''))
          .sort(),
      ).toEqual(
        [
          ...['bronze', 'gold', 'silver'].map((s) => `${config.project}_${env}_${s}/*`),
          ...personaDatabases(project.access, {
            database: (persona, schema) =>
              personaDatabaseName(config.project, env, persona, schema),
          }).map((database) => `${database}/*`),
        ].sort(),
      );
    });

    it('RunLock may only put and delete items of the run lock table', async () => {
      const { template, roleIds } = await pipeline();
      const grants = grantsOf(template, roleIds.RunLock).filter(
        (g) => !g.action.startsWith('logs:') && !g.action.startsWith('xray:'),
      );
      const [table] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
      expect(grants.map((g) => `${g.action} ${g.resource}`).sort()).toEqual([
        `dynamodb:DeleteItem <${table}.Arn>`,
        `dynamodb:PutItem <${table}.Arn>`,
        expect.stringMatching(/^kms:Decrypt <import:.*LakeKey/),
      ]);
      expect(grants.find((g) => g.action === 'kms:Decrypt')!.condition).toEqual({
        StringEquals: { 'kms:ViaService': expect.stringMatching(/^dynamodb\..+\.amazonaws\.com$/) },
      });
    });

    it('NotifyFailure may only publish to the failure topic', async () => {
      const { template, roleIds, stack, logicalId } = await pipeline();
      const grants = grantsOf(template, roleIds.NotifyFailure).filter(
        (g) => !g.action.startsWith('logs:') && !g.action.startsWith('xray:'),
      );
      expect(grants.map((g) => `${g.action} ${g.resource}`).sort()).toEqual([
        expect.stringMatching(/^kms:Decrypt <import:.*LakeKey/),
        expect.stringMatching(/^kms:GenerateDataKey <import:.*LakeKey/),
        `sns:Publish <${logicalId(stack.failureTopic)}>`,
      ]);
    });

    it('secrets are readable only by the functions of their source kind', async () => {
      const { template, roleIds, config } = await pipeline();
      const secretsOf = (fn: keyof typeof roleIds) =>
        grantsOf(template, roleIds[fn])
          .filter((g) => g.action === 'secretsmanager:GetSecretValue')
          // Secrets Manager appends six characters to a secret's ARN: a grant must match them.
          .map((g) => /:secret:(.+)-\?{6}$/.exec(g.resource)![1]);
      const expected = (kind: 'rest' | 'warehouse') =>
        Object.values(config.sources).flatMap((s) =>
          s.kind === kind && s.kind === 'rest'
            ? s.secret
              ? [s.secret]
              : []
            : s.kind === kind && s.kind === 'warehouse' && s.connection.secret
              ? [String(s.connection.secret)]
              : [],
        );
      expect(new Set(secretsOf('IngestRest'))).toEqual(new Set(expected('rest')));
      expect(new Set(secretsOf('IngestWarehouse'))).toEqual(new Set(expected('warehouse')));
      for (const fn of [
        'KafkaDrain',
        'IngestLanding',
        'Transform',
        'NotifyFailure',
        'KafkaEvents',
      ] as const) {
        expect(secretsOf(fn), fn).toEqual([]);
      }
    });
  });
});

describe('pipeline stack without an MSK mapping', () => {
  it('creates no event source mapping', async () => {
    const { app, project } = await newApp('dev');
    const sources = Object.fromEntries(
      Object.entries(project.config.sources).map(([name, s]) => [
        name,
        s.kind === 'kafka' ? { ...s, eventSourceMapping: false } : s,
      ]),
    );
    const stacks = createApp(app, { ...project, config: { ...project.config, sources } });
    const assembly = app.synth();
    const template = assembly.getStackByName(stacks.pipeline.stackName).template as {
      Resources: Record<string, Resource>;
    };
    // The landing queue's mapping stays; no MSK topic is mapped.
    expect(
      Object.values(template.Resources).filter(
        (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && 'Topics' in r.Properties,
      ),
    ).toEqual([]);
  });
});

describe('pipeline stack with a privacy key secret', () => {
  it('lets the transform and the data subject erase, and no other function, read the privacy key', async () => {
    const { app, project } = await newApp('dev');
    const config = { ...project.config, privacy: { keySecret: 'medallion/dev/privacy-key' } };
    const stacks = createApp(app, { ...project, config });
    const template = Template.fromStack(stacks.pipeline);
    const stack = stacks.pipeline;
    const readers = Object.entries(stack.functions).filter(([, fn]) =>
      grantsOf(template, stack.getLogicalId(fn.role!.node.defaultChild as never)).some(
        (g) =>
          g.action === 'secretsmanager:GetSecretValue' &&
          g.resource.includes(':secret:medallion/dev/privacy-key-'),
      ),
    );
    // The transform pseudonymizes; the erase logs subjects by keyed hash.
    expect(readers.map(([name]) => name).sort()).toEqual(['DsrErase', 'Transform']);
  });
});

describe('pipeline stack of other sources than the sample’s', () => {
  it('has a state machine per configured source, daily ingesting those and the landing zone, RecordRun reading their runs', async () => {
    const { app, project } = await newApp('dev');
    const sources = {
      fx: project.config.sources.fx!,
      billing_api: oneRestSourceConfig.sources.billing_api!,
    };
    const stacks = createApp(app, { ...project, config: { ...project.config, sources } });
    const template = Template.fromStack(stacks.pipeline);
    const machines = Object.values(
      template.findResources('AWS::StepFunctions::StateMachine') as Record<string, Resource>,
    ).map((m) => m.Properties as { StateMachineName: string; DefinitionString: string });
    expect(machines.map((m) => m.StateMachineName).sort()).toEqual(
      [
        'billing-api-to-bronze',
        'bronze-to-silver',
        'daily',
        'dsr-erase',
        'fx-to-bronze',
        'landing-to-bronze',
        'maintenance',
        'silver-to-gold',
      ].map((j) => `medallion-dev-${j}`),
    );
    const daily = JSON.parse(
      machines.find((m) => m.StateMachineName === 'medallion-dev-daily')!.DefinitionString,
    ) as { States: { IngestSources: { Branches: { StartAt: string }[] } } };
    expect(daily.States.IngestSources.Branches.map((b) => b.StartAt)).toEqual([
      'FxToBronze',
      'BillingApiToBronze',
      'LandingToBronze',
    ]);
    const recordRun = stacks.pipeline.functions.RecordRun.role!;
    const readable = grantsOf(
      template,
      stacks.pipeline.getLogicalId(recordRun.node.defaultChild as never),
    )
      .filter((g) => g.action === 'states:GetExecutionHistory')
      .map((g) => g.resource.replace(/^.*:execution:/, ''));
    expect(readable).toContain('medallion-dev-billing-api-to-bronze:*');
    expect(readable).not.toContain('medallion-dev-crm-to-bronze:*');
  });
});
