import { createHash, randomUUID } from 'node:crypto';
import { PipelineError } from '../../core/errors';
import type { SqlDialect } from '../../core/ports';

const quoteText = (value: string) => `'${value.replaceAll("'", "''")}'`;
const quoteIdentifier = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const relation = (logicalName: string) =>
  logicalName
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
const timestamp = (iso: string) =>
  `timestamp ${quoteText(iso.replace('T', ' ').replace(/Z$/, ''))}`;

/**
 * DuckDB's side of every engine difference. Logical relations map one to one: `silver.orders`
 * is schema `silver`, table `orders` of the lakehouse file; bronze views live in an in-memory
 * catalog named `bronze`; scratch tables are temporary.
 */
export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quote: quoteIdentifier,
  relation,
  columnType: (portableType) => portableType,
  string: quoteText,
  timestamp,
  date: (isoDate) => `date ${quoteText(isoDate)}`,
  regexMatches: (expression, pattern) => `regexp_full_match(${expression}, ${quoteText(pattern)})`,
  regexReplaceAll: (expression, pattern, replacement) =>
    `regexp_replace(${expression}, ${quoteText(pattern)}, ${quoteText(replacement)}, 'g')`,
  jsonText: (expression, path) =>
    `case when json_valid(${expression}) then json_extract_string(${expression}, ${quoteText(path)}) end`,
  jsonValid: (expression) => `coalesce(json_valid(${expression}), false)`,
  parseIsoTimestamp: (expression) => `try_cast(${expression} as timestamp)`,
  tryCast: (expression, type) => `try_cast(${expression} as ${type})`,
  isoDayOfWeek: (expression) => `isodow(${expression})`,
  // Not reservoir_quantile: its sample is the first 8,192 rows read, not a random one.
  quantiles: (expression, fractions, exact) =>
    `${exact ? 'quantile_cont' : 'approx_quantile'}(cast(${expression} as double), [${fractions.join(', ')}])`,
  approxDistinct: (expression) => `approx_count_distinct(${expression})`,
  sha256Hex: (expression) => `sha256(${expression})`,
  hmacSha256Hex: (expression, key) => {
    const { inner, outer } = hmacPads(key);
    // DuckDB has no HMAC: RFC 2104 spelled out, H((K ^ opad) || H((K ^ ipad) || m)), with the
    // padded keys precomputed and each inner digest turned back into its 32 bytes.
    return `sha256(unhex('${outer}') || unhex(sha256(unhex('${inner}') || encode(${expression}))))`;
  },
  dateSpine: (start, end) =>
    `(select cast(unnest(generate_series(cast(${start} as timestamp), cast(${end} as timestamp), interval 1 day)) as date) as date_day)`,
  createTableAs: (relation, select) => `create table ${relation} as ${select}`,
  createOrReplaceTableAs: (relation, select) => [
    `create or replace table ${relation} as ${select}`,
  ],
  // Not MERGE: DuckDB updates rows in place, and the checkpoint after a large commit (one estimated
  // to write more than `auto_checkpoint_skip_wal_threshold` to the WAL is checkpointed instead)
  // then recompresses every updated column of every row group holding an updated row. For 10,000 changed customers spread
  // over a million, that is the whole table (0.65-0.85 s). A delete only marks rows and an insert
  // appends them, so the checkpoint writes the new rows alone. Both statements go in one call, as
  // one MERGE does on Athena, in the model's transaction.
  upsert: (u) => {
    const columns = u.columns.map(quoteIdentifier).join(', ');
    const kept = u.replacesEveryMatch
      ? ''
      : ` and not exists (select 1 from ${u.target} t where ${u.on})`;
    return `delete from ${u.target} t using ${u.source} s where ${u.on} and ${u.replaces};
insert into ${u.target} (${columns}) select ${u.columns.map((c) => `s.${quoteIdentifier(c)}`).join(', ')} from ${u.source} s where not s._deleted${kept}`;
  },
  stagingRelation: (name) => `"stage_${name}"`,
  createStagingTable: (relation, select) => `create or replace temp table ${relation} as ${select}`,
  dropTable: (relation) => `drop table if exists ${relation}`,
  maintenance: {
    dropTable: (logicalName) => `drop table if exists ${relation(logicalName)}`,
    deleteBefore: (logicalName, column, iso) =>
      `delete from ${relation(logicalName)} where "${column}" < ${timestamp(iso)}`,
    // The lakehouse keeps deletes as marks (it runs without DuckDB's vacuum): rewriting the table
    // from its live rows drops them, and the checkpoint hands DuckDB the blocks they held.
    compact: (logicalName) => [
      `create or replace table ${relation(logicalName)} as select * from ${relation(logicalName)}`,
    ],
    reclaimSpace: () => ['checkpoint'],
  },
};

/** SHA-256's block size in bytes: RFC 2104 pads (or first hashes) the key to it. */
const blockBytes = 64;

/** The key XOR ipad (0x36) and XOR opad (0x5c), as hex, per RFC 2104 section 2. */
function hmacPads(key: Uint8Array): { inner: string; outer: string } {
  const block = Buffer.alloc(blockBytes);
  Buffer.from(key.length > blockBytes ? createHash('sha256').update(key).digest() : key).copy(
    block,
  );
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte)).toString('hex');
  return { inner: pad(0x36), outer: pad(0x5c) };
}

/** Sortable and unique, as Athena's version ids: UTC time to the millisecond plus randomness. */
export function freshId(): string {
  return `${new Date().toISOString().replace(/\D/g, '')}_${randomUUID().slice(0, 8)}`;
}

/**
 * The dialect of the local platform's lakehouse: `table` models are published as Athena publishes
 * them (see `athenaDialect`), a view over their latest version `<table>__v<id>`, so superseded
 * versions, and their maintenance, exist locally too. `mergeTargets` (incremental and scd2
 * models) stay plain tables, since MERGE cannot write through a view.
 */
export function versionedDuckdbDialect(mergeTargets: readonly string[]): SqlDialect {
  const merged = new Set(mergeTargets.map(relation));
  return {
    ...duckdbDialect,
    createOrReplaceTableAs: (target, select) => {
      if (merged.has(target)) return duckdbDialect.createOrReplaceTableAs(target, select);
      const match = /^"([a-z_][a-z0-9_]*)"\."([a-z_][a-z0-9_]*)"$/.exec(target);
      if (!match) throw new PipelineError(`DuckDB dialect: cannot version ${target}`);
      const version = `"${match[1]}"."${match[2]}__v${freshId()}"`;
      return [
        `create table ${version} as ${select}`,
        `create or replace view ${target} as select * from ${version}`,
      ];
    },
  };
}
