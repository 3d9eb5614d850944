/**
 * The audit store's lineage: every RunEvent as one JSON line in its own object under
 * `audit/lineage/dt=<day the pipeline run started>/<pipeline run id>/`, named so that listing
 * order is event order. Locally the objects are files under `<lake>/audit/lineage/` with the
 * DuckDB view `audit.lineage_events` over them; on AWS they are in the audit bucket under
 * `lineage/` with the Glue table `audit.lineage_events`. Writes never overwrite: a re-run is a
 * new run with new ids.
 */
import type { ObjectStore } from '../ports';
import { addDays } from '../time';
import type { RunEvent } from './openlineage';

export const lineagePrefix = 'audit/lineage/';

/**
 * The table over the stored events (`audit.lineage_events`, partitioned by `dt`): column, type
 * (JSON for nested objects, which Athena reads as text) and the event's key it holds.
 */
export const lineageEventColumns = [
  ['event_time', 'VARCHAR', 'eventTime'],
  ['event_type', 'VARCHAR', 'eventType'],
  ['producer', 'VARCHAR', 'producer'],
  ['schema_url', 'VARCHAR', 'schemaURL'],
  ['run', 'JSON', 'run'],
  ['job', 'JSON', 'job'],
  ['inputs', 'JSON', 'inputs'],
  ['outputs', 'JSON', 'outputs'],
] as const;

export interface LineageFilter {
  /** A pipeline run (its events and its tasks') or a single task run, as given or as its UUID. */
  readonly runIds?: readonly string[];
  /** Events at or after this instant. */
  readonly since?: Date;
  /**
   * The day the pipeline runs in `runIds` started: only their folders are listed, not the whole
   * store (which on S3 grows by a folder per run).
   */
  readonly runDay?: string;
}

export class LineageLog {
  constructor(private readonly store: ObjectStore) {}

  /** Stores an event of the pipeline run `parentRunId` that started on `runDay` (`YYYY-MM-DD`). */
  async append(event: RunEvent, parentRunId: string, runDay: string): Promise<void> {
    const stamp = event.eventTime.replace(/[-:.]/g, '');
    await this.store.putText(
      `${lineagePrefix}dt=${runDay}/${parentRunId}/${stamp}-${event.run.runId}-${event.eventType}.json`,
      `${JSON.stringify(event)}\n`,
    );
  }

  /** Stored events, oldest first. */
  async list(filter: LineageFilter = {}): Promise<RunEvent[]> {
    const sinceDay = filter.since?.toISOString().slice(0, 10);
    const { runIds, runDay } = filter;
    const prefixes =
      runIds && runDay
        ? runIds.map((id) => `${lineagePrefix}dt=${runDay}/${id}/`)
        : [lineagePrefix];
    const listed = (await Promise.all(prefixes.map((prefix) => this.store.list(prefix)))).flat();
    const keys = listed.filter((key) => {
      const [day, parent, file] = key.slice(lineagePrefix.length).split('/');
      if (!day?.startsWith('dt=') || !parent || !file?.endsWith('.json')) return false;
      // A run started the day before `since` may have events after it.
      if (sinceDay && day.slice(3) < addDays(sinceDay, -1)) return false;
      return !filter.runIds || filter.runIds.some((id) => id === parent || file.includes(id));
    });
    const events: RunEvent[] = [];
    for (const key of keys) {
      const text = await this.store.getText(key);
      if (text === undefined) continue;
      const event = JSON.parse(text) as RunEvent;
      if (filter.since && new Date(event.eventTime) < filter.since) continue;
      events.push(event);
    }
    return events.sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  }
}
