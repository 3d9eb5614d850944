import {
  ListRecommendationsCommand,
  type CostOptimizationHubClient,
} from '@aws-sdk/client-cost-optimization-hub';
import type { OptimizationHubSource } from '../../core/cost/collect';
import type { HubPage, HubRecording } from '../../core/cost/recording';
import { PipelineError, TransientError } from '../../core/errors';
import type { Clock } from '../../core/ports';
import { systemClock } from '../system-clock';

export interface CostOptimizationHubOptions {
  /** Only recommendations for resources with this `project` tag: the account may hold others. */
  readonly project: string;
  /** Attempts of a throttled call, backing off between them. @default 5 */
  readonly maxAttempts?: number;
  /** First wait after a throttled call, doubled after each. @default 1000 */
  readonly backoffMs?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * Cost Optimization Hub's recommendations for the project's resources, every page (nextToken). An
 * account that has not opted in answers AccessDeniedException: the report notes it instead of
 * failing, as Cost Optimization Hub is an opt-in the platform does not make for the account.
 * https://docs.aws.amazon.com/cost-management/latest/userguide/coh-getting-started.html
 * https://docs.aws.amazon.com/cost-optimization-hub/latest/APIReference/API_ListRecommendations.html
 */
export class CostOptimizationHubRecommendations implements OptimizationHubSource {
  private readonly clock: Clock;

  constructor(
    private readonly client: CostOptimizationHubClient,
    private readonly options: CostOptimizationHubOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async recommendations(): Promise<HubRecording> {
    const pages: HubPage[] = [];
    let token: string | undefined;
    do {
      const page = await this.list(token);
      if ('unavailable' in page) return page;
      pages.push({
        items: (page.items ?? []).map((r) => ({
          ...(r.recommendationId ? { recommendationId: r.recommendationId } : {}),
          ...(r.resourceId ? { resourceId: r.resourceId } : {}),
          ...(r.region ? { region: r.region } : {}),
          ...(r.actionType ? { actionType: r.actionType } : {}),
          ...(r.currentResourceType ? { currentResourceType: r.currentResourceType } : {}),
          ...(r.currentResourceSummary ? { currentResourceSummary: r.currentResourceSummary } : {}),
          ...(r.recommendedResourceSummary
            ? { recommendedResourceSummary: r.recommendedResourceSummary }
            : {}),
          ...(r.estimatedMonthlySavings !== undefined
            ? { estimatedMonthlySavings: r.estimatedMonthlySavings }
            : {}),
          ...(r.currencyCode ? { currencyCode: r.currencyCode } : {}),
          ...(r.implementationEffort ? { implementationEffort: r.implementationEffort } : {}),
        })),
        ...(page.nextToken ? { nextToken: page.nextToken } : {}),
      });
      token = page.nextToken;
    } while (token);
    return { pages };
  }

  private async list(token: string | undefined) {
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.client.send(
          new ListRecommendationsCommand({
            filter: { tags: [{ key: 'project', value: this.options.project }] },
            ...(token ? { nextToken: token } : {}),
          }),
        );
      } catch (error) {
        const { name, message } = error as Error;
        if (name === 'AccessDeniedException')
          return {
            unavailable: `not available to this account (${message}); opt in to Cost Optimization Hub for its recommendations`,
          };
        if (name === 'ThrottlingException' && attempt < maxAttempts) {
          await this.clock.sleep((this.options.backoffMs ?? 1000) * 2 ** (attempt - 1));
          continue;
        }
        const text = `Cost Optimization Hub ListRecommendations failed${attempt > 1 ? ` after ${attempt} attempts` : ''}: ${name}: ${message}`;
        throw name === 'ThrottlingException'
          ? new TransientError(text, { cause: error })
          : new PipelineError(text, { cause: error });
      }
    }
  }
}
