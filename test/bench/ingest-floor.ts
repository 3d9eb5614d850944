/**
 * The ingestion floor: for each ingest branch, the time a bare DuckDB takes to turn the same
 * source extract into the same bronze rows in Parquet, one `COPY (select ...) TO` per dataset.
 * The branches run in parallel in the platform, so the run's ingestion floor is the longest
 * branch's ({@link ingestionFloor}), not their sum.
 *
 * - Warehouses (Snowflake, Redshift): the platform's own extraction query
 *   (`incrementalQuery`, from the watermark the day started with) over the simulator's database.
 * - Kafka: the topic's JSONL partition files under `<lake>/_sim/kafka/<topic>/`, the offsets the
 *   run drained (between the committed offsets before and after the day); the file holds the
 *   key and value as bytes (base64), decoded to text as the platform decodes them.
 * - REST (CRM, FX): no floor. Their extracts are a few thousand rows served page by page over
 *   HTTP; what the branch costs is the pagination, not work an engine could do in one statement.
 * - Landing: no floor; the bench's lake has no landing files, and a run that ingests some fails
 *   the comparison below rather than pass with a floor of nothing.
 *
 * Each floor's rows are counted and must equal the rows the run wrote to bronze for the same
 * datasets: otherwise the floor is not the same work, and the bench stops.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuckDb, type DuckDbSettings } from '../../lambdas/adapters/duckdb/engine';
import { duckdbDialect as d } from '../../lambdas/adapters/duckdb/dialect';
import type { Offsets } from '../../lambdas/core/ingest/kafka';
import { incrementalQuery } from '../../lambdas/core/ingest/warehouse';
import { ingestStep } from '../../lambdas/core/tasks';
import type { Project } from '../../lambdas/definitions/project-files';

/** Each source dataset's committed ingest state (`state/ingest/<source>/<dataset>.json`). */
export type IngestStates = Record<string, { watermark: unknown; runId: string } | undefined>;

/** The watermarks and offsets committed so far, keyed `<source>.<dataset>`. */
export function readIngestStates(lakeRoot: string): IngestStates {
  const root = path.join(lakeRoot, 'state', 'ingest');
  const states: IngestStates = {};
  for (const source of existsSync(root) ? readdirSync(root) : [])
    for (const file of readdirSync(path.join(root, source)).filter((f) => f.endsWith('.json')))
      states[`${source}.${file.slice(0, -'.json'.length)}`] = JSON.parse(
        readFileSync(path.join(root, source, file), 'utf8'),
      ) as IngestStates[string];
  return states;
}

export interface IngestBranchFloor {
  /** The Task state of the branch (`SnowflakeToBronze`...). */
  readonly state: string;
  readonly seconds: number;
  /** Rows the floor wrote, equal to the rows the run wrote to bronze for the branch. */
  readonly rows: number;
}

/**
 * The ingestion floor of a run: the longest branch's floor, since the branches run in parallel.
 * Zero when no branch has one.
 */
export function ingestionFloor(branches: readonly IngestBranchFloor[]): number {
  return branches.reduce((longest, b) => Math.max(longest, b.seconds), 0);
}

/**
 * Rows of the bronze objects run `runId` wrote for each dataset of a source, keyed
 * `<source>.<dataset>` (objects are `<run_id>-<n>.parquet` under any `ingest_date=` folder).
 */
async function bronzeRows(
  connection: DuckDBConnection,
  lakeRoot: string,
  source: string,
  datasets: readonly string[],
  runId: string,
): Promise<Record<string, number>> {
  const rows: Record<string, number> = {};
  for (const dataset of datasets) {
    const folder = path.join(lakeRoot, 'bronze', source, dataset);
    const files = (existsSync(folder) ? readdirSync(folder) : []).flatMap((partition) =>
      readdirSync(path.join(folder, partition))
        .filter((f) => f.startsWith(`${runId}-`) && f.endsWith('.parquet'))
        .map((f) => path.join(folder, partition, f)),
    );
    rows[`${source}.${dataset}`] =
      files.length === 0
        ? 0
        : Number(
            (
              await connection.runAndReadAll(
                `select count(*) from read_parquet([${files.map((f) => d.string(f)).join(', ')}])`,
              )
            ).getRows()[0]![0],
          );
  }
  return rows;
}

/** One statement of a branch's floor: the dataset it extracts and the `select` it copies. */
interface FloorExtract {
  readonly dataset: string;
  readonly select: string;
  /** Databases the select reads, attached read-only first, by alias. */
  readonly attach?: Readonly<Record<string, string>>;
}

function warehouseExtracts(
  project: Project,
  source: string,
  run: { runId: string; runDate: string },
  before: IngestStates,
  lakeRoot: string,
): FloorExtract[] {
  const settings = project.config.sources[source];
  if (settings?.kind !== 'warehouse') return [];
  const alias = `floor_${source}`;
  return Object.entries(settings.datasets).map(([dataset, s]) => ({
    dataset,
    attach: { [alias]: path.join(lakeRoot, '_sim', `${source}.duckdb`) },
    select: incrementalQuery(
      {
        source,
        dataset,
        table: `${alias}.${s.table}`,
        watermarkColumn: s.watermark,
        contract: project.contracts.get(`${source}.${dataset}`),
        runId: run.runId,
        runDate: run.runDate,
      },
      (before[`${source}.${dataset}`]?.watermark as string | null | undefined) ?? null,
      new Date(),
      'rowid',
      (type) => type,
    ),
  }));
}

function kafkaExtracts(
  project: Project,
  source: string,
  run: { runId: string },
  before: IngestStates,
  after: IngestStates,
  lakeRoot: string,
): FloorExtract[] {
  const settings = project.config.sources[source];
  if (settings?.kind !== 'kafka') return [];
  return Object.entries(settings.datasets).flatMap(([dataset, { topic }]) => {
    const from = (before[`${source}.${dataset}`]?.watermark ?? {}) as Offsets;
    const to = (after[`${source}.${dataset}`]?.watermark ?? {}) as Offsets;
    const drained = Object.entries(to).filter(([p, last]) => last > (from[p] ?? -1));
    if (drained.length === 0) return [];
    const files = drained.map(([p]) =>
      d.string(path.join(lakeRoot, '_sim', 'kafka', topic, `partition-${p}.jsonl`)),
    );
    const ranges = drained
      .map(
        ([p, last]) => `(partition = ${p} and "offset" > ${from[p] ?? -1} and "offset" <= ${last})`,
      )
      .join(' or ');
    const ingestedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
    return [
      {
        dataset,
        select: `select ${d.string(topic)} as topic, partition, "offset", make_timestamp("timestamp" * 1000) as "timestamp",
  decode(from_base64("key")) as "key", decode(from_base64("value")) as "value",
  ${d.string(`kafka:${topic}/`)} || partition as _source_ref, "offset" as _source_row,
  timestamp ${d.string(ingestedAt)} as _ingested_at, ${d.string(run.runId)} as _run_id, ${d.string(source)} as _source
from (select cast(regexp_extract(filename, 'partition-(\\d+)\\.jsonl$', 1) as integer) as partition, *
      from read_json([${files.join(', ')}], format = 'newline_delimited', filename = true,
                     columns = {"offset": 'BIGINT', "timestamp": 'BIGINT', "key": 'VARCHAR', "value": 'VARCHAR'}))
where ${ranges}`,
      },
    ];
  });
}

/**
 * Measures each ingest branch's floor for the run `runId` of `runDate`: its extracts copied to
 * Parquet under `temp` on a fresh DuckDB with the settings of the platform's ingestion worker,
 * then compares the rows with what the run wrote to bronze; throws if they differ.
 */
export async function measureIngestFloor(options: {
  readonly lakeRoot: string;
  readonly project: Project;
  readonly runId: string;
  readonly runDate: string;
  /** Ingest states as the day started and as it ended ({@link readIngestStates}). */
  readonly before: IngestStates;
  readonly after: IngestStates;
  /** The state of each ingest step (`snowflake_to_bronze` → `SnowflakeToBronze`). */
  readonly stateOfStep: (step: string) => string | undefined;
  readonly settings: DuckDbSettings;
  readonly temp: string;
}): Promise<IngestBranchFloor[]> {
  const { lakeRoot, project, before, after } = options;
  const instance = await openDuckDb(options.settings, path.join(options.temp, 'duckdb'), true);
  const connection = await instance.connect();
  const branches: IngestBranchFloor[] = [];
  try {
    for (const [source, settings] of Object.entries(project.config.sources)) {
      const state = options.stateOfStep(ingestStep(source));
      if (!state) continue;
      const extracts =
        settings.kind === 'warehouse'
          ? warehouseExtracts(project, source, options, before, lakeRoot)
          : settings.kind === 'kafka'
            ? kafkaExtracts(project, source, options, before, after, lakeRoot)
            : undefined;
      if (extracts === undefined) continue;
      const datasets = Object.keys(settings.datasets);
      const written = await bronzeRows(connection, lakeRoot, source, datasets, options.runId);
      let seconds = 0;
      let rows = 0;
      for (const extract of extracts) {
        for (const [alias, file] of Object.entries(extract.attach ?? {}))
          await connection.run(`attach if not exists ${d.string(file)} as ${alias} (read_only)`);
        const target = path.join(options.temp, `${source}.${extract.dataset}.parquet`);
        const started = performance.now();
        const copied = await connection.run(
          `copy (${extract.select}) to ${d.string(target)} (format parquet)`,
        );
        seconds += (performance.now() - started) / 1000;
        rmSync(target, { force: true });
        const floorRows = Number(copied.rowsChanged);
        const runRows = written[`${source}.${extract.dataset}`] ?? 0;
        if (floorRows !== runRows)
          throw new Error(
            `ingestion floor of ${source}.${extract.dataset}: the floor wrote ${floorRows} rows but the run wrote ${runRows} to bronze; the floor is not the same work`,
          );
        rows += floorRows;
      }
      const unmatched = datasets.filter(
        (ds) => !extracts.some((e) => e.dataset === ds) && (written[`${source}.${ds}`] ?? 0) > 0,
      );
      if (unmatched.length > 0)
        throw new Error(
          `ingestion floor of ${source}: the run wrote bronze rows for ${unmatched.join(', ')} but the floor extracted none`,
        );
      branches.push({ state, seconds, rows });
    }
    return branches;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
