/**
 * The platform team's alarms and dashboard, as deployed: generated from the task catalogue, the
 * state machines and the contracts (so a new function, pipeline or dataset is covered without a
 * line of monitoring code), thresholds from config `monitoring`, every alarm to the failure topic
 * with an OK action. cdk-nag runs on every synth of the helper: a finding fails these tests.
 */
import { describe, expect, it } from 'vitest';
import { freshnessMinutes, freshnessSloMinutes } from '../../lambdas/core/contracts/freshness';
import { stateMachineJobsOf } from '../../lambdas/core/orchestration';
import { taskNames, tasks } from '../../lambdas/core/tasks';
import { pascal } from '../../lib/names';
import { synthesize, type Synthesized } from '../helpers/cdk';

type Resource = { Type: string; Properties: Record<string, unknown> };
/** An alarm's properties with its logical id. */
type AlarmResource = Record<string, unknown> & { id: string };

/** Joins an `Fn::Join` of strings and references into text, a reference as `<LogicalId>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(text).join(separator);
  }
  if (v.Ref) return `<${String(v.Ref)}>`;
  if (v['Fn::GetAtt']) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
}

describe.each(['dev', 'prod'])('monitoring (%s)', (env) => {
  const synthesized = () => synthesize(env);
  const prefix = `medallion-${env}`;
  const logicalId = (s: Synthesized, construct: { node: { defaultChild?: unknown } }) =>
    s.stacks.pipeline.getLogicalId(construct.node.defaultChild as never);
  /** Every alarm of the pipeline stack by its name, with its logical id. */
  const alarms = async () => {
    const s = await synthesized();
    return new Map(
      Object.entries(
        s.templates.pipeline.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
      ).map(([id, r]): [string, AlarmResource] => [
        String(r.Properties.AlarmName),
        { ...r.Properties, id },
      ]),
    );
  };
  const alarm = async (name: string) => {
    const found = (await alarms()).get(`${prefix}-${name}`);
    expect(found, `alarm ${prefix}-${name}`).toBeDefined();
    return found!;
  };
  const datasets = async (layer: 'silver' | 'gold') =>
    (await synthesized()).project.contracts.all().filter((c) => c.layer === layer);

  it('alarms on errors, throttles and p99 duration near the timeout of every function of the catalogue', async () => {
    const s = await synthesized();
    const share = s.project.config.monitoring.durationShareOfTimeout;
    for (const task of taskNames) {
      const fn = {
        Name: 'FunctionName',
        Value: { Ref: logicalId(s, s.stacks.pipeline.functions[task]) },
      };
      expect(await alarm(`${task}Errors`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [fn],
        Threshold: 1,
      });
      expect(await alarm(`${task}Throttles`)).toMatchObject({
        MetricName: 'Throttles',
        Dimensions: [fn],
      });
      expect(await alarm(`${task}DurationNearTimeout`)).toMatchObject({
        MetricName: 'Duration',
        ExtendedStatistic: 'p99',
        Dimensions: [fn],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: tasks[task].timeoutSeconds * 1000 * share,
      });
    }
  });

  it('alarms on failed, timed-out and aborted executions of every state machine', async () => {
    const s = await synthesized();
    for (const job of stateMachineJobsOf(s.project.config.sources)) {
      const machine = {
        Name: 'StateMachineArn',
        Value: { Ref: logicalId(s, s.stacks.pipeline.stateMachines[job]!) },
      };
      for (const [end, metric] of [
        ['Failed', 'ExecutionsFailed'],
        ['TimedOut', 'ExecutionsTimedOut'],
        ['Aborted', 'ExecutionsAborted'],
      ])
        expect(await alarm(`${pascal(job)}Executions${end}`)).toMatchObject({
          Namespace: 'AWS/States',
          MetricName: metric,
          Dimensions: [machine],
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
        });
    }
  });

  it("alarms when a gold table's minutes since its last publish pass its contract's freshness SLO, or the probe stops reporting", async () => {
    const s = await synthesized();
    const { defaultFreshnessHours, freshnessProbeMinutes } = s.project.config.monitoring;
    const gold = await datasets('gold');
    expect(gold.length).toBeGreaterThan(0);
    for (const contract of gold) {
      expect(await alarm(`${pascal(contract.id)}Freshness`)).toMatchObject({
        Namespace: prefix,
        MetricName: 'MinutesSincePublish',
        Statistic: 'Maximum',
        Dimensions: [{ Name: 'dataset', Value: contract.id }],
        Period: freshnessProbeMinutes * 60,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: freshnessSloMinutes(contract, defaultFreshnessHours),
        TreatMissingData: 'breaching',
      });
    }
    // fact_orders declares a day; a contract without a freshness SLO gets the default.
    expect(await alarm('GoldFactOrdersFreshness')).toMatchObject({ Threshold: 1440 });
    const undeclared = gold.find((c) => freshnessMinutes(c) === undefined);
    if (undeclared)
      expect(await alarm(`${pascal(undeclared.id)}Freshness`)).toMatchObject({
        Threshold: defaultFreshnessHours * 60,
      });
  });

  it('runs the freshness probe on its schedule', async () => {
    const s = await synthesized();
    const probe = logicalId(s, s.stacks.pipeline.functions.FreshnessProbe);
    const rules = Object.values(
      s.templates.pipeline.findResources('AWS::Events::Rule') as Record<string, Resource>,
    ).filter((r) => JSON.stringify(r.Properties.Targets).includes(`"${probe}"`));
    expect(rules).toHaveLength(1);
    const minutes = s.project.config.monitoring.freshnessProbeMinutes;
    expect(rules[0]!.Properties).toMatchObject({
      ScheduleExpression: `rate(${minutes} minutes)`,
      State: 'ENABLED',
    });
  });

  it('alarms when any function of the catalogue uses its memory near the limit, from its REPORT lines', async () => {
    const s = await synthesized();
    const share = s.project.config.monitoring.memoryNearLimit;
    const filters = Object.values(
      s.templates.pipeline.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>,
    );
    for (const task of taskNames) {
      const fn = s.templates.pipeline.toJSON().Resources[
        logicalId(s, s.stacks.pipeline.functions[task])
      ] as Resource;
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: unknown }).LogGroup;
      const metricName = `MaxMemoryUsedMB-${tasks[task].entry}`;
      const filter = filters.find(
        (f) => JSON.stringify(f.Properties.LogGroupName) === JSON.stringify(logGroup),
      );
      expect(filter, task).toBeDefined();
      expect(filter!.Properties).toMatchObject({
        FilterPattern: expect.stringMatching(
          /^\[type="REPORT", .* maxMemoryUsed, maxMemoryUnit="MB", \.\.\.\]$/,
        ),
        MetricTransformations: [
          {
            MetricNamespace: prefix,
            MetricName: metricName,
            MetricValue: '$maxMemoryUsed',
            Unit: 'Megabytes',
          },
        ],
      });
      expect(await alarm(`${task}MemoryNearLimit`)).toMatchObject({
        Namespace: prefix,
        MetricName: metricName,
        Statistic: 'Maximum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: Math.floor(tasks[task].memoryMb * share),
      });
    }
  });

  it('parses the REPORT line Lambda writes in its text log format, which the functions keep', async () => {
    const s = await synthesized();
    // No function opts into the JSON format, whose REPORT record the filter would not match.
    const functions = Object.values(
      s.templates.pipeline.findResources('AWS::Lambda::Function') as Record<string, Resource>,
    );
    for (const fn of functions)
      expect(
        (fn.Properties.LoggingConfig as { LogFormat?: string } | undefined)?.LogFormat,
      ).not.toBe('JSON');
    const pattern = filterFields(
      String(
        Object.values(
          s.templates.pipeline.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>,
        )[0]!.Properties.FilterPattern,
      ),
    );
    // A REPORT line as Lambda writes it (tab-separated), with init and X-Ray fields after.
    const line =
      'REPORT RequestId: 8fc6f963-411b-58b5-8483-a32130c0f45d\tDuration: 201.67 ms\tBilled Duration: 202 ms\tMemory Size: 512 MB\tMax Memory Used: 481 MB\tInit Duration: 480.25 ms\tXRAY TraceId: 1-61c86fa4-59b3c6d959653c527fd10966\tSegmentId: 107ea78a5750a811\tSampled: true';
    const words = line.split(/\s+/);
    const fields = Object.fromEntries(pattern.map((f, i) => [f.name, words[i]]));
    for (const f of pattern) if (f.equals) expect(fields[f.name], f.name).toBe(f.equals);
    expect(fields.maxMemoryUsed).toBe('481');
    expect(fields.memorySize).toBe('512');
  });

  it('alarms on each layer’s quality gate and on every silver and gold dataset’s score below the configured minimum', async () => {
    const s = await synthesized();
    for (const layer of ['silver', 'gold'])
      expect(await alarm(`${pascal(layer)}QualityGateFailed`)).toMatchObject({
        MetricName: 'QualityGateFailed',
        Dimensions: expect.arrayContaining([{ Name: 'step', Value: `${layer}_quality` }]),
        Threshold: 1,
      });
    const own = [];
    for (const contract of [...(await datasets('silver')), ...(await datasets('gold'))]) {
      if (contract.qualityScoreMin !== undefined) own.push(contract.id);
      expect(await alarm(`${pascal(contract.id)}QualityScore`)).toMatchObject({
        Namespace: prefix,
        MetricName: 'QualityScore',
        Statistic: 'Minimum',
        Dimensions: expect.arrayContaining([
          { Name: 'dataset', Value: contract.id },
          { Name: 'service', Value: tasks.DataQuality.entry },
        ]),
        ComparisonOperator: 'LessThanThreshold',
        Threshold: contract.qualityScoreMin ?? s.project.config.monitoring.qualityScoreMin,
      });
    }
    // revenue_daily holds itself to 100 in its contract; the others take the environment's.
    expect(own).toEqual(['gold.revenue_daily']);
    expect(await alarm('GoldRevenueDailyQualityScore')).toMatchObject({ Threshold: 100 });
  });

  it('alarms on every silver dataset’s quarantine rate and on rows in below their anomaly band', async () => {
    const s = await synthesized();
    const { quarantineRateMax, rowsInBandWidth } = s.project.config.monitoring;
    for (const contract of await datasets('silver')) {
      const rate = await alarm(`${pascal(contract.id)}QuarantineRate`);
      expect(rate).toMatchObject({
        Threshold: quarantineRateMax,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect((rate.Metrics as { Expression?: string }[])[0]!.Expression).toBe(
        'IF(rowsIn > 0, quarantined / rowsIn, 0)',
      );
      const rowsIn = await alarm(`${pascal(contract.id)}RowsIn`);
      expect(rowsIn).toMatchObject({ ComparisonOperator: 'LessThanLowerThreshold' });
      expect(rowsIn.Metrics).toContainEqual(
        expect.objectContaining({ Expression: `ANOMALY_DETECTION_BAND(m0, ${rowsInBandWidth})` }),
      );
    }
  });

  it('alarms on any dead letter and on Athena bytes scanned in a day above the budget', async () => {
    const s = await synthesized();
    expect(await alarm('DeadLetters')).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(s, s.stacks.pipeline.deadLetters), 'QueueName'] },
        },
      ],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
    });
    expect(await alarm('AthenaBytesScanned')).toMatchObject({
      Namespace: 'AWS/Athena',
      MetricName: 'ProcessedBytes',
      Dimensions: [{ Name: 'WorkGroup', Value: `${prefix}-engineering` }],
      Period: 86_400,
      Threshold: s.project.config.monitoring.athenaBytesPerDayMax,
    });
  });

  it('sends every alarm and its recovery to the failure topic', async () => {
    const s = await synthesized();
    const topic = [{ Ref: logicalId(s, s.stacks.pipeline.failureTopic) }];
    const all = [...(await alarms()).values()];
    expect(all.length).toBeGreaterThan(100);
    for (const a of all)
      expect(a, String(a.AlarmName)).toMatchObject({ AlarmActions: topic, OKActions: topic });
  });

  it('lets CloudWatch alarms of this account use the key that encrypts the failure topic', async () => {
    const s = await synthesized();
    const policy = s.templates.storage.findResources('AWS::KMS::Key') as Record<string, Resource>;
    const statements = Object.values(policy).flatMap(
      (k) => (k.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: expect.objectContaining({
          StringEquals: { 'aws:SourceAccount': s.project.config.aws.account },
        }),
      }),
    );
  });

  it('composes "the daily data is late or wrong" from every freshness alarm, both gates and the daily pipeline’s ends', async () => {
    const s = await synthesized();
    const composites = Object.values(
      s.templates.pipeline.findResources('AWS::CloudWatch::CompositeAlarm') as Record<
        string,
        Resource
      >,
    );
    expect(composites).toHaveLength(1);
    const composite = composites[0]!.Properties;
    expect(composite.AlarmName).toBe(`${prefix}-daily-data-late-or-wrong`);
    const topic = [{ Ref: logicalId(s, s.stacks.pipeline.failureTopic) }];
    expect(composite).toMatchObject({ AlarmActions: topic, OKActions: topic });
    const names = [
      ...(await datasets('gold')).map((c) => `${pascal(c.id)}Freshness`),
      'SilverQualityGateFailed',
      'GoldQualityGateFailed',
      'DailyExecutionsFailed',
      'DailyExecutionsTimedOut',
      'DailyExecutionsAborted',
    ];
    const ids = await Promise.all(names.map(async (n) => (await alarm(n)).id));
    expect(text(composite.AlarmRule)).toBe(
      `(${ids.map((id) => `ALARM("<${id}.Arn>")`).join(' OR ')})`,
    );
  });

  it('builds one dashboard with the alarms’ states, runs, rows, quality, freshness and cost drivers', async () => {
    const s = await synthesized();
    const dashboards = Object.values(
      s.templates.pipeline.findResources('AWS::CloudWatch::Dashboard') as Record<string, Resource>,
    );
    expect(dashboards).toHaveLength(1);
    const body = JSON.parse(
      text(dashboards[0]!.Properties.DashboardBody).replace(/<[^>]+>/g, 'ref'),
    ) as {
      widgets: {
        type: string;
        properties: { title: string; alarms?: string[]; metrics?: unknown[] };
      }[];
    };
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Runs per pipeline (succeeded, failed)',
        'Run duration per pipeline (ms)',
        'Rows in per silver dataset',
        'Rows out per gold table',
        'Rows quarantined per silver dataset',
        'Quality score per dataset',
        'Minutes since last publish per gold table (freshness)',
        'Max memory used per function (% of its memory)',
        'Athena bytes scanned per day (engineering)',
        'Lambda duration per function (ms, sum: the compute bill)',
        'Lambda invocations per function',
      ]),
    );
    const statuses = body.widgets.filter((w) => w.type === 'alarm');
    expect(statuses.flatMap((w) => w.properties.alarms)).toHaveLength((await alarms()).size + 1);
    const freshness = body.widgets.find((w) =>
      w.properties.title.startsWith('Minutes since last publish'),
    )!;
    expect(JSON.stringify(freshness.properties.metrics)).toContain('MinutesSincePublish');
    expect(freshness.properties.metrics).toHaveLength((await datasets('gold')).length);
    const quality = body.widgets.find((w) => w.properties.title === 'Quality score per dataset')!;
    expect(quality.properties.metrics).toHaveLength(
      (await datasets('silver')).length + (await datasets('gold')).length,
    );
  });
});

/** The fields of a space-delimited filter pattern, in order, with the value each must equal. */
function filterFields(pattern: string): { name: string; equals?: string }[] {
  return pattern
    .replace(/^\[|\]$/g, '')
    .split(/,\s*/)
    .filter((f) => f !== '...')
    .map((f) => {
      const [name, value] = f.split('=');
      return { name: name!, ...(value ? { equals: JSON.parse(value) as string } : {}) };
    });
}
