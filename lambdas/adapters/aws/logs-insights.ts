import {
  GetQueryResultsCommand,
  StartQueryCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { lambdaUsageQuery } from '../../core/cost/advice';
import type { LambdaUsageSource } from '../../core/cost/collect';
import type { LogsInsightsRow } from '../../core/cost/recording';
import type { Period } from '../../core/cost/report';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock } from '../../core/ports';
import { systemClock } from '../system-clock';

export interface LogsInsightsOptions {
  /** The platform functions' log groups: the query reads these only. */
  readonly logGroups: readonly string[];
  /** Wait between GetQueryResults while the query runs. @default 1000 */
  readonly pollMs?: number;
  /** Polls before giving up on a query still running. @default 120 */
  readonly maxPolls?: number;
  /** Attempts of a throttled call, backing off between them. @default 5 */
  readonly maxAttempts?: number;
  /** First wait after a throttled call, doubled after each. @default 1000 */
  readonly backoffMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** One query reads at most 50 log groups. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html */
const logGroupsPerQuery = 50;

/** Query states after which GetQueryResults will never answer with results. */
const failed = new Set(['Failed', 'Cancelled', 'Timeout', 'Unknown']);

/**
 * The platform functions' REPORT lines summed per function by CloudWatch Logs Insights: StartQuery
 * over the log groups (50 at a time), then GetQueryResults until the query is Complete. A query that
 * Failed, was Cancelled or timed out fails the report; one still running after `maxPolls` is
 * transient. Too many concurrent queries (LimitExceededException) or throttling is tried again
 * with exponential backoff.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetQueryResults.html
 */
export class LogsInsightsLambdaUsage implements LambdaUsageSource {
  private readonly clock: Clock;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly options: LogsInsightsOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async usage(period: Period): Promise<LogsInsightsRow[]> {
    const rows: LogsInsightsRow[] = [];
    for (let i = 0; i < this.options.logGroups.length; i += logGroupsPerQuery)
      rows.push(
        ...(await this.query(period, this.options.logGroups.slice(i, i + logGroupsPerQuery))),
      );
    return rows;
  }

  private async query(period: Period, logGroups: readonly string[]): Promise<LogsInsightsRow[]> {
    const { queryId } = await this.call('StartQuery', () =>
      this.client.send(
        new StartQueryCommand({
          logGroupNames: [...logGroups],
          // Seconds since the epoch, both ends inclusive: the period's last second is before `to`.
          startTime: Date.parse(`${period.from}T00:00:00Z`) / 1000,
          endTime: Date.parse(`${period.to}T00:00:00Z`) / 1000 - 1,
          queryString: lambdaUsageQuery,
          limit: 10_000,
        }),
      ),
    );
    if (!queryId) throw new PipelineError('Logs Insights StartQuery returned no queryId');
    const maxPolls = this.options.maxPolls ?? 120;
    for (let poll = 1; poll <= maxPolls; poll++) {
      const answer = await this.call('GetQueryResults', () =>
        this.client.send(new GetQueryResultsCommand({ queryId })),
      );
      if (answer.status === 'Complete')
        return (answer.results ?? []).map((row) =>
          row.map((f) => ({
            ...(f.field !== undefined ? { field: f.field } : {}),
            ...(f.value !== undefined ? { value: f.value } : {}),
          })),
        );
      if (answer.status && failed.has(answer.status))
        throw new PipelineError(
          `Logs Insights query ${queryId} over ${logGroups.length} log groups ended ${answer.status}`,
        );
      await this.clock.sleep(this.options.pollMs ?? 1000);
    }
    throw new TransientError(
      `Logs Insights query ${queryId} was still running after ${maxPolls} polls`,
    );
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const name = (error as Error).name;
        const throttled = name === 'ThrottlingException' || name === 'LimitExceededException';
        if (throttled && attempt < maxAttempts) {
          await this.clock.sleep((this.options.backoffMs ?? 1000) * 2 ** (attempt - 1));
          continue;
        }
        const message = `Logs Insights ${what} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${name}: ${(error as Error).message}`;
        throw throttled
          ? new TransientError(message, { cause: error })
          : new PipelineError(message, { cause: error });
      }
    }
  }
}
