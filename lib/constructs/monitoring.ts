import { Duration, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { workgroupName } from '../../lambdas/core/aws-names';
import type { Contract, ContractRegistry } from '../../lambdas/core/contracts/contract';
import { freshnessSloMinutes } from '../../lambdas/core/contracts/freshness';
import { minutesSincePublishMetric } from '../../lambdas/core/freshness-probe';
import { buildStep, taskNames, tasks, type TaskName } from '../../lambdas/core/tasks';
import type { ByStateMachine } from '../../lambdas/core/orchestration';
import { pascal } from '../names';

export interface MonitoringProps {
  readonly config: PlatformConfig;
  /** The silver and gold contracts name the datasets watched: one alarm of a kind per dataset. */
  readonly contracts: ContractRegistry;
  readonly functions: Readonly<Record<TaskName, lambda.Function>>;
  readonly stateMachines: ByStateMachine<sfn.StateMachine>;
  /** Where schedules, landing batches and run events go when they cannot be delivered. */
  readonly deadLetters: sqs.IQueue;
  /** Every alarm's and OK's destination: the failure topic, which pages the platform team. */
  readonly topic: sns.ITopic;
}

/** The job whose failure, with a stale gold table or a failed gate, means the daily data is late or wrong. */
const dailyJob = 'daily';

/**
 * The platform's alarms and dashboard, generated from config, the task catalogue and the
 * contracts: a new function, pipeline or dataset gets its alarms without a line here. Datasets'
 * figures are the EMF metrics the functions emit (`lambdas/functions/lambda-handler.ts`), whose
 * dimensions include Powertools' `service` (the function's entry); gold freshness is the
 * freshness probe's `MinutesSincePublish`, published on a schedule set here; memory near the
 * limit comes from the platform's REPORT line in each function's log group, through a metric
 * filter (Lambda publishes no memory metric without Lambda Insights, an extension layer and a
 * second log per invocation).
 */
export class Monitoring extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Freshness OR a failed quality gate OR the daily pipeline ending badly. */
  readonly dailyLateOrWrong: cloudwatch.CompositeAlarm;
  readonly dashboard: cloudwatch.Dashboard;
  /** The functions' EMF namespace (`POWERTOOLS_METRICS_NAMESPACE`) and every alarm's name prefix. */
  private readonly prefix: string;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config, contracts } = props;
    this.prefix = `${config.project}-${config.env}`;
    this.action = new actions.SnsAction(props.topic);
    const silver = contracts.all().filter((c) => c.layer === 'silver');
    const gold = contracts.all().filter((c) => c.layer === 'gold');

    const dailyEnds = this.pipelineAlarms(props);
    const gates = this.qualityAlarms(config, [...silver, ...gold]);
    const fresh = this.freshnessAlarms(config, gold, props.functions.FreshnessProbe);
    this.volumeAlarms(config, silver);
    this.functionAlarms(config, props.functions);
    this.memoryAlarms(config, props.functions);
    this.alarm('DeadLetters', {
      alarmDescription:
        'A schedule, landing batch or run event could not be delivered: see the dead-letter queue.',
      metric: props.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.alarm('AthenaBytesScanned', {
      alarmDescription: `The engineering workgroup's queries scanned more than ${config.monitoring.athenaBytesPerDayMax} bytes in a day (monitoring.athenaBytesPerDayMax).`,
      metric: this.athenaBytes(config),
      threshold: config.monitoring.athenaBytesPerDayMax,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    this.dailyLateOrWrong = new cloudwatch.CompositeAlarm(this, 'DailyLateOrWrong', {
      compositeAlarmName: `${this.prefix}-daily-data-late-or-wrong`,
      alarmDescription:
        'The daily data is late or wrong: a gold table missed its freshness SLO, a quality gate failed, or the daily pipeline failed, timed out or was aborted.',
      alarmRule: cloudwatch.AlarmRule.anyOf(...fresh, ...gates, ...dailyEnds),
      actionsEnabled: true,
    });
    this.dailyLateOrWrong.addAlarmAction(this.action);
    this.dailyLateOrWrong.addOkAction(this.action);
    this.dashboard = this.buildDashboard(props, silver, gold);
  }

  /** An alarm to the topic, named after the environment, with an OK action when it clears. */
  private alarm(
    id: string,
    props: Omit<cloudwatch.AlarmProps, 'evaluationPeriods'> & { evaluationPeriods?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
      alarmName: `${this.prefix}-${id}`,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** An EMF metric of the functions, dimensioned as Powertools publishes it. */
  private emf(
    metricName: string,
    dimensions: Record<string, string>,
    statistic: string,
    period = Duration.minutes(5),
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.prefix,
      metricName,
      dimensionsMap: dimensions,
      statistic,
      period,
    });
  }

  /** Failed, timed out and aborted executions of every state machine; returns the daily job's. */
  private pipelineAlarms({ stateMachines }: MonitoringProps): cloudwatch.Alarm[] {
    const daily: cloudwatch.Alarm[] = [];
    for (const [job, machine] of Object.entries(stateMachines)) {
      const ends = {
        Failed: machine.metricFailed(),
        TimedOut: machine.metricTimedOut(),
        Aborted: machine.metricAborted(),
      };
      for (const [end, metric] of Object.entries(ends)) {
        const alarm = this.alarm(`${pascal(job)}Executions${end}`, {
          alarmDescription: `A ${job} execution ${end === 'TimedOut' ? 'timed out' : end.toLowerCase()}: see its execution history.`,
          metric: metric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
        if (job === dailyJob) daily.push(alarm);
      }
    }
    return daily;
  }

  /**
   * Each layer's gate failing, and each dataset's score below its contract's `qualityScoreMin`
   * (`customProperties`) or else `monitoring.qualityScoreMin`; returns the gates'.
   */
  private qualityAlarms(config: PlatformConfig, datasets: readonly Contract[]): cloudwatch.Alarm[] {
    const service = tasks.DataQuality.entry;
    const gates = (['silver', 'gold'] as const).map((layer) =>
      this.alarm(`${pascal(layer)}QualityGateFailed`, {
        alarmDescription: `The ${layer} quality gate failed: an error check failed, see the run's quality evidence.`,
        metric: this.emf(
          'QualityGateFailed',
          { service, step: `${layer}_quality` },
          cloudwatch.Stats.MAXIMUM,
        ),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      }),
    );
    for (const contract of datasets) {
      const own = contract.qualityScoreMin;
      const threshold = own ?? config.monitoring.qualityScoreMin;
      this.alarm(`${pascal(contract.id)}QualityScore`, {
        alarmDescription: `${contract.id}'s quality score fell below ${threshold} (${own === undefined ? 'monitoring.qualityScoreMin' : "its contract's qualityScoreMin"}).`,
        metric: this.emf(
          'QualityScore',
          { service, step: `${contract.layer}_quality`, dataset: contract.id },
          cloudwatch.Stats.MINIMUM,
        ),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    }
    return gates;
  }

  /** A gold table's minutes since its last publish, as the freshness probe measures it. */
  private minutesSincePublish(contract: Contract, period: Duration): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.prefix,
      metricName: minutesSincePublishMetric,
      dimensionsMap: { dataset: contract.id },
      statistic: cloudwatch.Stats.MAXIMUM,
      period,
    });
  }

  /**
   * Per gold table: its minutes since the last publish above its contract's freshness SLO (or
   * `monitoring.defaultFreshnessHours`). The probe measures every `monitoring.freshnessProbeMinutes`;
   * two periods in a row must breach, and a missing figure breaches, so the alarm also fires when
   * the probe fails or the table was never published, but not on one late probe.
   */
  private freshnessAlarms(
    config: PlatformConfig,
    gold: readonly Contract[],
    probe: lambda.Function,
  ): cloudwatch.Alarm[] {
    const period = Duration.minutes(config.monitoring.freshnessProbeMinutes);
    new events.Rule(this, 'FreshnessProbeSchedule', {
      description: `${this.prefix}: measures every gold table's minutes since its last publish.`,
      schedule: events.Schedule.rate(period),
      // A measure older than the next one is of no use: no retry outlives the period.
      targets: [new targets.LambdaFunction(probe, { retryAttempts: 1, maxEventAge: period })],
    });
    return gold.map((contract) => {
      const minutes = freshnessSloMinutes(contract, config.monitoring.defaultFreshnessHours);
      return this.alarm(`${pascal(contract.id)}Freshness`, {
        alarmDescription: `${contract.id} has not been published for more than ${minutes} minutes, its freshness SLO, or the freshness probe stopped reporting it.`,
        metric: this.minutesSincePublish(contract, period),
        threshold: minutes,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
    });
  }

  /** Per silver dataset: quarantine rate above `monitoring.quarantineRateMax`, rows in below their anomaly band. */
  private volumeAlarms(config: PlatformConfig, silver: readonly Contract[]): void {
    const step = buildStep('silver');
    const service = tasks.Transform.entry;
    for (const contract of silver) {
      const dims = { service, step, dataset: contract.id };
      const period = Duration.hours(1);
      this.alarm(`${pascal(contract.id)}QuarantineRate`, {
        alarmDescription: `${contract.id} quarantined more than ${config.monitoring.quarantineRateMax * 100}% of the rows it read (monitoring.quarantineRateMax).`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(rowsIn > 0, quarantined / rowsIn, 0)',
          usingMetrics: {
            quarantined: this.emf('RowsQuarantined', dims, cloudwatch.Stats.SUM, period),
            rowsIn: this.emf('RowsIn', dims, cloudwatch.Stats.SUM, period),
          },
          period,
          label: `${contract.id} quarantine rate`,
        }),
        threshold: config.monitoring.quarantineRateMax,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
      const alarm = new cloudwatch.AnomalyDetectionAlarm(this, `${pascal(contract.id)}RowsIn`, {
        alarmName: `${this.prefix}-${pascal(contract.id)}RowsIn`,
        alarmDescription: `${contract.id} read fewer rows than its usual band (${config.monitoring.rowsInBandWidth} standard deviations, monitoring.rowsInBandWidth).`,
        metric: this.emf('RowsIn', dims, cloudwatch.Stats.SUM, Duration.days(1)),
        stdDevs: config.monitoring.rowsInBandWidth,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_LOWER_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
      this.alarms.push(alarm);
    }
  }

  /** Per function: errors, throttles, and p99 duration above `monitoring.durationShareOfTimeout` of its timeout. */
  private functionAlarms(
    config: PlatformConfig,
    functions: Readonly<Record<TaskName, lambda.Function>>,
  ): void {
    const share = config.monitoring.durationShareOfTimeout;
    for (const task of taskNames) {
      const fn = functions[task];
      const period = Duration.minutes(5);
      this.alarm(`${task}Errors`, {
        alarmDescription: `The ${tasks[task].entry} function failed an invocation: see its log group.`,
        metric: fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      this.alarm(`${task}Throttles`, {
        alarmDescription: `The ${tasks[task].entry} function was throttled.`,
        metric: fn.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
      this.alarm(`${task}DurationNearTimeout`, {
        alarmDescription: `The ${tasks[task].entry} function's p99 duration passed ${share * 100}% of its ${tasks[task].timeoutSeconds} s timeout (monitoring.durationShareOfTimeout).`,
        metric: fn.metricDuration({ period, statistic: cloudwatch.Stats.p(99) }),
        threshold: tasks[task].timeoutSeconds * 1000 * share,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
  }

  /**
   * Per function: a metric filter on its log group turning each invocation's platform REPORT line
   * into its `Max Memory Used` (MB), and an alarm when it reaches `monitoring.memoryNearLimit` of
   * the function's memory. The functions log in Lambda's text format, whose REPORT line reads
   * `REPORT RequestId: <id> Duration: <n> ms Billed Duration: <n> ms Memory Size: <n> MB Max
   * Memory Used: <n> MB`, then Init Duration and X-Ray fields when present; it is written for an
   * invocation that ran out of memory too, which an EMF metric from the handler could not be.
   * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html
   */
  private memoryAlarms(
    config: PlatformConfig,
    functions: Readonly<Record<TaskName, lambda.Function>>,
  ): void {
    const share = config.monitoring.memoryNearLimit;
    for (const task of taskNames) {
      const { entry, memoryMb } = tasks[task];
      const filter = new logs.MetricFilter(this, `${task}MaxMemoryUsedFilter`, {
        logGroup: functions[task].logGroup,
        filterPattern: reportLine,
        metricNamespace: this.prefix,
        metricName: this.maxMemoryMetricName(task),
        metricValue: '$maxMemoryUsed',
        unit: cloudwatch.Unit.MEGABYTES,
      });
      this.alarm(`${task}MemoryNearLimit`, {
        alarmDescription: `The ${entry} function used ${share * 100}% or more of its ${memoryMb} MB of memory (monitoring.memoryNearLimit): raise memoryMb in lambdas/core/tasks.ts before it runs out.`,
        metric: filter.metric({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: Math.floor(memoryMb * share),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
  }

  /** A function's max memory used per invocation, from its REPORT lines. */
  private maxMemoryMetricName(task: TaskName): string {
    return `MaxMemoryUsedMB-${tasks[task].entry}`;
  }

  /** Bytes the engineering workgroup (the pipeline's queries) scanned in a day. */
  private athenaBytes(config: PlatformConfig): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Athena',
      metricName: 'ProcessedBytes',
      dimensionsMap: { WorkGroup: workgroupName(config.project, config.env, 'engineering') },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.days(1),
    });
  }

  /** The platform team's dashboard: the figures behind the alarms, and the alarms' states. */
  private buildDashboard(
    props: MonitoringProps,
    silver: readonly Contract[],
    gold: readonly Contract[],
  ): cloudwatch.Dashboard {
    const { config, stateMachines, functions } = props;
    const hour = Duration.hours(1);
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []) =>
      new cloudwatch.GraphWidget({ title, left, right, width: 12, height: 6 });
    const machines = Object.entries(stateMachines);
    const rows = (metricName: string, layer: 'silver' | 'gold', datasets: readonly Contract[]) =>
      datasets.map((c) =>
        this.emf(
          metricName,
          { service: tasks.Transform.entry, step: buildStep(layer), dataset: c.id },
          cloudwatch.Stats.SUM,
          hour,
        ).with({ label: c.id }),
      );
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.prefix,
      defaultInterval: Duration.days(7),
    });
    // CDK tags dashboards, but the resource schema of cfn-lint (which CI lints with) has no Tags
    // for one and fails the template; a dashboard's cost is its own line on the bill anyway.
    for (const key of ['project', 'environment']) Tags.of(dashboard).remove(key);
    // An alarm status widget shows at most 100 alarms.
    const statuses: cloudwatch.IAlarm[] = [this.dailyLateOrWrong, ...this.alarms];
    for (let i = 0; i < statuses.length; i += 100)
      dashboard.addWidgets(
        new cloudwatch.AlarmStatusWidget({
          title: `Alarms (${i + 1}–${Math.min(i + 100, statuses.length)} of ${statuses.length})`,
          alarms: statuses.slice(i, i + 100),
          width: 24,
          height: 6,
        }),
      );
    dashboard.addWidgets(
      graph(
        'Runs per pipeline (succeeded, failed)',
        machines.map(([job, m]) => m.metricSucceeded({ period: hour, label: `${job} ok` })),
        machines.map(([job, m]) => m.metricFailed({ period: hour, label: `${job} failed` })),
      ),
      graph(
        'Run duration per pipeline (ms)',
        machines.map(([job, m]) => m.metricTime({ period: hour, label: job })),
      ),
    );
    dashboard.addWidgets(
      graph('Rows in per silver dataset', rows('RowsIn', 'silver', silver)),
      graph('Rows out per gold table', rows('RowsOut', 'gold', gold)),
    );
    dashboard.addWidgets(
      graph('Rows quarantined per silver dataset', rows('RowsQuarantined', 'silver', silver)),
      graph(
        'Quality score per dataset',
        [...silver, ...gold].map((c) =>
          this.emf(
            'QualityScore',
            { service: tasks.DataQuality.entry, step: `${c.layer}_quality`, dataset: c.id },
            cloudwatch.Stats.MINIMUM,
            hour,
          ).with({ label: c.id }),
        ),
      ),
    );
    dashboard.addWidgets(
      graph(
        'Minutes since last publish per gold table (freshness)',
        gold.map((c) => this.minutesSincePublish(c, hour).with({ label: c.id })),
      ),
      graph('Athena bytes scanned per day (engineering)', [this.athenaBytes(config)]),
    );
    dashboard.addWidgets(
      graph(
        'Lambda duration per function (ms, sum: the compute bill)',
        taskNames.map((t) =>
          functions[t].metricDuration({ period: hour, statistic: cloudwatch.Stats.SUM, label: t }),
        ),
      ),
      graph(
        'Lambda invocations per function',
        taskNames.map((t) => functions[t].metricInvocations({ period: hour, label: t })),
      ),
    );
    dashboard.addWidgets(
      graph(
        'Max memory used per function (% of its memory)',
        taskNames.map(
          (t, i) =>
            new cloudwatch.MathExpression({
              // One graph's metric ids must differ: one per function.
              expression: `100 * m${i} / ${tasks[t].memoryMb}`,
              usingMetrics: {
                [`m${i}`]: new cloudwatch.Metric({
                  namespace: this.prefix,
                  metricName: this.maxMemoryMetricName(t),
                  statistic: cloudwatch.Stats.MAXIMUM,
                  period: hour,
                }),
              },
              period: hour,
              label: t,
            }),
        ),
      ),
    );
    return dashboard;
  }
}

/**
 * The platform REPORT line of a text-format log, as a space-delimited filter: its fields up to
 * `Max Memory Used: <n> MB`, then anything (Init Duration, X-Ray ids).
 */
const reportLine = logs.FilterPattern.literal(
  '[type="REPORT", requestIdLabel="RequestId:", requestId, durationLabel="Duration:", duration, durationUnit="ms", billedLabel="Billed", billedDurationLabel="Duration:", billedDuration, billedUnit="ms", memoryLabel="Memory", sizeLabel="Size:", memorySize, memoryUnit="MB", maxLabel="Max", maxMemoryLabel="Memory", usedLabel="Used:", maxMemoryUsed, maxMemoryUnit="MB", ...]',
);
