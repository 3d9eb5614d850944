/**
 * OpenLineage RunEvents (spec 2-0-2) and the facets the platform emits, each stamped with the
 * `_schemaURL` of the facet version it follows, so consumers (Marquez, DataHub, OpenMetadata)
 * and the validation test can check it against that exact schema.
 */
import { v5 as uuidv5, validate as isUuid } from 'uuid';

export const producer = 'urn:medallion-platform';
export const runEventSchemaUrl =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** The facet schemas the platform writes, by name, at the version it follows. */
const facetVersions = {
  ColumnLineageDatasetFacet: '1-2-0',
  DataQualityAssertionsDatasetFacet: '1-1-0',
  DataQualityMetricsInputDatasetFacet: '1-0-3',
  ErrorMessageRunFacet: '1-0-1',
  JobTypeJobFacet: '2-0-4',
  LifecycleStateChangeDatasetFacet: '1-0-1',
  NominalTimeRunFacet: '1-0-1',
  OutputStatisticsOutputDatasetFacet: '1-0-2',
  OwnershipJobFacet: '1-0-1',
  ParentRunFacet: '1-2-0',
  SchemaDatasetFacet: '1-2-0',
  SQLJobFacet: '1-1-0',
  SymlinksDatasetFacet: '1-0-1',
} as const;
export type FacetName = keyof typeof facetVersions;

export type Facet = { readonly _producer: string; readonly _schemaURL: string } & Readonly<
  Record<string, unknown>
>;
export type Facets = Readonly<Record<string, Facet>>;

export function facet(name: FacetName, body: Readonly<Record<string, unknown>>): Facet {
  return {
    _producer: producer,
    _schemaURL: `https://openlineage.io/spec/facets/${facetVersions[name]}/${name}.json#/$defs/${name}`,
    ...body,
  };
}

export type EventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface DatasetRef {
  readonly namespace: string;
  readonly name: string;
}

export interface InputDataset extends DatasetRef {
  readonly facets?: Facets;
  readonly inputFacets?: Facets;
}

export interface OutputDataset extends DatasetRef {
  readonly facets?: Facets;
  readonly outputFacets?: Facets;
}

export interface RunEvent {
  readonly eventType: EventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets?: Facets };
  readonly job: { readonly namespace: string; readonly name: string; readonly facets?: Facets };
  readonly inputs: readonly InputDataset[];
  readonly outputs: readonly OutputDataset[];
}

/** Namespace of OpenLineage's UUIDv5 run ids derived from names that are not UUIDs. */
const runIdNamespace = '6f1d5f4e-8c1b-4f0e-9a57-0d3c1f5b2a10';

/**
 * A run id as OpenLineage wants it (a UUID): the id itself when it is one (local runs, and
 * executions started with a UUID name), else a UUIDv5 of it, the same on every call.
 */
export function runUuid(id: string): string {
  return isUuid(id) ? id.toLowerCase() : uuidv5(id, runIdNamespace);
}

/** Checks the spec's rules about a run's events that its JSON Schema cannot express. */
export function checkRunEvents(events: readonly RunEvent[]): string[] {
  const problems: string[] = [];
  const byRun = new Map<string, RunEvent[]>();
  for (const event of events) {
    if (!event.eventType) problems.push(`event of ${event.job.name} has no eventType`);
    byRun.set(event.run.runId, [...(byRun.get(event.run.runId) ?? []), event]);
  }
  for (const [runId, runEvents] of byRun) {
    const jobs = new Set(runEvents.map((e) => `${e.job.namespace}/${e.job.name}`));
    if (jobs.size > 1)
      problems.push(`run ${runId} belongs to several jobs: ${[...jobs].join(', ')}`);
    const ordered = [...runEvents].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
    const starts = ordered.filter((e) => e.eventType === 'START');
    const ends = ordered.filter((e) => e.eventType !== 'START');
    const name = runEvents[0]!.job.name;
    if (starts.length !== 1)
      problems.push(`run ${runId} (${name}) has ${starts.length} START events`);
    if (ends.length !== 1)
      problems.push(`run ${runId} (${name}) has ${ends.length} terminal events`);
    if (starts[0] && ends[0] && ends[0].eventTime < starts[0].eventTime)
      problems.push(`run ${runId} (${name}) ends before it starts`);
  }
  return problems;
}
