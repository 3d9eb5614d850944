/**
 * Incremental extraction from a SQL warehouse (Snowflake, Redshift; locally a DuckDB file):
 * select the rows whose watermark column moved past the stored watermark and before the end of
 * the run's day, export them straight to bronze Parquet, then commit the new watermark.
 */
import type { Contract } from '../contracts/contract';
import { ReconciliationError } from '../errors';
import type { Clock, WarehouseClient } from '../ports';
import type { DatasetStats } from '../stats';
import { endOfDay, sqlTimestampText } from '../time';
import { bronzeKey, bronzeStats, stagedKey, type IngestLedger } from './bronze';

export interface WarehouseDatasetRequest {
  readonly source: string;
  readonly dataset: string;
  readonly table: string;
  readonly watermarkColumn: string;
  readonly contract: Contract;
  readonly runId: string;
  readonly runDate: string;
}

export interface WarehouseIngestDeps {
  readonly warehouse: WarehouseClient;
  readonly ledger: IngestLedger;
  readonly clock: Clock;
}

export async function ingestWarehouseDataset(
  deps: WarehouseIngestDeps,
  request: WarehouseDatasetRequest,
): Promise<DatasetStats> {
  const { source, dataset } = request;
  const startedAt = deps.clock.now();
  await deps.ledger.recover(source, dataset);
  const state = await deps.ledger.read<string>(source, dataset);
  const since = state?.watermark ?? null;
  const meta = { ingestedAt: startedAt, runId: request.runId, source };
  const finalPrefix = bronzeKey(source, dataset, meta, 0).replace(/-0\.parquet$/, '');

  const exported = await deps.warehouse.exportQuery({
    sql: incrementalQuery(request, since, startedAt, deps.warehouse.rowNumberExpression, (t) =>
      deps.warehouse.columnType(t),
    ),
    keyPrefix: stagedKey(finalPrefix),
    watermarkColumn: request.watermarkColumn,
  });
  if (exported.rows !== exported.selected) {
    throw new ReconciliationError(
      `${source}.${dataset}: the warehouse returned ${exported.selected} rows but ${exported.rows} reached bronze`,
    );
  }
  await deps.ledger.commit(
    source,
    dataset,
    {
      watermark: exported.maxWatermark ?? since,
      runId: request.runId,
      committedAt: deps.clock.now().toISOString(),
    },
    exported.keys,
  );
  return bronzeStats(
    `${source}.${dataset}`,
    { rowsIn: exported.selected, rowsOut: exported.rows },
    startedAt,
    deps.clock.now(),
  );
}

/**
 * The extraction query, in the SQL that Snowflake, Redshift and DuckDB share. Columns are the
 * contract's, cast to its types, so bronze keeps one schema even if the warehouse drifts.
 */
export function incrementalQuery(
  request: WarehouseDatasetRequest,
  since: string | null,
  ingestedAt: Date,
  rowNumber: string,
  columnType: (portableType: string) => string,
): string {
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const column = request.watermarkColumn;
  const conditions = [
    `${column} < timestamp ${literal(sqlTimestampText(endOfDay(request.runDate)))}`,
  ];
  if (since !== null) conditions.unshift(`${column} > timestamp ${literal(since)}`);
  const columns = request.contract.columns.map(
    (c) => `cast(${c.name} as ${columnType(c.type)}) as ${c.name}`,
  );
  const sourceRef = `${request.source}:${request.table}@${request.runId}`;
  return [
    `select ${columns.join(', ')},`,
    `  timestamp ${literal(sqlTimestampText(ingestedAt.toISOString()))} as _ingested_at,`,
    `  ${literal(request.runId)} as _run_id, ${literal(request.source)} as _source, ${literal(sourceRef)} as _source_ref,`,
    `  ${rowNumber} as _source_row`,
    `from ${request.table}`,
    `where ${conditions.join(' and ')}`,
  ].join('\n');
}
