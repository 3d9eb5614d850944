/**
 * The Glue Data Catalog is not covered by AWS Backup: restoring the lake's buckets brings back the
 * files, but not the databases and tables that make them queryable, nor which `metadata.json` is
 * each Iceberg table's current one. The catalog export writes every database and table definition
 * of the project, in the shape CreateDatabase and CreateTable take, to the audit bucket, which AWS
 * Backup does cover; the catalog restore (`catalog-restore.ts`) recreates them from it.
 *
 * An export is a folder `dr/catalog/<yyyy-mm-dd>T<hh-mm-ss>Z/` holding `catalog.json` and then
 * `manifest.json`, written last with the catalog's SHA-256 and counts: a folder without a manifest,
 * or whose catalog does not hash to it, is an export that did not finish and is never restored.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { PipelineError } from '../errors';

/** Where exports go in the audit bucket: no table lives there, so S3 may expire them. */
export const catalogExportPrefix = 'dr/catalog/';
export const catalogFile = 'catalog.json';
export const manifestFile = 'manifest.json';

/** `dr/catalog/2026-12-06T03-30-00Z/`: sortable, and free of the `:` S3 consoles and shells trip on. */
export function exportFolder(at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replaceAll(':', '-');
  return `${catalogExportPrefix}${stamp}/`;
}

const parameters = z.record(z.string(), z.string());
const column = z.looseObject({ Name: z.string().min(1), Type: z.string().optional() });

/**
 * A table as CreateTable takes it (TableInput), kept from what GetTables returns: unknown keys are
 * dropped, which drops what Glue sets itself (CreateTime, UpdateTime, VersionId, CreatedBy,
 * DatabaseName, CatalogId, IsRegisteredWithLakeFormation...). The storage descriptor is kept
 * whole: its output and input shapes are the same. An Iceberg table's `Parameters` hold its
 * `table_type` and `metadata_location`; a Hive view has its `ViewOriginalText`; a Lake Formation
 * multi-dialect view its `ViewDefinition`.
 */
export const tableDefinitionSchema = z.object({
  Name: z.string().min(1),
  Description: z.string().optional(),
  Owner: z.string().optional(),
  Retention: z.number().int().optional(),
  TableType: z.string().optional(),
  Parameters: parameters.optional(),
  StorageDescriptor: z
    .looseObject({ Columns: z.array(column).optional(), Location: z.string().optional() })
    .optional(),
  PartitionKeys: z.array(column).optional(),
  ViewOriginalText: z.string().optional(),
  ViewExpandedText: z.string().optional(),
  TargetTable: z.looseObject({}).optional(),
  /** Kept only when true: Glue says `false` of every other table, and takes no such input. */
  IsMultiDialectView: z
    .boolean()
    .optional()
    .transform((multiDialect) => (multiDialect === true ? true : undefined)),
  ViewDefinition: z.looseObject({}).optional(),
});
export type TableDefinition = z.output<typeof tableDefinitionSchema>;

/** A database as CreateDatabase takes it (DatabaseInput), kept from GetDatabases' output. */
export const databaseDefinitionSchema = z.object({
  Name: z.string().min(1),
  Description: z.string().optional(),
  LocationUri: z.string().optional(),
  Parameters: parameters.optional(),
  /** The lake's are `[]`: no IAMAllowedPrincipals grant on new tables. Restored as exported. */
  CreateTableDefaultPermissions: z.array(z.looseObject({})).optional(),
});
export type DatabaseDefinition = z.output<typeof databaseDefinitionSchema>;

export const catalogExportSchema = z.strictObject({
  format: z.literal(1),
  exportedAt: z.iso.datetime(),
  databases: z.array(
    z.strictObject({
      database: databaseDefinitionSchema,
      tables: z.array(tableDefinitionSchema),
    }),
  ),
});
export type CatalogExport = z.output<typeof catalogExportSchema>;

export const manifestSchema = z.strictObject({
  format: z.literal(1),
  exportedAt: z.iso.datetime(),
  file: z.literal(catalogFile),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a hex SHA-256'),
  databases: z.number().int().nonnegative(),
  tables: z.number().int().nonnegative(),
  icebergTables: z.number().int().nonnegative(),
  views: z.number().int().nonnegative(),
});
export type CatalogManifest = z.output<typeof manifestSchema>;

/** Where the export reads the catalog (GetDatabases, GetTables: every page) and writes the export. */
export interface CatalogExportPorts {
  /** Every database of the account's catalog the caller may see, as Glue returns it. */
  listDatabases(): Promise<readonly unknown[]>;
  /** Every table of the database, as Glue returns it. */
  listTables(database: string): Promise<readonly unknown[]>;
  /** Writes an object of the audit bucket. */
  put(key: string, text: string): Promise<void>;
}

const isIceberg = (t: TableDefinition) => t.Parameters?.table_type?.toUpperCase() === 'ICEBERG';
const isView = (t: TableDefinition) =>
  t.TableType === 'VIRTUAL_VIEW' ||
  t.ViewOriginalText !== undefined ||
  t.IsMultiDialectView === true;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What one export wrote, for the function's result and log. */
export interface CatalogExportSummary {
  readonly export: string;
  readonly manifest: CatalogManifest;
}

function parseEach<S extends z.ZodType>(
  schema: S,
  items: readonly unknown[],
  what: string,
): z.output<S>[] {
  return items.map((item, i) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      const name = (item as { Name?: unknown } | undefined)?.Name;
      throw new PipelineError(
        `Catalog export: ${what} ${typeof name === 'string' ? name : `#${i + 1}`} cannot be exported: ${z.prettifyError(parsed.error)}`,
      );
    }
    return parsed.data;
  });
}

const byName = (a: { Name: string }, b: { Name: string }) => (a.Name < b.Name ? -1 : 1);

/**
 * Exports the project's databases (those named `<databasePrefix>...`: the lake's layers and the
 * personas') and all their tables, then the manifest. Refuses to write an export of nothing: no
 * database of the project visible means a wrong prefix or missing permissions, not an empty lake.
 */
export async function exportCatalog(
  ports: CatalogExportPorts,
  options: { readonly databasePrefix: string; readonly now: Date },
): Promise<CatalogExportSummary> {
  const databases = parseEach(databaseDefinitionSchema, await ports.listDatabases(), 'database')
    .filter((d) => d.Name.startsWith(options.databasePrefix))
    .sort(byName);
  if (databases.length === 0)
    throw new PipelineError(
      `Catalog export: no Glue database named ${options.databasePrefix}* is visible; check the function's Glue and Lake Formation permissions (DESCRIBE)`,
    );
  const exported: CatalogExport = {
    format: 1,
    exportedAt: options.now.toISOString(),
    databases: [],
  };
  for (const database of databases) {
    const tables = parseEach(
      tableDefinitionSchema,
      await ports.listTables(database.Name),
      `table of ${database.Name}`,
    ).sort(byName);
    exported.databases.push({ database, tables });
  }
  const text = `${JSON.stringify(exported, null, 2)}\n`;
  const tables = exported.databases.flatMap((d) => d.tables);
  const manifest: CatalogManifest = {
    format: 1,
    exportedAt: exported.exportedAt,
    file: catalogFile,
    sha256: sha256(text),
    databases: databases.length,
    tables: tables.length,
    icebergTables: tables.filter(isIceberg).length,
    views: tables.filter(isView).length,
  };
  const folder = exportFolder(options.now);
  await ports.put(`${folder}${catalogFile}`, text);
  // Last: an export whose manifest exists is complete.
  await ports.put(`${folder}${manifestFile}`, `${JSON.stringify(manifest, null, 2)}\n`);
  return { export: folder, manifest };
}
