import { Match } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../helpers/cdk';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The weekly cost report, cost anomaly alerts, the budget and the cost allocation tags, as deployed. */
describe.each(['dev', 'prod'])('cost reporting (%s)', (env) => {
  const synthesized = () => synthesize(env);
  const resources = async (stack: 'pipeline' | 'storage', type: string) =>
    Object.entries(
      (await synthesized()).templates[stack].findResources(type) as Record<string, Resource>,
    );
  /** The only resource of a type in a stack, with its logical id. */
  const only = async (stack: 'pipeline' | 'storage', type: string, prefix = '') => {
    const found = (await resources(stack, type)).filter(([id]) => id.startsWith(prefix));
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };
  const tagsOf = (resource: Resource) =>
    Object.fromEntries(
      ((resource.Properties.Tags ?? []) as { Key: string; Value: string }[]).map((t) => [
        t.Key,
        t.Value,
      ]),
    );

  it('runs the cost report function on the schedule config gives it', async () => {
    const { project, stacks, templates } = await synthesized();
    const fnId = stacks.pipeline.getLogicalId(
      stacks.pipeline.functions.CostReport.node.defaultChild as never,
    );
    templates.pipeline.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: project.config.cost.schedule,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    templates.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MEDALLION_COST_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^CostTopic') },
          MEDALLION_ANOMALY_MONITOR_ARN: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^CostAnomalyMonitor'), 'MonitorArn'],
          },
        }),
      },
    });
  });

  it("grants the report Cost Explorer's read actions on * and nothing else of Cost Explorer", async () => {
    const { stacks, templates } = await synthesized();
    const roleId = stacks.pipeline.getLogicalId(
      stacks.pipeline.functions.CostReport.role!.node.defaultChild as never,
    );
    const statements = Object.values(
      templates.pipeline.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }) as Record<string, Resource>,
    ).flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement,
    );
    const ce = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('ce:')));
    expect(ce.map((s) => s.Resource)).toEqual(ce.map(() => '*'));
    expect(
      ce
        .flatMap((s) => [s.Action].flat())
        .filter((a) => a.startsWith('ce:'))
        .sort(),
    ).toEqual(['ce:GetAnomalies', 'ce:GetCostAndUsage', 'ce:GetCostForecast']);
    // No other function may read the bill.
    const others = (await resources('pipeline', 'AWS::IAM::Policy')).filter(
      ([, p]) => !JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    expect(JSON.stringify(others)).not.toContain('"ce:');
  });

  it("lets the report query every platform function's log group and no other, and read Cost Optimization Hub", async () => {
    const { stacks, templates } = await synthesized();
    const { functions } = stacks.pipeline;
    const roleId = stacks.pipeline.getLogicalId(
      functions.CostReport.role!.node.defaultChild as never,
    );
    const statements = Object.values(
      templates.pipeline.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }) as Record<string, Resource>,
    ).flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement,
    );
    const granted = (action: string) =>
      statements
        .filter((s) => [s.Action].flat().includes(action))
        .flatMap((s) => [s.Resource].flat());
    const logGroupIds = Object.values(functions).map((fn) =>
      stacks.pipeline.getLogicalId((fn as lambda.Function).logGroup.node.defaultChild as never),
    );
    // In any order: CDK merges statements and sorts their resources.
    expect(
      granted('logs:StartQuery')
        .map((r) => JSON.stringify(r))
        .sort(),
    ).toEqual(logGroupIds.map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })).sort());
    expect(granted('logs:GetQueryResults')).toEqual(['*']);
    expect(granted('cost-optimization-hub:ListRecommendations')).toEqual(['*']);
    const fn = templates.pipeline.findResources('AWS::Lambda::Function')[
      stacks.pipeline.getLogicalId(functions.CostReport.node.defaultChild as never)
    ] as Resource;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const logGroups = JSON.stringify(variables.MEDALLION_FUNCTION_LOG_GROUPS);
    for (const id of logGroupIds) expect(logGroups).toContain(`"Ref":"${id}"`);
  });

  it('runs the cost optimizer before the report, with only the permissions it uses', async () => {
    const { project, stacks, templates } = await synthesized();
    const { functions, stateMachines } = stacks.pipeline;
    const fnId = stacks.pipeline.getLogicalId(functions.CostOptimizer.node.defaultChild as never);
    templates.pipeline.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: project.config.cost.optimizerSchedule,
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    const fn = templates.pipeline.findResources('AWS::Lambda::Function')[fnId] as Resource;
    expect(tagsOf(fn)).toMatchObject({ component: 'cost-optimizer' });
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const watched = JSON.stringify(variables.MEDALLION_WATCHED_FUNCTIONS);
    for (const other of Object.values(functions).filter((f) => f !== functions.CostOptimizer))
      expect(watched).toContain(
        `"Ref":"${stacks.pipeline.getLogicalId(other.node.defaultChild as never)}"`,
      );
    expect(watched).not.toContain(`"Ref":"${fnId}"`);
    const machines = JSON.stringify(variables.MEDALLION_STATE_MACHINE_ARNS);
    for (const machine of Object.values(stateMachines))
      expect(machines).toContain(
        `"Ref":"${stacks.pipeline.getLogicalId(machine.node.defaultChild as never)}"`,
      );

    const roleId = stacks.pipeline.getLogicalId(
      functions.CostOptimizer.role!.node.defaultChild as never,
    );
    const statements = Object.values(
      templates.pipeline.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: roleId }] },
      }) as Record<string, Resource>,
    ).flatMap(
      (p) =>
        (
          p.Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement,
    );
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(
      [
        'cloudwatch:GetMetricData',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        's3:AbortMultipartUpload',
        's3:GetLifecycleConfiguration',
        's3:PutObject',
        // Its own log group and tracing, as every function.
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    const granted = (action: string) =>
      statements
        .filter((s) => [s.Action].flat().includes(action))
        .flatMap((s) => [s.Resource].flat());
    expect(granted('cloudwatch:GetMetricData')).toEqual(['*']);
    // Every lake bucket of the Storage stack, by its imported ARN.
    expect(granted('s3:GetLifecycleConfiguration')).toHaveLength(
      Object.keys(project.config.storage.lifecycle).length - 1,
    );
    expect(JSON.stringify(granted('s3:PutObject'))).toContain('/cost/*/recording/*');
  });

  it("watches the project's tagged cost for anomalies and alerts the cost topic above the configured impact", async () => {
    const { project, templates } = await synthesized();
    const { config } = project;
    templates.pipeline.hasResourceProperties('AWS::CE::AnomalyMonitor', {
      MonitorName: `${config.project}-${config.env}`,
      MonitorType: 'CUSTOM',
      MonitorSpecification: JSON.stringify({
        Tags: { Key: 'project', Values: [config.project], MatchOptions: ['EQUALS'] },
      }),
    });
    const [, subscription] = await only('pipeline', 'AWS::CE::AnomalySubscription');
    expect(subscription.Properties).toMatchObject({
      Frequency: 'IMMEDIATE',
      MonitorArnList: [
        { 'Fn::GetAtt': [expect.stringMatching(/^CostAnomalyMonitor/), 'MonitorArn'] },
      ],
      Subscribers: [{ Type: 'SNS', Address: { Ref: expect.stringMatching(/^CostTopic/) } }],
    });
    expect(JSON.parse(subscription.Properties.ThresholdExpression as string)).toEqual({
      Dimensions: {
        Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE',
        MatchOptions: ['GREATER_THAN_OR_EQUAL'],
        Values: [String(config.cost.anomalyAlertUsd)],
      },
    });
  });

  it('lets Cost Anomaly Detection and AWS Budgets publish to the cost topic before alerting it', async () => {
    const { templates } = await synthesized();
    const [policyId, policy] = await only('pipeline', 'AWS::SNS::TopicPolicy', 'CostTopic');
    const principals = (
      policy.Properties.PolicyDocument as { Statement: { Principal?: { Service?: string } }[] }
    ).Statement.map((s) => s.Principal?.Service);
    expect(principals).toEqual(
      expect.arrayContaining(['costalerts.amazonaws.com', 'budgets.amazonaws.com']),
    );
    for (const type of ['AWS::CE::AnomalySubscription', 'AWS::Budgets::Budget'])
      for (const [, resource] of Object.entries(
        templates.pipeline.findResources(type) as Record<string, { DependsOn?: string[] }>,
      ))
        expect(resource.DependsOn, type).toContain(policyId);
  });

  it("budgets the environment's tagged cost monthly, alerting at 80 % and 100 %, actual and forecast", async () => {
    const { project } = await synthesized();
    const { config } = project;
    const [, budget] = await only('pipeline', 'AWS::Budgets::Budget');
    expect(budget.Properties.Budget).toEqual({
      BudgetName: `${config.project}-${config.env}-monthly`,
      BudgetType: 'COST',
      TimeUnit: 'MONTHLY',
      BudgetLimit: { Amount: config.cost.monthlyBudgetUsd, Unit: 'USD' },
      FilterExpression: {
        And: [
          { Tags: { Key: 'project', Values: [config.project], MatchOptions: ['EQUALS'] } },
          { Tags: { Key: 'environment', Values: [config.env], MatchOptions: ['EQUALS'] } },
        ],
      },
    });
    const alerts = (
      budget.Properties.NotificationsWithSubscribers as {
        Notification: { NotificationType: string; Threshold: number; ComparisonOperator: string };
        Subscribers: unknown[];
      }[]
    ).map((n) => `${n.Notification.NotificationType} ${n.Notification.Threshold}`);
    expect(alerts.sort()).toEqual(['ACTUAL 100', 'ACTUAL 80', 'FORECASTED 100', 'FORECASTED 80']);
  });

  it('subscribes the addresses config lists to the cost topic', async () => {
    const { project } = await synthesized();
    const emails = (await resources('pipeline', 'AWS::SNS::Subscription'))
      .filter(([, s]) => JSON.stringify(s.Properties.TopicArn).includes('CostTopic'))
      .map(([, s]) => s.Properties.Endpoint);
    expect(emails).toEqual(project.config.cost.emails);
  });

  it('tags buckets with their layer, functions with their component and state machines with their pipeline', async () => {
    const buckets = Object.fromEntries(
      (await resources('storage', 'AWS::S3::Bucket')).map(([id, b]) => [
        id.replace(/Bucket.*$/, ''),
        tagsOf(b),
      ]),
    );
    expect(buckets).toMatchObject({
      Bronze: { layer: 'bronze', project: 'medallion', environment: env },
      Gold: { layer: 'gold' },
      Quarantine: { layer: 'quarantine' },
      Reports: { component: 'reports' },
      AccessLogs: { component: 'accessLogs' },
    });
    const functions = (await resources('pipeline', 'AWS::Lambda::Function')).map(([, f]) =>
      tagsOf(f),
    );
    expect(functions).toContainEqual(expect.objectContaining({ component: 'transform' }));
    expect(functions).toContainEqual(expect.objectContaining({ component: 'cost-report' }));
    expect(functions).toContainEqual(expect.objectContaining({ component: 'cost-optimizer' }));
    const machines = (await resources('pipeline', 'AWS::StepFunctions::StateMachine')).map(
      ([, m]) => tagsOf(m).pipeline,
    );
    expect(machines).toContain('daily');
    expect(machines).toContain('maintenance');
  });
});
