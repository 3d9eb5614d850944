/**
 * The freshness probe's figures: per gold table, the minutes since its last successful publish,
 * which the freshness alarms compare with the table's SLO. A table with no publish time gets no
 * figure, so that its alarm (missing data breaching) fires as it does when the probe itself fails.
 */
import type { Contract } from './contracts/contract';
import { freshnessSloMinutes } from './contracts/freshness';

/**
 * The table parameter holding a table's last publish: the catalog-sync step of a run that built
 * the table writes its own time there (`catalog.ts`, `tableParameters`), and that step runs only
 * once the run's quality gate passed.
 */
export const publishedAtParameter = 'updated_at';

/** The metric each gold table's figure is published as, dimensioned by `dataset`. */
export const minutesSincePublishMetric = 'MinutesSincePublish';

export interface TableFreshness {
  readonly dataset: string;
  readonly minutesSincePublish: number;
  /** The contract's freshness SLO, or the environment's default: for the log, not the alarm. */
  readonly sloMinutes: number;
}

export interface FreshnessMeasure {
  readonly measured: readonly TableFreshness[];
  /** Gold tables with no (readable) publish time: never built, or their catalog entry missing. */
  readonly unpublished: readonly string[];
}

/**
 * Minutes since each gold table's last publish at `now`, whole minutes rounded down; a publish
 * time in the future (clock skew) counts as zero.
 */
export function measureFreshness(
  gold: readonly Contract[],
  publishedAt: ReadonlyMap<string, string>,
  now: Date,
  defaultFreshnessHours: number,
): FreshnessMeasure {
  const measured: TableFreshness[] = [];
  const unpublished: string[] = [];
  for (const contract of gold) {
    const at = Date.parse(publishedAt.get(contract.relation) ?? '');
    if (Number.isNaN(at)) {
      unpublished.push(contract.id);
      continue;
    }
    measured.push({
      dataset: contract.id,
      minutesSincePublish: Math.max(0, Math.floor((now.getTime() - at) / 60_000)),
      sloMinutes: freshnessSloMinutes(contract, defaultFreshnessHours),
    });
  }
  return { measured, unpublished };
}
