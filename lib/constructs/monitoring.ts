import { Duration, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { PlatformConfig } from '../../config/schema';
import { workgroupName } from '../../lambdas/core/aws-names';
import type { Contract, ContractRegistry } from '../../lambdas/core/contracts/contract';
import { freshnessMinutes } from '../../lambdas/core/contracts/freshness';
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
 * dimensions include Powertools' `service` (the function's entry). Memory near the limit has no
 * CloudWatch metric without Lambda Insights (an extension layer and a log ingest per
 * invocation), so it is not alarmed on.
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
    const fresh = this.freshnessAlarms(config, gold);
    this.volumeAlarms(config, silver);
    this.functionAlarms(config, props.functions);
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

  /** Each layer's gate failing, and each dataset's score below `monitoring.qualityScoreMin`; returns the gates'. */
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
    for (const contract of datasets)
      this.alarm(`${pascal(contract.id)}QualityScore`, {
        alarmDescription: `${contract.id}'s quality score fell below ${config.monitoring.qualityScoreMin} (monitoring.qualityScoreMin).`,
        metric: this.emf(
          'QualityScore',
          { service, step: `${contract.layer}_quality`, dataset: contract.id },
          cloudwatch.Stats.MINIMUM,
        ),
        threshold: config.monitoring.qualityScoreMin,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      });
    return gates;
  }

  /** Rows a gold table's build published: one data point per successful build. */
  private publishes(contract: Contract, period: Duration): cloudwatch.Metric {
    return this.emf(
      'RowsOut',
      { service: tasks.Transform.entry, step: buildStep('gold'), dataset: contract.id },
      cloudwatch.Stats.SAMPLE_COUNT,
      period,
    );
  }

  /**
   * Per gold table: no successful build within its contract's freshness SLO (or
   * `monitoring.defaultFreshnessHours`). Hourly periods with missing data breaching, all of the
   * SLO's hours needed to alarm: the alarm fires once the table has gone that long unpublished.
   */
  private freshnessAlarms(config: PlatformConfig, gold: readonly Contract[]): cloudwatch.Alarm[] {
    return gold.map((contract) => {
      const minutes = freshnessMinutes(contract) ?? config.monitoring.defaultFreshnessHours * 60;
      const hours = Math.ceil(minutes / 60);
      return this.alarm(`${pascal(contract.id)}Freshness`, {
        alarmDescription: `${contract.id} has not been published for ${hours} hour(s), its freshness SLO.`,
        metric: this.publishes(contract, Duration.hours(1)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
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
        'Gold publishes per table (freshness)',
        gold.map((c) => this.publishes(c, hour).with({ label: c.id })),
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
    return dashboard;
  }
}
