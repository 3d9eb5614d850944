/**
 * The freshness probe's handler: asks for the gold tables' publish times only, publishes one
 * `MinutesSincePublish` per table that has one, and names the rest (whose alarms then fire).
 */
import { describe, expect, it } from 'vitest';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import type { MetricPoint } from '../../lambdas/core/ports';
import { createFreshnessProbeHandler } from '../../lambdas/handlers/freshness-probe';
import { ManualClock } from '../helpers/clock';
import { testContract } from '../helpers/contracts';

const column = '      - { name: id, logicalType: integer, physicalType: BIGINT }\n';
const contracts = new ContractRegistry([
  testContract('gold.orders', 'gold.orders', column),
  testContract('gold.revenue', 'gold.revenue', column),
  testContract('silver.orders', 'silver.orders', column),
]);

describe('freshness probe handler', () => {
  it("publishes each published gold table's minutes since its publish, at the probe's time", async () => {
    const asked: string[][] = [];
    const put: MetricPoint[][] = [];
    const warnings: unknown[] = [];
    const clock = new ManualClock(new Date('2026-12-06T12:00:00.000Z'));
    const handler = createFreshnessProbeHandler({
      contracts,
      times: {
        lastPublished: async (relations) => {
          asked.push([...relations]);
          return new Map([['gold.orders', '2026-12-06T10:30:00.000Z']]);
        },
      },
      metrics: { put: async (points) => void put.push([...points]) },
      defaultFreshnessHours: 26,
      clock,
      logger: { info: () => {}, warn: (_m, fields) => void warnings.push(fields) },
    });
    expect(await handler()).toEqual({ measured: 1, unpublished: ['gold.revenue'] });
    expect(asked).toEqual([['gold.orders', 'gold.revenue']]);
    expect(put).toEqual([
      [
        {
          name: 'MinutesSincePublish',
          dimensions: { dataset: 'gold.orders' },
          value: 90,
          at: clock.now(),
        },
      ],
    ]);
    expect(warnings).toEqual([{ unpublished: ['gold.revenue'] }]);
  });

  it('fails when the metrics cannot be published, so the invocation counts as an error', async () => {
    const handler = createFreshnessProbeHandler({
      contracts,
      times: { lastPublished: async () => new Map([['gold.orders', '2026-12-06T10:30:00Z']]) },
      metrics: {
        put: async () => {
          throw new Error('PutMetricData failed');
        },
      },
      defaultFreshnessHours: 26,
      clock: new ManualClock(),
      logger: { info: () => {}, warn: () => {} },
    });
    await expect(handler()).rejects.toThrow('PutMetricData failed');
  });
});
