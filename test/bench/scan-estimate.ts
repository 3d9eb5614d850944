/**
 * An estimate of the bytes Athena would scan for a run's statements, since DuckDB measures none:
 * for each relation a statement reads, the compressed bytes of the columns it reads.
 *
 * - Columns read: DuckDB's own plan (`explain (format json)`), whose table and Parquet scans list
 *   the columns projected after projection pushdown and the filters pushed into the scan.
 * - Bytes of a lakehouse table's column: its segments in `pragma_storage_info` (persistent
 *   segments by their place in their blocks, see {@link columnBytes}; segments still in memory
 *   by their type's width).
 * - Bytes of a bronze column: `parquet_metadata()`'s compressed size over the view's objects.
 *
 * Limits: an upper bound per column (no partition, file or row-group pruning, which Athena does
 * on Iceberg and Parquet statistics); DuckDB's compression, not the Parquet Athena would read for
 * silver and gold; `describe` and DDL scan nothing. A statement DuckDB cannot explain at its place
 * in the replay counts every column of every relation it names that exists then.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbDialect as d } from '../../lambdas/adapters/duckdb/dialect';
import { bronzePartitionColumn } from '../../lambdas/core/ingest/bronze';
import { relationsOf } from '../../lambdas/core/recording-engine';

/** One row of `pragma_storage_info`, as the estimate needs it. */
export interface StorageSegment {
  readonly columnId: number;
  /** Set on the rows of a top-level column (`column_path` of one element). */
  readonly columnName: string;
  readonly segmentType: string;
  readonly count: number;
  readonly persistent: boolean;
  readonly blockId: number;
  readonly blockOffset: number;
  /** Further blocks a segment spans (large strings). */
  readonly additionalBlocks: number;
}

/** DuckDB's block: 256 KiB, less its 8-byte checksum. */
export const blockBytes = 262_144 - 8;

/** In-memory width of a value of each segment type; strings by their 16-byte header. */
function typeWidth(segmentType: string): number {
  const type = segmentType.toUpperCase();
  if (type === 'VALIDITY') return 1 / 8;
  if (/^(BOOLEAN|TINYINT|UTINYINT)$/.test(type)) return 1;
  if (/^(SMALLINT|USMALLINT)$/.test(type)) return 2;
  if (/^(INTEGER|UINTEGER|DATE|FLOAT)$/.test(type)) return 4;
  if (/^(HUGEINT|UHUGEINT|INTERVAL|UUID|VARCHAR|BLOB)$/.test(type)) return 16;
  const decimal = /^DECIMAL\((\d+)/.exec(type);
  if (decimal) {
    const width = Number(decimal[1]);
    return width <= 4 ? 2 : width <= 9 ? 4 : width <= 18 ? 8 : 16;
  }
  return 8;
}

/**
 * Compressed bytes per top-level column of a table: a persistent segment runs from its offset to
 * the next segment's in the same block, plus the blocks it spans. The table's last segment in a
 * block may share it with other tables' segments, which this table's storage info does not show:
 * it counts up to the block's end but at most its values' in-memory width. A segment not yet
 * written out counts its values at that width.
 */
export function columnBytes(segments: readonly StorageSegment[]): Record<string, number> {
  const names = new Map<number, string>();
  for (const s of segments) if (s.columnName) names.set(s.columnId, s.columnName);
  const byBlock = new Map<number, StorageSegment[]>();
  const bytes: Record<string, number> = {};
  const add = (s: StorageSegment, n: number) => {
    const name = names.get(s.columnId) ?? String(s.columnId);
    bytes[name] = (bytes[name] ?? 0) + n;
  };
  for (const s of segments) {
    if (s.persistent && s.blockId >= 0) {
      const block = byBlock.get(s.blockId) ?? [];
      block.push(s);
      byBlock.set(s.blockId, block);
    } else if (!s.persistent) add(s, Math.ceil(s.count * typeWidth(s.segmentType)));
  }
  for (const block of byBlock.values()) {
    block.sort((a, b) => a.blockOffset - b.blockOffset);
    block.forEach((s, i) => {
      const next = block[i + 1];
      add(
        s,
        next
          ? next.blockOffset - s.blockOffset + s.additionalBlocks * blockBytes
          : Math.min(
              blockBytes - s.blockOffset + s.additionalBlocks * blockBytes,
              Math.ceil(s.count * typeWidth(s.segmentType)),
            ),
      );
    });
  }
  return bytes;
}

/** A scan in a DuckDB plan: a table's (`table` set) or a Parquet read's, and what it reads. */
export interface PlanScan {
  /** `database.schema.table` of a table scan; absent for a Parquet read. */
  readonly table?: string;
  /** Columns projected out of the scan. */
  readonly projections: readonly string[];
  /** Identifiers in the filters pushed into the scan: the columns among them are read too. */
  readonly filterWords: readonly string[];
}

const scanOperators = new Set(['SEQ_SCAN', 'TABLE_SCAN', 'INDEX_SCAN']);
const parquetOperators = new Set(['READ_PARQUET', 'PARQUET_SCAN']);

function strings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value.length > 0 ? [value] : [];
}

/** The table and Parquet scans of an `explain (format json)` plan, depth first. */
export function planScans(plan: unknown): PlanScan[] {
  const scans: PlanScan[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const {
      name,
      extra_info: info,
      children,
    } = node as {
      name?: string;
      extra_info?: Record<string, unknown>;
      children?: unknown[];
    };
    const operator = (name ?? '').trim().toUpperCase();
    const isTable = scanOperators.has(operator) && typeof info?.Table === 'string';
    if (isTable || parquetOperators.has(operator)) {
      const words = strings(info?.Filters).flatMap(
        (f) => f.replace(/'(?:[^']|'')*'/g, '').match(/"(?:[^"]|"")+"|[A-Za-z_][\w]*/g) ?? [],
      );
      scans.push({
        ...(isTable ? { table: info!.Table as string } : {}),
        projections: strings(info?.Projections),
        filterWords: words.map((w) =>
          w.startsWith('"') ? w.slice(1, -1).replaceAll('""', '"') : w,
        ),
      });
    }
    (children ?? []).forEach(visit);
  };
  visit(plan);
  return scans;
}

/** The bytes a scan reads of a relation whose columns have `sizes`: the columns it projects or filters on. */
export function scanBytes(scan: PlanScan, sizes: Readonly<Record<string, number>>): number {
  const columns = new Set([...scan.projections, ...scan.filterWords].filter((c) => c in sizes));
  return [...columns].reduce((total, c) => total + sizes[c]!, 0);
}

/**
 * The statements of a call's text, split at the semicolons outside quotes and `--` comments; empty
 * ones (a trailing semicolon) are left out. A semicolon in a block comment splits wrongly: DuckDB
 * cannot explain the pieces, and the estimate counts every column they name.
 */
export function statementsOf(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i];
    if (char === "'" || char === '"') {
      const end = sql.indexOf(char, i + 1);
      // A doubled quote escapes itself: the scan resumes after it as after any closing quote.
      i = end < 0 ? sql.length : end;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (char === ';') {
      statements.push(sql.slice(start, i));
      start = i + 1;
    }
  }
  statements.push(sql.slice(start));
  return statements.filter((s) => s.trim().length > 0);
}

/** What Athena bills for a statement scanning `bytes`: whole megabytes, at least 10. */
export function billedBytes(bytes: number): number {
  const mb = 1024 * 1024;
  return bytes > 0 ? Math.max(10, Math.ceil(bytes / mb)) * mb : 0;
}

/**
 * Estimates statements' scanned bytes on a DuckDB connection holding the lakehouse as they ran,
 * bronze relations read from their Parquet objects (`bronze`: relation → object glob).
 */
export class ScanEstimator {
  private readonly tables = new Map<string, Record<string, number>>();
  private readonly parquet = new Map<string, Record<string, number>>();
  /** Statements estimated from every column of the relations they name. */
  fallbacks = 0;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly bronze: Readonly<Record<string, string>>,
  ) {}

  /** Forget table sizes: a statement that writes may have changed any. */
  written(): void {
    this.tables.clear();
  }

  /**
   * A call's bytes: each of its statements explained on its own (EXPLAIN takes one, and would run
   * the rest), as DuckDB's upsert is a delete and an insert where Athena runs one MERGE.
   */
  async estimate(sql: string, kind: 'execute' | 'query' | 'describe'): Promise<number> {
    if (kind === 'describe') return 0;
    let bytes = 0;
    for (const statement of statementsOf(sql)) bytes += await this.estimateOne(statement);
    return bytes;
  }

  private async estimateOne(sql: string): Promise<number> {
    const named = relationsOf(sql);
    const bronzeNamed = named.filter((r) => r in this.bronze);
    let scans: PlanScan[];
    try {
      const rows = (await this.connection.runAndReadAll(`explain (format json) ${sql}`)).getRows();
      scans = planScans(JSON.parse(String(rows[0]?.[1] ?? '[]')));
    } catch {
      this.fallbacks++;
      return this.allColumns(named);
    }
    let bytes = 0;
    const unmatched = [...bronzeNamed];
    for (const scan of scans) {
      if (scan.table !== undefined) {
        bytes += scanBytes(scan, await this.tableSizes(scan.table));
        continue;
      }
      // A Parquet read names no object: it is the first bronze relation named that has its columns.
      for (const [i, relation] of unmatched.entries()) {
        const sizes = await this.parquetSizes(relation);
        if (scan.projections.every((c) => c in sizes || c === bronzePartitionColumn)) {
          bytes += scanBytes(scan, sizes);
          unmatched.splice(i, 1);
          break;
        }
      }
    }
    return bytes;
  }

  private async allColumns(relations: readonly string[]): Promise<number> {
    let bytes = 0;
    for (const relation of relations) {
      const sizes: Record<string, number> =
        relation in this.bronze
          ? await this.parquetSizes(relation)
          : await this.tableSizes(relation).catch(() => ({}));
      bytes += Object.values(sizes).reduce((t, n) => t + n, 0);
    }
    return bytes;
  }

  private async tableSizes(table: string): Promise<Record<string, number>> {
    const cached = this.tables.get(table);
    if (cached) return cached;
    const rows = (
      await this.connection.runAndReadAll(
        `select column_id, case when len(string_split(column_path, ',')) = 1 then column_name else '' end,
                segment_type, count, persistent, block_id, block_offset, len(additional_block_ids)
         from pragma_storage_info(${d.string(table)})`,
      )
    ).getRows();
    const sizes = columnBytes(
      rows.map((r) => ({
        columnId: Number(r[0]),
        columnName: String(r[1]),
        segmentType: String(r[2]),
        count: Number(r[3]),
        persistent: Boolean(r[4]),
        blockId: Number(r[5]),
        blockOffset: Number(r[6]),
        additionalBlocks: Number(r[7] ?? 0),
      })),
    );
    this.tables.set(table, sizes);
    return sizes;
  }

  private async parquetSizes(relation: string): Promise<Record<string, number>> {
    const cached = this.parquet.get(relation);
    if (cached) return cached;
    const rows = (
      await this.connection
        .runAndReadAll(
          `select split_part(path_in_schema, ', ', 1), sum(total_compressed_size)
           from parquet_metadata(${d.string(this.bronze[relation]!)}) group by 1`,
        )
        .catch(() => undefined)
    )?.getRows();
    const sizes = Object.fromEntries((rows ?? []).map(([c, n]) => [String(c), Number(n)]));
    this.parquet.set(relation, sizes);
    return sizes;
  }
}
