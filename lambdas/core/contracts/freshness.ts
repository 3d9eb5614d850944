/**
 * A contract's freshness SLO, declared the ODCS way: an `slaProperties` entry with
 * `property: freshness`, a `value` and a `unit` (minutes, hours or days). On AWS a gold table
 * alarms when no build published it for that long.
 */
import { ConfigError } from '../errors';
import type { Contract } from './contract';

const minutesPerUnit: Readonly<Record<string, number>> = {
  m: 1,
  min: 1,
  minutes: 1,
  h: 60,
  hours: 60,
  d: 1440,
  day: 1440,
  days: 1440,
};

/** Minutes the dataset may go without a new publish; undefined when the contract declares none. */
export function freshnessMinutes({ document, file }: Contract): number | undefined {
  const index = document.slaProperties.findIndex((sla) => sla.property === 'freshness');
  if (index < 0) return undefined;
  const sla = document.slaProperties[index]!;
  const unit = String(sla.unit ?? 'd');
  const perUnit = minutesPerUnit[unit];
  if (perUnit === undefined || typeof sla.value !== 'number' || !(sla.value > 0))
    throw new ConfigError(file, [
      {
        path: `slaProperties.${index}`,
        expected: `a freshness value greater than 0 in ${Object.keys(minutesPerUnit).join(', ')}`,
        found: `value ${JSON.stringify(sla.value)}, unit ${JSON.stringify(sla.unit)}`,
      },
    ]);
  return sla.value * perUnit;
}

/**
 * The freshness SLO a gold table is held to on AWS: its contract's, or the environment's
 * `monitoring.defaultFreshnessHours` when the contract declares none.
 */
export function freshnessSloMinutes(contract: Contract, defaultHours: number): number {
  return freshnessMinutes(contract) ?? defaultHours * 60;
}
