import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  LimitExceededException,
  MalformedQueryException,
  StartQueryCommand,
  ThrottlingException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { logsInsightsIam } from '../../../lambdas/adapters/aws/iam-calls';
import { LogsInsightsLambdaUsage } from '../../../lambdas/adapters/aws/logs-insights';
import { lambdaUsageQuery } from '../../../lambdas/core/cost/advice';
import { PipelineError, TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const logs = mockClient(CloudWatchLogsClient);
expectDeclaredCommands('LogsInsightsLambdaUsage', logs, logsInsightsIam.actions);
beforeEach(() => logs.reset());

const period = { from: '2026-11-16', to: '2026-11-23' };
const result = [
  [
    { field: '@log', value: '111122223333:/aws/lambda/medallion-prod-Transform' },
    { field: 'invocations', value: '1680' },
  ],
];
const usage = (logGroups: string[], clock = new ManualClock()) =>
  new LogsInsightsLambdaUsage(new CloudWatchLogsClient({ region: 'eu-west-1' }), {
    logGroups,
    clock,
    pollMs: 2000,
    maxPolls: 3,
    maxAttempts: 3,
    backoffMs: 500,
  });

describe('LogsInsightsLambdaUsage', () => {
  it("queries the function log groups over the period's seconds and polls until the query is Complete", async () => {
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Scheduled' })
      .resolvesOnce({ status: 'Running', results: [] })
      .resolvesOnce({ status: 'Complete', results: result });
    const clock = new ManualClock();
    expect(await usage(['/aws/lambda/a', '/aws/lambda/b'], clock).usage(period)).toEqual(result);
    expect(logs.commandCalls(StartQueryCommand)[0]!.args[0].input).toEqual({
      logGroupNames: ['/aws/lambda/a', '/aws/lambda/b'],
      startTime: Date.parse('2026-11-16T00:00:00Z') / 1000,
      endTime: Date.parse('2026-11-23T00:00:00Z') / 1000 - 1,
      queryString: lambdaUsageQuery,
      limit: 10_000,
    });
    expect(logs.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({ queryId: 'q-1' }),
    );
    expect(clock.sleeps).toEqual([2000, 2000]);
  });

  it('queries 50 log groups at a time, the most one query reads, and joins the rows', async () => {
    const groups = Array.from({ length: 51 }, (_, i) => `/aws/lambda/f${i}`);
    logs.on(StartQueryCommand).resolvesOnce({ queryId: 'q-1' }).resolvesOnce({ queryId: 'q-2' });
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Complete', results: result })
      .resolvesOnce({ status: 'Complete', results: result });
    expect(await usage(groups).usage(period)).toHaveLength(2);
    expect(
      logs.commandCalls(StartQueryCommand).map((c) => c.args[0].input.logGroupNames!.length),
    ).toEqual([50, 1]);
  });

  it.each(['Failed', 'Cancelled', 'Timeout'] as const)(
    'fails the report when the query ended %s',
    async (status) => {
      logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
      logs.on(GetQueryResultsCommand).resolves({ status });
      const failure = usage(['/aws/lambda/a']).usage(period);
      await expect(failure).rejects.toThrow(
        `Logs Insights query q-1 over 1 log groups ended ${status}`,
      );
      await expect(failure).rejects.not.toBeInstanceOf(TransientError);
    },
  );

  it('gives up as transient on a query still running after the last poll', async () => {
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    const failure = usage(['/aws/lambda/a']).usage(period);
    await expect(failure).rejects.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toThrow('still running after 3 polls');
  });

  it('tries a throttled call or one over the concurrent query limit again, backing off', async () => {
    logs
      .on(StartQueryCommand)
      .rejectsOnce(new LimitExceededException({ message: 'too many queries', $metadata: {} }))
      .resolves({ queryId: 'q-1' });
    logs
      .on(GetQueryResultsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ status: 'Complete', results: [] });
    const clock = new ManualClock();
    expect(await usage(['/aws/lambda/a'], clock).usage(period)).toEqual([]);
    expect(clock.sleeps).toEqual([500, 500]);
  });

  it('fails as transient after the last throttled attempt, and at once on a malformed query', async () => {
    logs
      .on(StartQueryCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const clock = new ManualClock();
    const throttled = usage(['/aws/lambda/a'], clock).usage(period);
    await expect(throttled).rejects.toBeInstanceOf(TransientError);
    await expect(throttled).rejects.toThrow(
      'Logs Insights StartQuery failed after 3 attempts: ThrottlingException: Rate exceeded',
    );
    expect(clock.sleeps).toEqual([500, 1000]);
    logs
      .on(StartQueryCommand)
      .rejects(new MalformedQueryException({ message: 'unexpected symbol', $metadata: {} }));
    const malformed = usage(['/aws/lambda/a']).usage(period);
    await expect(malformed).rejects.toBeInstanceOf(PipelineError);
    await expect(malformed).rejects.not.toBeInstanceOf(TransientError);
  });
});
