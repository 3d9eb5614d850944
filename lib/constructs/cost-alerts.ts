import { Stack, Tags } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type IConstruct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import type { CostAllocationTag } from '../../lambdas/core/cost/tags';

/**
 * Puts cost allocation tags on a construct and everything in it (`project` and `environment` are
 * on the whole app, `lib/app.ts`).
 */
export function tagCost(scope: IConstruct, tags: Partial<Record<CostAllocationTag, string>>): void {
  for (const [key, value] of Object.entries(tags)) Tags.of(scope).add(key, value);
}

export interface CostAlertsProps {
  readonly config: PlatformConfig;
  /** The lake key, which encrypts the topic (its policy lets the cost services use it). */
  readonly key: kms.IKey;
}

/** Budget alerts: 80 % and 100 % of the monthly budget, spent and forecast. */
const budgetAlerts = [80, 100].flatMap((threshold) =>
  (['ACTUAL', 'FORECASTED'] as const).map((notificationType) => ({ threshold, notificationType })),
);

/**
 * What finance and the platform team hear about cost, on one topic: the weekly report's summary
 * (the cost report function, scheduled by {@link CostAlerts.schedule}), the anomalies Cost Anomaly
 * Detection finds in the platform's tagged cost, and the monthly budget's alerts.
 */
export class CostAlerts extends Construct {
  readonly topic: sns.Topic;
  readonly monitor: ce.CfnAnomalyMonitor;
  readonly budget?: budgets.CfnBudget;

  constructor(scope: Construct, id: string, props: CostAlertsProps) {
    super(scope, id);
    const { config, key } = props;
    const { account, partition } = Stack.of(this);
    const name = `${config.project}-${config.env}`;
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: `${config.project} ${config.env} cost reports and alerts`,
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of config.cost.emails)
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    // Cost Anomaly Detection and AWS Budgets publish as their service principals, for this
    // account's subscriptions and budgets only (the confused deputy).
    // https://docs.aws.amazon.com/cost-management/latest/userguide/ad-SNS.html
    // https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
    const publishers = [
      ['costalerts.amazonaws.com', `arn:${partition}:ce::${account}:anomalysubscription/*`],
      ['budgets.amazonaws.com', `arn:${partition}:budgets::${account}:*`],
    ];
    const policies = publishers.map(([principal, source]) =>
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(principal!)],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': account },
            ArnLike: { 'aws:SourceArn': source },
          },
        }),
      ),
    );

    // A custom monitor over the project's tagged cost: an account has room for one monitor of
    // every service, and the platform shares its account with others.
    // https://docs.aws.amazon.com/cost-management/latest/userguide/getting-started-ad.html
    this.monitor = new ce.CfnAnomalyMonitor(this, 'AnomalyMonitor', {
      monitorName: name,
      monitorType: 'CUSTOM',
      monitorSpecification: JSON.stringify({
        Tags: { Key: 'project', Values: [config.project], MatchOptions: ['EQUALS'] },
      }),
    });
    const subscription = new ce.CfnAnomalySubscription(this, 'AnomalySubscription', {
      subscriptionName: name,
      frequency: 'IMMEDIATE',
      monitorArnList: [this.monitor.attrMonitorArn],
      subscribers: [{ type: 'SNS', address: this.topic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: {
          Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE',
          MatchOptions: ['GREATER_THAN_OR_EQUAL'],
          Values: [String(config.cost.anomalyAlertUsd)],
        },
      }),
    });
    // Cost Anomaly Detection checks it may publish when the subscription is created.
    for (const { policyDependable } of policies)
      if (policyDependable) subscription.node.addDependency(policyDependable);

    const limit = config.cost.monthlyBudgetUsd;
    if (limit !== undefined) {
      this.budget = new budgets.CfnBudget(this, 'MonthlyBudget', {
        budget: {
          budgetName: `${name}-monthly`,
          budgetType: 'COST',
          timeUnit: 'MONTHLY',
          budgetLimit: { amount: limit, unit: 'USD' },
          // The environment's cost: its resources carry both tags (`lib/app.ts`).
          filterExpression: {
            and: [
              { tags: { key: 'project', values: [config.project], matchOptions: ['EQUALS'] } },
              { tags: { key: 'environment', values: [config.env], matchOptions: ['EQUALS'] } },
            ],
          },
        },
        notificationsWithSubscribers: budgetAlerts.map(({ threshold, notificationType }) => ({
          notification: {
            comparisonOperator: 'GREATER_THAN',
            notificationType,
            threshold,
            thresholdType: 'PERCENTAGE',
          },
          subscribers: [{ subscriptionType: 'SNS', address: this.topic.topicArn }],
        })),
      });
      for (const { policyDependable } of policies)
        if (policyDependable) this.budget.node.addDependency(policyDependable);
    }
  }

  /**
   * The cost report function, run weekly on `cost.schedule` and told where its summary goes, whose
   * anomalies it reports and which functions it right-sizes: it may query their log groups with
   * Logs Insights, and no others. Run it on demand with `{"asOf": "YYYY-MM-DD"}` as its payload.
   */
  schedule(fn: lambda.Function, config: PlatformConfig, watched: readonly lambda.Function[]): void {
    fn.addEnvironment('MEDALLION_COST_TOPIC_ARN', this.topic.topicArn);
    fn.addEnvironment('MEDALLION_ANOMALY_MONITOR_ARN', this.monitor.attrMonitorArn);
    const logGroups = watched.map((f) => f.logGroup);
    fn.addEnvironment(
      'MEDALLION_FUNCTION_LOG_GROUPS',
      Stack.of(this).toJsonString(logGroups.map((g) => g.logGroupName)),
    );
    // StartQuery is authorized on each log group; GetQueryResults names no resource type.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['logs:StartQuery'],
        resources: logGroups.map((g) => g.logGroupArn),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['logs:GetQueryResults'], resources: ['*'] }),
    );
    new events.Rule(this, 'WeeklyReport', {
      description: `${config.project} ${config.env}: the weekly cost report.`,
      schedule: events.Schedule.expression(config.cost.schedule),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
    });
    tagCost(this, { component: 'cost-report' });
  }

  /**
   * The cost optimizer function, run weekly on `cost.optimizerSchedule` (before the report, which
   * reads its recording of the same day) and told which functions and state machines to watch for
   * idleness. Run it on demand with `{"asOf": "YYYY-MM-DD"}` as its payload, then the report.
   */
  scheduleOptimizer(
    fn: lambda.Function,
    config: PlatformConfig,
    watched: readonly lambda.Function[],
    stateMachines: readonly sfn.IStateMachine[],
  ): void {
    const stack = Stack.of(this);
    fn.addEnvironment(
      'MEDALLION_WATCHED_FUNCTIONS',
      stack.toJsonString(
        // Not itself: its environment cannot name it, and it runs on schedule.
        watched
          .filter((f) => f !== fn)
          .map((f) => ({
            name: f.functionName,
            memoryMb: (f.node.defaultChild as lambda.CfnFunction).memorySize,
          })),
      ),
    );
    fn.addEnvironment(
      'MEDALLION_STATE_MACHINE_ARNS',
      stack.toJsonString(stateMachines.map((m) => m.stateMachineArn)),
    );
    const rule = new events.Rule(this, 'WeeklyOptimizer', {
      description: `${config.project} ${config.env}: the cost optimizer's recording for the weekly cost report.`,
      schedule: events.Schedule.expression(config.cost.optimizerSchedule),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2 })],
    });
    tagCost(rule, { component: 'cost-optimizer' });
  }
}
