import {
  AccessDeniedException,
  CostOptimizationHubClient,
  ListRecommendationsCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-cost-optimization-hub';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CostOptimizationHubRecommendations } from '../../../lambdas/adapters/aws/cost-optimization-hub';
import { costOptimizationHubIam } from '../../../lambdas/adapters/aws/iam-calls';
import { TransientError } from '../../../lambdas/core/errors';
import { ManualClock } from '../../helpers/clock';
import { expectDeclaredCommands } from '../../helpers/declared-calls';

const coh = mockClient(CostOptimizationHubClient);
expectDeclaredCommands('CostOptimizationHubRecommendations', coh, costOptimizationHubIam.actions);
beforeEach(() => coh.reset());

const hub = (clock = new ManualClock()) =>
  new CostOptimizationHubRecommendations(new CostOptimizationHubClient({ region: 'us-east-1' }), {
    project: 'medallion',
    clock,
    maxAttempts: 3,
    backoffMs: 500,
  });
/** What the report reads of an item. */
const withoutAccount = {
  resourceId: 'arn:aws:lambda:eu-west-1:111122223333:function:f',
  actionType: 'Rightsize' as const,
  currentResourceType: 'LambdaFunction' as const,
  estimatedMonthlySavings: 1.5,
  currencyCode: 'USD',
};
/** Cost Optimization Hub's item: the fields the report does not read are not recorded. */
const item = { recommendationId: 'r1', ...withoutAccount, accountId: '111122223333' };

describe('CostOptimizationHubRecommendations', () => {
  it("asks for the project's tagged resources and follows nextToken to the last page", async () => {
    coh
      .on(ListRecommendationsCommand)
      .resolvesOnce({ items: [item], nextToken: 'p2' })
      .resolvesOnce({ items: [{ ...item, recommendationId: 'r2' }] });
    const answer = await hub().recommendations();
    expect(answer).toEqual({
      pages: [
        { items: [{ recommendationId: 'r1', ...withoutAccount }], nextToken: 'p2' },
        { items: [{ recommendationId: 'r2', ...withoutAccount }] },
      ],
    });
    expect(coh.commandCalls(ListRecommendationsCommand).map((c) => c.args[0].input)).toEqual([
      { filter: { tags: [{ key: 'project', value: 'medallion' }] } },
      { filter: { tags: [{ key: 'project', value: 'medallion' }] }, nextToken: 'p2' },
    ]);
  });

  it('answers why there are none when the account has not opted in, instead of failing', async () => {
    coh.on(ListRecommendationsCommand).rejects(
      new AccessDeniedException({
        message: 'The account is not enrolled in Cost Optimization Hub',
        $metadata: {},
      }),
    );
    expect(await hub().recommendations()).toEqual({
      unavailable:
        'not available to this account (The account is not enrolled in Cost Optimization Hub); opt in to Cost Optimization Hub for its recommendations',
    });
  });

  it('tries a throttled call again, backing off, then fails as transient', async () => {
    coh
      .on(ListRecommendationsCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves({ items: [] });
    const clock = new ManualClock();
    expect(await hub(clock).recommendations()).toEqual({ pages: [{ items: [] }] });
    expect(clock.sleeps).toEqual([500]);
    coh
      .on(ListRecommendationsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(hub().recommendations()).rejects.toBeInstanceOf(TransientError);
  });

  it('fails on any other error, naming the call', async () => {
    coh
      .on(ListRecommendationsCommand)
      .rejects(new ValidationException({ message: 'bad filter', $metadata: {} }));
    await expect(hub().recommendations()).rejects.toThrow(
      'Cost Optimization Hub ListRecommendations failed: ValidationException: bad filter',
    );
  });
});
