/**
 * Scheduled handler: measures every gold table's minutes since its last publish and publishes
 * them as the `MinutesSincePublish` metric, which the freshness alarms and the dashboard read.
 */
import type { ContractRegistry } from '../core/contracts/contract';
import { measureFreshness, minutesSincePublishMetric } from '../core/freshness-probe';
import type { Clock, Logger, MetricSink, PublishTimes } from '../core/ports';

export interface FreshnessProbeDeps {
  readonly contracts: ContractRegistry;
  readonly times: PublishTimes;
  readonly metrics: MetricSink;
  /** `monitoring.defaultFreshnessHours`: the SLO of a gold table whose contract declares none. */
  readonly defaultFreshnessHours: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

export function createFreshnessProbeHandler(deps: FreshnessProbeDeps) {
  return async (): Promise<{ measured: number; unpublished: readonly string[] }> => {
    const gold = deps.contracts.all().filter((c) => c.layer === 'gold');
    const now = deps.clock.now();
    const published = await deps.times.lastPublished(gold.map((c) => c.relation));
    const { measured, unpublished } = measureFreshness(
      gold,
      published,
      now,
      deps.defaultFreshnessHours,
    );
    await deps.metrics.put(
      measured.map((t) => ({
        name: minutesSincePublishMetric,
        dimensions: { dataset: t.dataset },
        value: t.minutesSincePublish,
        at: now,
      })),
    );
    deps.logger.info('Gold freshness measured', { tables: measured });
    if (unpublished.length > 0)
      deps.logger.warn('Gold tables with no publish time: their freshness alarms fire', {
        unpublished,
      });
    return { measured: measured.length, unpublished };
  };
}
