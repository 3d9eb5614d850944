import {
  CostExplorerClient,
  DataUnavailableException,
  GetAnomaliesCommand,
  GetCostAndUsageCommand,
  GetCostForecastCommand,
  LimitExceededException,
} from '@aws-sdk/client-cost-explorer';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CostExplorerCosts } from '../../../lambdas/adapters/aws/cost-explorer';
import { costExplorerIam } from '../../../lambdas/adapters/aws/iam-calls';
import { recordCosts } from '../../../lambdas/core/cost/collect';
import { buildCostReport } from '../../../lambdas/core/cost/report';
import { TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const ce = mockClient(CostExplorerClient);
expectDeclaredCommands('CostExplorerCosts', ce, costExplorerIam.actions);
beforeEach(() => ce.reset());

const monitorArn = 'arn:aws:ce::111111111111:anomalymonitor/abc';
const costs = (clock = new ManualClock()) =>
  new CostExplorerCosts(new CostExplorerClient({ region: 'us-east-1' }), {
    monitorArn,
    clock,
    maxAttempts: 3,
    backoffMs: 500,
  });
const period = { from: '2026-02-09', to: '2026-03-16' };
const usd = (amount: string) => ({
  UnblendedCost: { Amount: amount, Unit: 'USD' },
  AmortizedCost: { Amount: amount, Unit: 'USD' },
});
const throttled = () => new LimitExceededException({ message: 'Rate exceeded', $metadata: {} });

describe('CostExplorerCosts', () => {
  it('asks for daily unblended and amortized cost and follows NextPageToken to the last page', async () => {
    ce.on(GetCostAndUsageCommand)
      .resolvesOnce({
        ResultsByTime: [
          {
            TimePeriod: { Start: '2026-03-01', End: '2026-03-02' },
            Groups: [{ Keys: ['AWS Lambda'], Metrics: usd('1') }],
          },
        ],
        NextPageToken: 'page-2',
      })
      .resolvesOnce({
        ResultsByTime: [
          {
            TimePeriod: { Start: '2026-03-02', End: '2026-03-03' },
            Groups: [{ Keys: ['AWS Lambda'], Metrics: usd('2') }],
          },
        ],
        NextPageToken: 'page-3',
      })
      .resolvesOnce({ ResultsByTime: [] });
    const pages = await costs().costAndUsage(period, { type: 'TAG', key: 'pipeline' });
    expect(pages).toHaveLength(3);
    const inputs = ce.commandCalls(GetCostAndUsageCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      TimePeriod: { Start: '2026-02-09', End: '2026-03-16' },
      Granularity: 'DAILY',
      Metrics: ['UnblendedCost', 'AmortizedCost'],
      GroupBy: [{ Type: 'TAG', Key: 'pipeline' }],
    });
    expect(inputs.map((i) => i.NextPageToken)).toEqual([undefined, 'page-2', 'page-3']);
  });

  it('tries a throttled call again, waiting longer each time', async () => {
    ce.on(GetCostAndUsageCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolvesOnce({ ResultsByTime: [] });
    const clock = new ManualClock();
    expect(await costs(clock).costAndUsage(period, { type: 'DIMENSION', key: 'SERVICE' })).toEqual([
      { ResultsByTime: [] },
    ]);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('gives up on a call still throttled after its attempts, as a transient failure', async () => {
    ce.on(GetCostAndUsageCommand).rejects(throttled());
    const failure = costs().costAndUsage(period, { type: 'DIMENSION', key: 'SERVICE' });
    await expect(failure).rejects.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toThrow(
      'Cost Explorer GetCostAndUsage by SERVICE failed after 3 attempts: LimitExceededException: Rate exceeded',
    );
    expect(ce.commandCalls(GetCostAndUsageCommand)).toHaveLength(3);
  });

  it('fails at once on an error that waiting does not cure', async () => {
    ce.on(GetCostAndUsageCommand).rejects(
      Object.assign(new Error('Tag key is not active'), { name: 'ValidationException' }),
    );
    const failure = costs().costAndUsage(period, { type: 'TAG', key: 'layer' });
    await expect(failure).rejects.toThrow(
      'Cost Explorer GetCostAndUsage by layer failed: ValidationException: Tag key is not active',
    );
    await expect(failure).rejects.not.toBeInstanceOf(TransientError);
  });

  it('forecasts the rest of the month, and reports no forecast when Cost Explorer has too little history', async () => {
    ce.on(GetCostForecastCommand)
      .resolvesOnce({ Total: { Amount: '8.25', Unit: 'USD' } })
      .rejectsOnce(
        new DataUnavailableException({
          message: 'Insufficient amount of historical data',
          $metadata: {},
        }),
      );
    const rest = { from: '2026-03-16', to: '2026-04-01' };
    expect(await costs().forecast(rest)).toEqual({ Total: { Amount: '8.25', Unit: 'USD' } });
    expect(await costs().forecast(rest)).toBeUndefined();
    expect(ce.commandCalls(GetCostForecastCommand)[0]!.args[0].input).toEqual({
      TimePeriod: { Start: '2026-03-16', End: '2026-04-01' },
      Granularity: 'MONTHLY',
      Metric: 'UNBLENDED_COST',
    });
  });

  it("reads every page of the monitor's anomalies", async () => {
    ce.on(GetAnomaliesCommand)
      .resolvesOnce({
        Anomalies: [
          {
            AnomalyId: 'a',
            AnomalyEndDate: '2026-03-10',
            AnomalyScore: { MaxScore: 1, CurrentScore: 1 },
            Impact: { MaxImpact: 1 },
            MonitorArn: monitorArn,
          },
        ],
        NextPageToken: 'next',
      })
      .resolvesOnce({ Anomalies: [] });
    const pages = await costs().anomalies('2026-02-09', '2026-03-15');
    expect(pages.flatMap((p) => p.Anomalies!).map((a) => a.AnomalyId)).toEqual(['a']);
    expect(ce.commandCalls(GetAnomaliesCommand).map((c) => c.args[0].input)).toEqual([
      { MonitorArn: monitorArn, DateInterval: { StartDate: '2026-02-09', EndDate: '2026-03-15' } },
      {
        MonitorArn: monitorArn,
        DateInterval: { StartDate: '2026-02-09', EndDate: '2026-03-15' },
        NextPageToken: 'next',
      },
    ]);
  });
});

describe('a report recorded from Cost Explorer', () => {
  it('covers empty periods and tag groups without a value', async () => {
    ce.on(GetCostAndUsageCommand, { GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }] }).resolves({
      // Cost Explorer answers a day with nothing billed with no groups at all.
      ResultsByTime: [
        { TimePeriod: { Start: '2026-03-09', End: '2026-03-10' }, Groups: [], Total: {} },
        {
          TimePeriod: { Start: '2026-03-10', End: '2026-03-11' },
          Groups: [{ Keys: ['AWS Lambda'], Metrics: usd('4') }],
        },
      ],
    });
    ce.on(GetCostAndUsageCommand, { GroupBy: [{ Type: 'TAG', Key: 'pipeline' }] }).resolves({
      ResultsByTime: [
        {
          TimePeriod: { Start: '2026-03-10', End: '2026-03-11' },
          Groups: [
            { Keys: ['pipeline$'], Metrics: usd('3') },
            { Keys: ['pipeline$daily'], Metrics: usd('1') },
          ],
        },
      ],
    });
    ce.on(GetCostForecastCommand).resolves({ Total: { Amount: '6', Unit: 'USD' } });
    ce.on(GetAnomaliesCommand).resolves({ Anomalies: [] });
    const recording = await recordCosts(
      { costs: costs(), runs: { usage: async () => [] } },
      { asOf: '2026-03-16', env: 'dev', tags: ['pipeline'] },
    );
    const report = buildCostReport(recording);
    expect(report.monthToDate.unblended).toBe(4);
    expect(report.monthForecast).toBe(10);
    expect(report.untagged).toEqual([{ tag: 'pipeline', cost: 3, share: 75 }]);
    expect(report.daily.find((d) => d.date === '2026-03-09')!.services).toEqual({});
    expect(ce.commandCalls(GetCostForecastCommand)[0]!.args[0].input.TimePeriod).toEqual({
      Start: '2026-03-16',
      End: '2026-04-01',
    });
  });

  it('asks for no forecast once the month is over', async () => {
    ce.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [] });
    ce.on(GetAnomaliesCommand).resolves({});
    const recording = await recordCosts(
      { costs: costs(), runs: { usage: async () => [] } },
      { asOf: '2026-04-01', env: 'dev', tags: [] },
    );
    expect(recording.forecast).toBeUndefined();
    expect(ce.commandCalls(GetCostForecastCommand)).toHaveLength(0);
    expect(buildCostReport(recording).monthForecast).toBe(0);
  });
});
