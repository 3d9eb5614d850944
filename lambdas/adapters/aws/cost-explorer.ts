import {
  GetAnomaliesCommand,
  GetCostAndUsageCommand,
  GetCostForecastCommand,
  type CostExplorerClient,
} from '@aws-sdk/client-cost-explorer';
import type { CostExplorerSource, CostGrouping } from '../../core/cost/collect';
import type {
  AnomaliesPage,
  CostAndUsagePage,
  CostForecastResponse,
} from '../../core/cost/recording';
import { costMetrics, type Period } from '../../core/cost/report';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock } from '../../core/ports';
import { systemClock } from '../system-clock';

export interface CostExplorerOptions {
  /** The stack's anomaly monitor: only its anomalies are reported. */
  readonly monitorArn: string;
  /** Attempts of a call Cost Explorer throttles, backing off between them. @default 5 */
  readonly maxAttempts?: number;
  /** First wait after a throttled call, doubled after each. @default 1000 */
  readonly backoffMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * Cost Explorer's answers, every page: GetCostAndUsage and GetAnomalies return a NextPageToken
 * while more remains, and the SDK has no paginator for GetCostAndUsage. Cost Explorer allows a
 * few requests per second per account and answers more with LimitExceededException: such a call
 * is tried again with exponential backoff (after the SDK's own retries), then fails as transient.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_GetCostAndUsage.html
 */
export class CostExplorerCosts implements CostExplorerSource {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly client: CostExplorerClient,
    private readonly options: CostExplorerOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.backoffMs = options.backoffMs ?? 1000;
    this.clock = options.clock ?? systemClock;
  }

  async costAndUsage(period: Period, groupBy: CostGrouping): Promise<CostAndUsagePage[]> {
    const pages: CostAndUsagePage[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(`GetCostAndUsage by ${groupBy.key}`, () =>
        this.client.send(
          new GetCostAndUsageCommand({
            TimePeriod: { Start: period.from, End: period.to },
            Granularity: 'DAILY',
            Metrics: [...costMetrics],
            GroupBy: [{ Type: groupBy.type, Key: groupBy.key }],
            ...(token ? { NextPageToken: token } : {}),
          }),
        ),
      );
      pages.push({
        ...(page.ResultsByTime ? { ResultsByTime: page.ResultsByTime } : {}),
        ...(page.NextPageToken ? { NextPageToken: page.NextPageToken } : {}),
      });
      token = page.NextPageToken;
    } while (token);
    return pages;
  }

  async forecast(period: Period): Promise<CostForecastResponse | undefined> {
    try {
      const answer = await this.call('GetCostForecast', () =>
        this.client.send(
          new GetCostForecastCommand({
            TimePeriod: { Start: period.from, End: period.to },
            Granularity: 'MONTHLY',
            Metric: 'UNBLENDED_COST',
          }),
        ),
      );
      return answer.Total ? { Total: answer.Total } : undefined;
    } catch (error) {
      // A new account or a month with too little history: the report says so instead.
      if (
        (error as Error).cause instanceof Error &&
        (error as Error & { cause: Error }).cause.name === 'DataUnavailableException'
      )
        return undefined;
      throw error;
    }
  }

  async anomalies(from: string, to: string): Promise<AnomaliesPage[]> {
    const pages: AnomaliesPage[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('GetAnomalies', () =>
        this.client.send(
          new GetAnomaliesCommand({
            MonitorArn: this.options.monitorArn,
            DateInterval: { StartDate: from, EndDate: to },
            ...(token ? { NextPageToken: token } : {}),
          }),
        ),
      );
      pages.push({
        Anomalies: page.Anomalies ?? [],
        ...(page.NextPageToken ? { NextPageToken: page.NextPageToken } : {}),
      });
      token = page.NextPageToken;
    } while (token);
    return pages;
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'LimitExceededException' && attempt < this.maxAttempts) {
          await this.clock.sleep(this.backoffMs * 2 ** (attempt - 1));
          continue;
        }
        const message = `Cost Explorer ${what} failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${name}: ${(error as Error).message}`;
        throw name === 'LimitExceededException'
          ? new TransientError(message, { cause: error })
          : new PipelineError(message, { cause: error });
      }
    }
  }
}
