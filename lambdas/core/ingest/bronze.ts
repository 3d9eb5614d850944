/**
 * Bronze: append-only Parquet objects keyed
 * `bronze/<source>/<dataset>/ingest_date=YYYY-MM-DD/<run_id>-<n>.parquet`, every row carrying
 * where and when it was ingested.
 *
 * Publishing is a small commit protocol, so a crash never leaves half an ingestion visible and
 * never loses or doubles one: objects are written under `bronze/_staging/`, the ingest state
 * (watermark plus the list of staged objects) is written atomically (the commit point), then the
 * objects are moved into place. On its next start an ingestion finishes a committed publish and
 * discards anything staged but never committed.
 */
import type { ColumnSpec, ConstantColumn, ObjectStore } from '../ports';
import { elapsedSeconds, type DatasetStats, type RejectedFile } from '../stats';

/** The Hive partition column of every bronze object's key (`ingest_date=YYYY-MM-DD/`). */
export const bronzePartitionColumn = 'ingest_date';

export const bronzeMetadataColumns: readonly ColumnSpec[] = [
  { name: '_ingested_at', type: 'TIMESTAMP' },
  { name: '_run_id', type: 'VARCHAR' },
  { name: '_source', type: 'VARCHAR' },
  /** Where the row came from: the extraction, API page, topic partition or landing file. */
  { name: '_source_ref', type: 'VARCHAR' },
  /** The row's position within `_source_ref` (row number, offset). Unique together with it. */
  { name: '_source_row', type: 'BIGINT' },
];

/** Metadata that varies by row; the rest is {@link metadataConstants}. */
export const rowMetadataColumns: readonly ColumnSpec[] = bronzeMetadataColumns.filter((c) =>
  ['_source_ref', '_source_row'].includes(c.name),
);

export interface RowMetadata {
  readonly ingestedAt: Date;
  readonly runId: string;
  readonly source: string;
}

/**
 * What an ingestion step reports: nothing is quarantined at the door (bronze keeps everything),
 * every row written is new, and duplicates are only redeliveries skipped.
 */
export function bronzeStats(
  dataset: string,
  counts: {
    rowsIn: number;
    rowsOut: number;
    duplicates?: number;
    notes?: string[];
    rejectedFiles?: readonly RejectedFile[];
  },
  startedAt: Date,
  endedAt: Date,
): DatasetStats {
  return {
    dataset,
    layer: 'bronze',
    rowsIn: counts.rowsIn,
    rowsOut: counts.rowsOut,
    quarantined: 0,
    duplicates: counts.duplicates ?? 0,
    inserted: counts.rowsOut,
    updated: 0,
    deleted: 0,
    seconds: elapsedSeconds(startedAt, endedAt),
    ...(counts.rejectedFiles?.length ? { rejectedFiles: counts.rejectedFiles } : {}),
    ...(counts.notes ? { notes: counts.notes } : {}),
  };
}

/** The metadata every row of one ingestion shares. */
export function metadataConstants(meta: RowMetadata): ConstantColumn[] {
  return [
    { name: '_ingested_at', type: 'TIMESTAMP', value: meta.ingestedAt.toISOString() },
    { name: '_run_id', type: 'VARCHAR', value: meta.runId },
    { name: '_source', type: 'VARCHAR', value: meta.source },
  ];
}

/** Final key of the n-th object a run writes for a dataset. */
export function bronzeKey(source: string, dataset: string, meta: RowMetadata, n: number): string {
  const day = meta.ingestedAt.toISOString().slice(0, 10);
  return `bronze/${source}/${dataset}/ingest_date=${day}/${meta.runId}-${n}.parquet`;
}

const stagingPrefix = 'bronze/_staging/';

export function stagedKey(finalKey: string): string {
  return finalKey.replace(/^bronze\//, stagingPrefix);
}

/** Watermark and bookkeeping of one source dataset, persisted as one JSON object. */
export interface IngestState<W = unknown> {
  readonly watermark: W | null;
  readonly runId: string;
  readonly committedAt: string;
  /** Staged keys committed but not yet moved into place. */
  readonly pending: readonly string[];
  /** Objects `runId` has committed so far: a run that commits several times numbers on from here. */
  readonly objects: number;
  /** Landing only: content hashes of files already ingested. */
  readonly ingestedFiles?: readonly string[];
}

/** The number of the next object `runId` writes for a dataset (its `-<n>.parquet`). */
export function nextObjectNumber(state: IngestState | undefined, runId: string): number {
  return state?.runId === runId ? state.objects : 0;
}

/** Reads and commits ingest state; the commit point of every bronze write. */
export class IngestLedger {
  constructor(private readonly store: ObjectStore) {}

  private key(source: string, dataset: string): string {
    return `state/ingest/${source}/${dataset}.json`;
  }

  async read<W>(source: string, dataset: string): Promise<IngestState<W> | undefined> {
    const text = await this.store.getText(this.key(source, dataset));
    return text === undefined ? undefined : (JSON.parse(text) as IngestState<W>);
  }

  /**
   * Brings a dataset back to a clean state after a crash: publishes what was committed, deletes
   * what was staged without a commit. Returns how many objects each way.
   */
  async recover(
    source: string,
    dataset: string,
  ): Promise<{ published: number; discarded: number }> {
    const state = await this.read(source, dataset);
    const pending = new Set(state?.pending ?? []);
    const staged = await this.store.list(`${stagingPrefix}${source}/${dataset}/`);
    let published = 0;
    let discarded = 0;
    for (const key of staged) {
      if (pending.has(key)) {
        await this.store.move(key, key.replace(stagingPrefix, 'bronze/'));
        published++;
      } else {
        await this.store.delete(key);
        discarded++;
      }
    }
    if (state && state.pending.length > 0)
      await this.write(source, dataset, { ...state, pending: [] });
    return { published, discarded };
  }

  /** Commits the new state with its staged objects, then publishes them. */
  async commit<W>(
    source: string,
    dataset: string,
    state: Omit<IngestState<W>, 'pending' | 'objects'>,
    staged: readonly string[],
  ): Promise<void> {
    const previous = await this.read(source, dataset);
    const committed = {
      ...state,
      objects: nextObjectNumber(previous, state.runId) + staged.length,
    };
    await this.write(source, dataset, { ...committed, pending: staged });
    for (const key of staged) await this.store.move(key, key.replace(stagingPrefix, 'bronze/'));
    if (staged.length > 0) await this.write(source, dataset, { ...committed, pending: [] });
  }

  private async write(source: string, dataset: string, state: IngestState<unknown>): Promise<void> {
    await this.store.putText(this.key(source, dataset), `${JSON.stringify(state, null, 2)}\n`);
  }
}
