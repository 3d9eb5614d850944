/**
 * Recreates the project's Glue databases and tables from a catalog export (`catalog-export.ts`):
 * after a lost or damaged catalog, once the buckets are back. What exists and equals the export is
 * left alone, so a restore can be run again; what exists and differs is replaced only when asked
 * (`overwrite`), since an Iceberg table's newer `metadata_location` would otherwise be rolled back
 * to the export's.
 */
import * as z from 'zod';
import { PipelineError } from '../errors';
import {
  catalogExportPrefix,
  catalogExportSchema,
  catalogFile,
  databaseDefinitionSchema,
  manifestFile,
  manifestSchema,
  sha256,
  tableDefinitionSchema,
  type DatabaseDefinition,
  type TableDefinition,
} from './catalog-export';

/**
 * The on-demand invocation: `{ "export": "dr/catalog/<ts>/", "databases"?: [...], "tables"?: [...],
 * "dryRun"?: true, "overwrite"?: true }`.
 */
export const catalogRestoreRequestSchema = z.strictObject({
  /** The export's folder in the audit bucket. */
  export: z
    .string()
    .regex(
      new RegExp(`^${catalogExportPrefix}[^/]+/?$`),
      `an export folder: ${catalogExportPrefix}<yyyy-mm-dd>T<hh-mm-ss>Z/`,
    )
    .transform((folder) => (folder.endsWith('/') ? folder : `${folder}/`)),
  /** Restore only these databases of the export. @default every one */
  databases: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Restore only these tables (`database.table`), and their databases where missing: one table
   * put back without touching its neighbours. @default every table of the selected databases
   */
  tables: z
    .array(z.string().regex(/^[^.]+\.[^.]+$/, 'a table as database.table'))
    .min(1)
    .optional(),
  /** Report what would change, change nothing. @default false */
  dryRun: z.boolean().default(false),
  /** Replace existing databases and tables that differ from the export. @default false */
  overwrite: z.boolean().default(false),
});
export type CatalogRestoreRequest = z.input<typeof catalogRestoreRequestSchema>;

/** Where the restore reads the export and the catalog, and changes the catalog. */
export interface CatalogRestorePorts {
  /** An object of the audit bucket, or undefined when there is none. */
  get(key: string): Promise<string | undefined>;
  /** The database as Glue returns it (GetDatabase), or undefined when there is none. */
  getDatabase(name: string): Promise<unknown>;
  /** Every table of the database, as Glue returns it (GetTables). */
  listTables(database: string): Promise<readonly unknown[]>;
  createDatabase(database: DatabaseDefinition): Promise<void>;
  updateDatabase(database: DatabaseDefinition): Promise<void>;
  createTable(database: string, table: TableDefinition): Promise<void>;
  updateTable(database: string, table: TableDefinition): Promise<void>;
}

/** What a restore did (or, in a dry run, would do), by `database` or `database.table`. */
export interface CatalogRestoreSummary {
  readonly export: string;
  readonly exportedAt: string;
  readonly dryRun: boolean;
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly skipped: { readonly name: string; readonly reason: string }[];
}

/**
 * A definition without what Glue may fill in or leave out on its own (undefined, empty objects
 * and arrays), keys sorted: two definitions compare equal when this text is.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, canonical(v)] as const)
      .filter(
        ([, v]) =>
          v !== undefined &&
          !(Array.isArray(v) && v.length === 0) &&
          !(
            typeof v === 'object' &&
            v !== null &&
            !Array.isArray(v) &&
            Object.keys(v).length === 0
          ),
      )
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return Object.fromEntries(entries);
  }
  return value;
}

/** The top-level fields where `current` differs from `exported`. */
function differences(current: object, exported: object): string[] {
  const a = canonical(current) as Record<string, unknown>;
  const b = canonical(exported) as Record<string, unknown>;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .sort();
}

/** Reads an export, refusing one that is incomplete, altered or not this format. */
async function readExport(ports: CatalogRestorePorts, folder: string) {
  const manifestText = await ports.get(`${folder}${manifestFile}`);
  if (manifestText === undefined)
    throw new PipelineError(
      `Catalog restore: ${folder}${manifestFile} does not exist: not an export, or one that did not finish (the manifest is written last)`,
    );
  const manifest = parseJson(manifestSchema, manifestText, `${folder}${manifestFile}`);
  const text = await ports.get(`${folder}${catalogFile}`);
  if (text === undefined)
    throw new PipelineError(`Catalog restore: ${folder}${catalogFile} does not exist`);
  const actual = sha256(text);
  if (actual !== manifest.sha256)
    throw new PipelineError(
      `Catalog restore: ${folder}${catalogFile} has SHA-256 ${actual}, its manifest says ${manifest.sha256}: the export is damaged, refusing to restore it`,
    );
  const exported = parseJson(catalogExportSchema, text, `${folder}${catalogFile}`);
  const tables = exported.databases.reduce((n, d) => n + d.tables.length, 0);
  if (exported.databases.length !== manifest.databases || tables !== manifest.tables)
    throw new PipelineError(
      `Catalog restore: ${folder}${catalogFile} holds ${exported.databases.length} databases and ${tables} tables, its manifest says ${manifest.databases} and ${manifest.tables}`,
    );
  return exported;
}

function parseJson<S extends z.ZodType>(schema: S, text: string, file: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PipelineError(`Catalog restore: ${file} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new PipelineError(
      `Catalog restore: ${file} is invalid: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}

/**
 * Restores the export's databases (all, or `databases`) and their tables: creates what is
 * missing, leaves what equals the export, and replaces what differs only with `overwrite`. A Lake
 * Formation multi-dialect view (a persona view) is skipped: CreateTable cannot define one, and
 * the catalog sync defines it again on its next run.
 */
export async function restoreCatalog(
  ports: CatalogRestorePorts,
  input: unknown,
): Promise<CatalogRestoreSummary> {
  const parsedRequest = catalogRestoreRequestSchema.safeParse(input);
  if (!parsedRequest.success)
    throw new PipelineError(
      `Catalog restore: invalid request: ${z.prettifyError(parsedRequest.error)}`,
    );
  const request = parsedRequest.data;
  const exported = await readExport(ports, request.export);
  const names = exported.databases.map((d) => d.database.Name);
  const unknown = (request.databases ?? []).filter((d) => !names.includes(d));
  if (unknown.length > 0)
    throw new PipelineError(
      `Catalog restore: ${unknown.join(', ')} not in ${request.export} (it holds ${names.join(', ')})`,
    );
  const exportedTables = new Set(
    exported.databases.flatMap((d) => d.tables.map((t) => `${d.database.Name}.${t.Name}`)),
  );
  const unknownTables = (request.tables ?? []).filter((t) => !exportedTables.has(t));
  if (unknownTables.length > 0)
    throw new PipelineError(
      `Catalog restore: table ${unknownTables.join(', ')} not in ${request.export}`,
    );
  const wantedTables = request.tables && new Set(request.tables);
  const summary: CatalogRestoreSummary = {
    export: request.export,
    exportedAt: exported.exportedAt,
    dryRun: request.dryRun,
    created: [],
    updated: [],
    unchanged: [],
    skipped: [],
  };
  const write = async (change: () => Promise<void>) => {
    if (!request.dryRun) await change();
  };
  const selected = exported.databases.filter(
    (d) =>
      (!request.databases || request.databases.includes(d.database.Name)) &&
      (!wantedTables || d.tables.some((t) => wantedTables.has(`${d.database.Name}.${t.Name}`))),
  );
  for (const { database, tables } of selected) {
    const name = database.Name;
    const found = await ports.getDatabase(name);
    if (found === undefined) {
      await write(() => ports.createDatabase(database));
      summary.created.push(name);
    } else {
      const changed = differences(databaseDefinitionSchema.parse(found), database);
      if (changed.length === 0) summary.unchanged.push(name);
      else if (request.overwrite) {
        await write(() => ports.updateDatabase(database));
        summary.updated.push(name);
      } else
        summary.skipped.push({
          name,
          reason: `differs from the export in ${changed.join(', ')}; pass "overwrite": true to replace it`,
        });
    }
    const current = new Map(
      (found === undefined ? [] : await ports.listTables(name)).map((t) => {
        const table = tableDefinitionSchema.parse(t);
        return [table.Name, table] as const;
      }),
    );
    for (const table of tables) {
      const qualified = `${name}.${table.Name}`;
      if (wantedTables && !wantedTables.has(qualified)) continue;
      if (table.IsMultiDialectView === true || table.ViewDefinition !== undefined) {
        summary.skipped.push({
          name: qualified,
          reason:
            'a Lake Formation multi-dialect view (persona view): CreateTable cannot define it; the catalog sync defines it again on its next run',
        });
        continue;
      }
      const existing = current.get(table.Name);
      if (!existing) {
        await write(() => ports.createTable(name, table));
        summary.created.push(qualified);
        continue;
      }
      const changed = differences(existing, table);
      if (changed.length === 0) summary.unchanged.push(qualified);
      else if (request.overwrite) {
        await write(() => ports.updateTable(name, table));
        summary.updated.push(qualified);
      } else
        summary.skipped.push({
          name: qualified,
          reason: `differs from the export in ${changed.join(', ')}; pass "overwrite": true to replace it${table.Parameters?.metadata_location ? ` (an Iceberg table: overwriting points it back at ${table.Parameters.metadata_location})` : ''}`,
        });
    }
  }
  return summary;
}
