import { randomUUID } from 'node:crypto';
import { glueDatabaseName, lakeSchemas, type LakeSchema } from '../../core/aws-names';
import { PipelineError } from '../../core/errors';
import type { ModelProject } from '../../core/models/project';
import { mergeStatement } from '../../core/models/upsert';
import type { SqlDialect } from '../../core/ports';

export interface AthenaDialectOptions {
  readonly project: string;
  readonly env: string;
  /** `s3://bucket/prefix/` under which each logical schema's tables live (see `schemaLocations`). */
  readonly locations: Readonly<Record<LakeSchema, string>>;
  /**
   * Logical names of the models that are MERGEd into ({@link mergeTargetsOf}): built once with a
   * plain Iceberg CTAS, since a view cannot be a MERGE target. Every other relation that
   * `createOrReplaceTableAs` builds is published through a view.
   */
  readonly mergeTargets: readonly string[];
}

/** The incremental and scd2 models of a project: the relations MERGE and INSERT write into. */
export function mergeTargetsOf(models: ModelProject): string[] {
  return models.models.filter((m) => m.config.materialization !== 'table').map((m) => m.name);
}

/** A logical relation (`silver.orders`) as Glue names it. */
export interface GlueTableName {
  readonly schema: LakeSchema;
  readonly database: string;
  readonly table: string;
}

export function glueTableName(project: string, env: string, logicalName: string): GlueTableName {
  const [schema, table, ...rest] = logicalName.split('.');
  if (!isLakeSchema(schema) || !table || rest.length > 0) {
    throw new PipelineError(
      `${logicalName} is not a lake relation <schema>.<table> (schemas: ${lakeSchemas.join(', ')})`,
    );
  }
  return { schema, database: glueDatabaseName(project, env, schema), table };
}

function isLakeSchema(name: string | undefined): name is LakeSchema {
  return (lakeSchemas as readonly string[]).includes(name ?? '');
}

const quoteText = (value: string) => `'${value.replaceAll("'", "''")}'`;
const quoteIdentifier = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const physicalRelation = /^"((?:[^"]|"")+)"\."((?:[^"]|"")+)"$/;

/** Portable contract types and their Athena (Trino) spelling; DECIMAL(p,s) is handled apart. */
const athenaTypes: Readonly<Record<string, string>> = {
  BIGINT: 'bigint',
  INTEGER: 'integer',
  DOUBLE: 'double',
  BOOLEAN: 'boolean',
  DATE: 'date',
  VARCHAR: 'varchar',
  // Iceberg stores microseconds; Athena's default timestamp(3) cannot be written to an Iceberg column.
  TIMESTAMP: 'timestamp(6)',
};

const isoInstant = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z?$/;

/** Sortable and unique: `20260102030000123_3fa9c1d2`, UTC time to the millisecond plus randomness. */
function freshId(): string {
  return `${new Date().toISOString().replace(/\D/g, '')}_${randomUUID().slice(0, 8)}`;
}

/**
 * Athena engine v3 (Trino) on Iceberg tables: Athena's side of every engine difference. Logical
 * schemas are Glue databases (`silver.orders` is `"medallion_dev_silver"."orders"`); every table
 * the platform creates is an Iceberg table, so it can be MERGEd, updated, time-travelled and
 * compacted.
 *
 * **Replacing a table** (`createOrReplaceTableAs`). Athena has neither `CREATE OR REPLACE TABLE`
 * nor multi-statement transactions, and renaming tables leaves a moment with no table at all. The
 * one atomic switch Athena offers is `CREATE OR REPLACE VIEW` (a single Glue update), so a
 * replaced relation is a view over its latest version: the SELECT is written to a new Iceberg
 * table `<table>__v<id>`, then the view is pointed at it. Readers see the previous version or the
 * new one, never a half-written table, and a crash before the switch leaves the previous version
 * published. Consequences:
 * - `relationExists` is true for such a relation (Glue holds the view), as it should be.
 * - Superseded versions are left in place: an Iceberg `DROP TABLE` deletes the files, and a query
 *   that started before the switch may still be reading them. Their ids sort by creation time,
 *   and the maintenance job (`core/maintenance.ts`) drops them once a grace period has passed.
 * - Lake Formation grants must cover the version tables too (grant by LF-tag on the database).
 * - A view cannot be a MERGE target, and incremental and scd2 models are built with
 *   `createOrReplaceTableAs` only while they do not exist yet, then MERGEd into: for those
 *   ({@link AthenaDialectOptions.mergeTargets}) it is a plain Iceberg CTAS. Changing a model's
 *   materialization between `table` and the others therefore needs its relation dropped first.
 *
 * **Scratch tables** are Iceberg too (Parquet files underneath), under a fresh name per
 * `stagingRelation` call: a Hive CTAS refuses `timestamp(6)` columns ("Incorrect timestamp
 * precision for timestamp(6); the configured precision is MILLISECONDS"), which staged silver and
 * gold rows carry, and a scratch table left by a crashed run never blocks the next one.
 *
 * Every CTAS writes to a location of its own (`<schema location><table>/<id>/`): Iceberg refuses
 * to create a table on a non-empty location, which a CTAS that failed half-way leaves behind.
 */
export function athenaDialect(options: AthenaDialectOptions): SqlDialect {
  const { project, env } = options;
  for (const schema of lakeSchemas) {
    const location = options.locations[schema];
    if (!/^s3:\/\/[^/]+\/(.+\/)?$/.test(location ?? '')) {
      throw new PipelineError(
        `Athena dialect: the location of schema ${schema} must be s3://bucket/prefix/ ending in a slash, found ${location}`,
      );
    }
  }
  const schemaOf = new Map(lakeSchemas.map((s) => [glueDatabaseName(project, env, s), s]));
  const relation = (logicalName: string) => {
    const { database, table } = glueTableName(project, env, logicalName);
    return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
  };
  const mergeTargets = new Set(options.mergeTargets.map(relation));

  /** Database, table and schema of a physical relation as {@link relation} spells it. */
  const parse = (physical: string) => {
    const match = physicalRelation.exec(physical);
    const database = match?.[1]?.replaceAll('""', '"') ?? '';
    const table = match?.[2]?.replaceAll('""', '"') ?? '';
    const schema = schemaOf.get(database);
    if (!schema) {
      throw new PipelineError(
        `Athena dialect: ${physical} is not a relation of this lake ("${glueDatabaseName(project, env, 'silver')}"."<table>" and the like)`,
      );
    }
    return { database, table, location: `${options.locations[schema]}${table}/` };
  };
  const icebergTableAs = (target: string, location: string, select: string) =>
    `create table ${target} with (table_type = 'ICEBERG', is_external = false, location = ${quoteText(location)}) as ${select}`;
  const columnType = (portableType: string) => {
    const type = portableType.trim().toUpperCase();
    const decimal = /^DECIMAL\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
    if (decimal) return `decimal(${decimal[1]}, ${decimal[2]})`;
    const athena = athenaTypes[type];
    if (!athena) {
      throw new PipelineError(
        `Athena dialect: no Athena type for ${portableType} (portable types: ${Object.keys(athenaTypes).join(', ')}, DECIMAL(p,s))`,
      );
    }
    return athena;
  };
  /**
   * `db.table` unquoted, for the statements Athena parses as Hive DDL or as its own (DROP TABLE,
   * ALTER TABLE, OPTIMIZE, VACUUM): Hive takes backticks where Trino takes double quotes, and the
   * lake's names are plain identifiers that need neither.
   */
  const plainName = (logicalName: string) => {
    const { database, table } = glueTableName(project, env, logicalName);
    if (!/^[a-z][a-z0-9_]*$/.test(table)) {
      throw new PipelineError(
        `Athena dialect: ${logicalName} is not a plain lower-case name, which table maintenance needs`,
      );
    }
    return `${database}.${table}`;
  };
  const timestamp = (iso: string) => {
    const match = isoInstant.exec(iso);
    if (!match) throw new PipelineError(`Athena dialect: ${iso} is not an ISO-8601 UTC instant`);
    const micros = (match[3] ?? '').padEnd(6, '0').slice(0, 6);
    return `timestamp '${match[1]} ${match[2]}.${micros}'`;
  };
  const jsonValid = (expression: string) => `(try(json_parse(${expression})) is not null)`;
  const createTableAs = (target: string, select: string) =>
    icebergTableAs(target, `${parse(target).location}${freshId()}/`, select);

  return {
    name: 'athena',
    quote: quoteIdentifier,
    relation,
    columnType,
    string: quoteText,
    timestamp,
    date: (isoDate) => `date ${quoteText(isoDate)}`,
    // `$` also matches before a final line break in Java-style regexes; `\z` is the very end.
    regexMatches: (expression, pattern) =>
      `regexp_like(${expression}, ${quoteText(`\\A(?:${pattern})\\z`)})`,
    // Group references in the replacement are engine-specific; the platform passes literal text.
    regexReplaceAll: (expression, pattern, replacement) =>
      `regexp_replace(${expression}, ${quoteText(pattern)}, ${quoteText(replacement)})`,
    // As DuckDB's json_extract_string: a scalar's text, an object's or array's JSON, NULL for JSON null.
    jsonText: (expression, path) =>
      `case when ${jsonValid(expression)} then coalesce(json_extract_scalar(${expression}, ${quoteText(path)}), nullif(json_format(json_extract(${expression}, ${quoteText(path)})), 'null')) end`,
    jsonValid,
    // Casting a timestamp with time zone to timestamp fails in Athena engine v3, so the UTC
    // designator is dropped from the text instead of parsing the zone; other offsets give NULL.
    parseIsoTimestamp: (expression) =>
      `try_cast(replace(regexp_replace(${expression}, '(?:Z|[+-]00:?00)$', ''), 'T', ' ') as timestamp(6))`,
    tryCast: (expression, type) => `try_cast(${expression} as ${columnType(type)})`,
    isoDayOfWeek: (expression) => `day_of_week(${expression})`,
    // Athena has no exact percentile; approx_percentile is a quantile sketch over every row.
    quantiles: (expression, fractions) =>
      `approx_percentile(cast(${expression} as double), array[${fractions.join(', ')}])`,
    approxDistinct: (expression) => `approx_distinct(${expression})`,
    sha256Hex: (expression) => `lower(to_hex(sha256(to_utf8(${expression}))))`,
    // https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html points to Trino's binary
    // functions (https://trino.io/docs/current/functions/binary.html): hmac_sha256(binary, key)
    // → varbinary, "Computes HMAC with SHA256 of binary with the given key".
    hmacSha256Hex: (expression, key) =>
      `lower(to_hex(hmac_sha256(to_utf8(${expression}), from_hex('${Buffer.from(key).toString('hex')}'))))`,
    // sequence() fails when start > end where DuckDB's generate_series is empty: the CASE makes it
    // empty too. A sequence holds at most 10,000 elements (27 years of days).
    dateSpine: (start, end) => {
      const [from, to] = [`cast(${start} as date)`, `cast(${end} as date)`];
      return `(select date_day from unnest(case when ${from} <= ${to} then sequence(${from}, ${to}, interval '1' day) end) as spine(date_day))`;
    },
    createTableAs,
    createOrReplaceTableAs: (target, select) => {
      if (mergeTargets.has(target)) return [createTableAs(target, select)];
      const { database, table, location } = parse(target);
      const id = freshId();
      const version = `${quoteIdentifier(database)}.${quoteIdentifier(`${table}__v${id}`)}`;
      return [
        icebergTableAs(version, `${location}${id}/`, select),
        `create or replace view ${target} as select * from ${version}`,
      ];
    },
    upsert: (u) => mergeStatement(u, quoteIdentifier),
    stagingRelation: (name) => relation(`scratch.${name}__${freshId()}`),
    createStagingTable: (target, select) => icebergTableAs(target, parse(target).location, select),
    // Athena runs DROP TABLE as Hive DDL, which takes backticks and refuses double quotes.
    // https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html
    dropTable: (target) => {
      const { database, table } = parse(target);
      return `drop table if exists \`${database}\`.\`${table}\``;
    },
    maintenance: {
      dropTable: (logicalName) => `drop table if exists ${plainName(logicalName)}`,
      deleteBefore: (logicalName, column, iso) =>
        `delete from ${relation(logicalName)} where ${quoteIdentifier(column)} < ${timestamp(iso)}`,
      // VACUUM expires the snapshots older than the table's vacuum_max_snapshot_age_seconds and
      // deletes the files only they referenced; setting it here covers every table, including
      // those created before the setting existed and the audit tables the functions create.
      compact: (logicalName, snapshotRetentionSeconds) => {
        const table = plainName(logicalName);
        return [
          `alter table ${table} set tblproperties ('vacuum_max_snapshot_age_seconds' = '${Math.round(snapshotRetentionSeconds)}', 'vacuum_min_snapshots_to_keep' = '1')`,
          `optimize ${table} rewrite data using bin_pack`,
          `vacuum ${table}`,
        ];
      },
      reclaimSpace: () => [],
    },
  };
}
