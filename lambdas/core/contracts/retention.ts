/**
 * A contract's retention, declared the ODCS way: an `slaProperties` entry with
 * `property: retention`, a `value` and a `unit` (days or years), and optionally the `element`
 * (`<dataset>.<column>`) by which rows age. Bronze always ages by ingestion (its `ingest_date`
 * partitions), so a bronze contract names no other element.
 */
import type { ConfigProblem } from '../errors';
import type { ContractDocument } from './schema';

/** How long a contract's rows are kept. */
export interface ContractRetention {
  readonly days: number;
  /** The timestamp column rows age by; undefined leaves it to the layer's default. */
  readonly column?: string;
}

/** ODCS units (ISO style) retention accepts, in days. */
const daysPerUnit: Readonly<Record<string, number>> = {
  d: 1,
  day: 1,
  days: 1,
  y: 365,
  yr: 365,
  years: 365,
};

/** The time column of every bronze row: when it was ingested (its partition is that day). */
export const bronzeAgeColumn = '_ingested_at';

/** The contract's retention and what is wrong with its declaration (problems name the key path). */
export function parseRetention(document: ContractDocument): {
  retention?: ContractRetention;
  problems: ConfigProblem[];
} {
  const problems: ConfigProblem[] = [];
  const entries = document.slaProperties
    .map((sla, i) => ({ sla, path: `slaProperties.${i}` }))
    .filter(({ sla }) => sla.property === 'retention');
  if (entries.length === 0) return { problems };
  if (entries.length > 1)
    problems.push({
      path: entries[1]!.path,
      expected: 'one retention entry per contract',
      found: `another one (the first is ${entries[0]!.path})`,
    });
  const { sla, path } = entries[0]!;
  const unit = String(sla.unit ?? 'd');
  const perUnit = daysPerUnit[unit];
  if (perUnit === undefined)
    problems.push({
      path: `${path}.unit`,
      expected: `a retention unit: ${Object.keys(daysPerUnit).join(', ')}`,
      found: JSON.stringify(sla.unit),
    });
  if (typeof sla.value !== 'number' || !Number.isInteger(sla.value) || sla.value <= 0)
    problems.push({
      path: `${path}.value`,
      expected: 'a whole number of units greater than 0',
      found: JSON.stringify(sla.value),
    });
  const dataset = document.schema[0]!;
  const layer = dataset.physicalName.split('.')[0];
  let column: string | undefined;
  if (sla.element === undefined && layer !== 'bronze')
    problems.push({
      path: `${path}.element`,
      expected: `<dataset>.<column>: the timestamp column by which ${dataset.physicalName} ages`,
      found: 'nothing (the key is missing)',
    });
  if (sla.element !== undefined) {
    const element = String(sla.element);
    const [name, field, ...rest] = element.split('.');
    const known = dataset.properties.some((p) => p.name === field);
    const ok =
      name === dataset.name &&
      rest.length === 0 &&
      (layer === 'bronze' ? field === bronzeAgeColumn : known);
    if (!ok)
      problems.push({
        path: `${path}.element`,
        expected:
          layer === 'bronze'
            ? `${dataset.name}.${bronzeAgeColumn} or nothing: bronze ages by ingestion, whole ingest_date partitions at a time`
            : `<dataset>.<column> naming a timestamp column of ${dataset.name}`,
        found: JSON.stringify(sla.element),
      });
    else column = field;
  }
  if (problems.length > 0 || perUnit === undefined) return { problems };
  return {
    retention: { days: (sla.value as number) * perUnit, ...(column ? { column } : {}) },
    problems,
  };
}
