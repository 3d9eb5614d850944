import {
  CreateDatabaseCommand,
  CreateTableCommand,
  EntityNotFoundException,
  GetDatabaseCommand,
  GetDatabasesCommand,
  GetTablesCommand,
  GlueClient,
  UpdateDatabaseCommand,
  UpdateTableCommand,
  type Database,
  type Table,
} from '@aws-sdk/client-glue';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GlueCatalogBackup } from '../../../lambdas/adapters/aws/glue-catalog-backup';
import { glueCatalogBackupIam } from '../../../lambdas/adapters/aws/iam-calls';
import { sha256 } from '../../../lambdas/core/backup/catalog-export';
import { TransientError } from '../../../lambdas/core/errors';
import { createCatalogExportHandler } from '../../../lambdas/handlers/catalog-export';
import { createCatalogRestoreHandler } from '../../../lambdas/handlers/catalog-restore';
import { expectDeclaredCommands } from '../../helpers/declared-calls';
import { fakeS3, s3Client } from './fake-s3';

const auditBucket = 'medallion-dev-audit-111111111111-eu-west-1';
const now = new Date('2026-12-06T03:30:00.123Z');
const folder = 'dr/catalog/2026-12-06T03-30-00Z/';
const logger = { info: () => {}, warn: () => {} };

/** An Iceberg table as Glue returns it: with what Glue sets itself (times, version, catalog). */
const orders = (metadata = '00002-b.metadata.json'): Table => ({
  Name: 'crm_orders',
  DatabaseName: 'medallion_dev_silver',
  CatalogId: '111111111111',
  CreateTime: new Date('2026-01-01T00:00:00Z'),
  UpdateTime: new Date('2026-12-05T00:00:00Z'),
  VersionId: '7',
  IsRegisteredWithLakeFormation: true,
  IsMultiDialectView: false,
  TableType: 'EXTERNAL_TABLE',
  Parameters: {
    table_type: 'ICEBERG',
    metadata_location: `s3://lake-silver/crm/orders/metadata/${metadata}`,
  },
  StorageDescriptor: {
    Columns: [
      { Name: 'order_id', Type: 'bigint' },
      { Name: 'amount', Type: 'decimal(12,2)', Comment: 'EUR' },
    ],
    Location: 's3://lake-silver/crm/orders',
  },
  PartitionKeys: [],
});
/** A Hive view, as Athena's CREATE VIEW leaves it. */
const openOrders: Table = {
  Name: 'open_orders',
  TableType: 'VIRTUAL_VIEW',
  ViewOriginalText: '/* Presto View: eyJvcmlnaW5hbFNxbCI6InNlbGVjdCAxIn0= */',
  ViewExpandedText: '/* Presto View */',
  Parameters: { presto_view: 'true' },
  StorageDescriptor: { Columns: [{ Name: 'order_id', Type: 'bigint' }] },
};
/** A persona's multi-dialect view (Lake Formation), which the catalog sync defines. */
const personaView: Table = {
  Name: 'customer_360',
  IsMultiDialectView: true,
  TableType: 'VIRTUAL_VIEW',
  ViewDefinition: {
    IsProtected: true,
    Definer: 'arn:aws:iam::111111111111:role/catalog-sync',
    Representations: [{ Dialect: 'ATHENA', ViewOriginalText: 'SELECT 1' }],
  },
};

/**
 * Glue as far as the catalog backup uses it: databases and tables kept in memory, returned one
 * per page (so every listing paginates), created and updated as Glue would.
 */
function fakeGlue(initial: Record<string, { database?: Omit<Database, 'Name'>; tables: Table[] }>) {
  const catalog = new Map(
    Object.entries(initial).map(([name, d]) => [
      name,
      {
        database: { Name: name, ...d.database },
        tables: new Map(d.tables.map((t) => [t.Name!, t])),
      },
    ]),
  );
  const mock = mockClient(GlueClient);
  const page = <T>(items: T[], token: string | undefined) => {
    const at = token === undefined ? 0 : Number(token);
    return {
      items: items.slice(at, at + 1),
      next: at + 1 < items.length ? String(at + 1) : undefined,
    };
  };
  const missing = (what: string) =>
    new EntityNotFoundException({ message: `${what} not found`, $metadata: {} });
  mock.on(GetDatabasesCommand).callsFake((input) => {
    const { items, next } = page(
      [...catalog.values()].map((d) => d.database),
      input.NextToken,
    );
    return { DatabaseList: items, NextToken: next };
  });
  mock.on(GetTablesCommand).callsFake((input) => {
    const database = catalog.get(input.DatabaseName);
    if (!database) throw missing(`Database ${input.DatabaseName}`);
    const { items, next } = page([...database.tables.values()], input.NextToken);
    return { TableList: items, NextToken: next };
  });
  mock.on(GetDatabaseCommand).callsFake((input) => {
    const database = catalog.get(input.Name);
    if (!database) throw missing(`Database ${input.Name}`);
    return {
      Database: { ...database.database, CreateTime: new Date(), CatalogId: '111111111111' },
    };
  });
  mock.on(CreateDatabaseCommand).callsFake((input) => {
    catalog.set(input.DatabaseInput.Name, { database: input.DatabaseInput, tables: new Map() });
    return {};
  });
  mock.on(UpdateDatabaseCommand).callsFake((input) => {
    catalog.get(input.Name)!.database = input.DatabaseInput;
    return {};
  });
  const putTable = (input: { DatabaseName: string; TableInput: Table }) => {
    catalog
      .get(input.DatabaseName)!
      .tables.set(input.TableInput.Name!, { ...input.TableInput, CreateTime: new Date() });
    return {};
  };
  mock.on(CreateTableCommand).callsFake(putTable);
  mock.on(UpdateTableCommand).callsFake(putTable);
  return { mock, catalog };
}

let glue: ReturnType<typeof fakeGlue>;
let s3: ReturnType<typeof fakeS3>;
expectDeclaredCommands('GlueCatalogBackup', () => glue.mock, glueCatalogBackupIam.actions);
expectDeclaredCommands('GlueCatalogBackup', () => s3.mock, glueCatalogBackupIam.actions);

const lake = () =>
  fakeGlue({
    medallion_dev_silver: {
      database: { Description: 'silver', CreateTableDefaultPermissions: [] },
      tables: [orders(), openOrders],
    },
    medallion_dev_analyst_gold: { tables: [personaView] },
    // Another project's database in the same account: not exported.
    other_prod_gold: { tables: [{ Name: 'secret' }] },
  });
const ports = () =>
  new GlueCatalogBackup(new GlueClient({ region: 'eu-west-1' }), s3Client(), auditBucket);
const exportNow = () =>
  createCatalogExportHandler({
    ports: ports(),
    databasePrefix: 'medallion_dev_',
    clock: { now: () => now },
    logger,
  })();
const restore = (event: Record<string, unknown>) =>
  createCatalogRestoreHandler({ ports: ports(), logger })({ export: folder, ...event });
const object = (key: string) => s3.objects.get(`${auditBucket}/${key}`)?.toString('utf8');

beforeEach(() => {
  s3 = fakeS3();
  glue = lake();
});
afterEach(() => {
  s3.mock.restore();
  glue.mock.restore();
});

describe('catalog export', () => {
  it("pages through every database and table, keeps the project's with what CreateTable needs, and writes the manifest last", async () => {
    const summary = await exportNow();

    expect(summary.export).toBe(folder);
    const puts = s3.mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(puts).toEqual([`${folder}catalog.json`, `${folder}manifest.json`]);
    const catalog = JSON.parse(object(`${folder}catalog.json`)!);
    expect(catalog.databases.map((d: { database: Database }) => d.database.Name)).toEqual([
      'medallion_dev_analyst_gold',
      'medallion_dev_silver',
    ]);
    const silver = catalog.databases[1];
    expect(silver.database).toEqual({
      Name: 'medallion_dev_silver',
      Description: 'silver',
      CreateTableDefaultPermissions: [],
    });
    // Glue's own fields are gone; the Iceberg metadata location and the view's text stay.
    expect(silver.tables[0]).toEqual({
      Name: 'crm_orders',
      TableType: 'EXTERNAL_TABLE',
      Parameters: {
        table_type: 'ICEBERG',
        metadata_location: 's3://lake-silver/crm/orders/metadata/00002-b.metadata.json',
      },
      StorageDescriptor: orders().StorageDescriptor,
      PartitionKeys: [],
    });
    expect(silver.tables[1]).toMatchObject({ ViewOriginalText: openOrders.ViewOriginalText });
    expect(JSON.parse(object(`${folder}manifest.json`)!)).toEqual({
      format: 1,
      exportedAt: now.toISOString(),
      file: 'catalog.json',
      sha256: sha256(object(`${folder}catalog.json`)!),
      databases: 2,
      tables: 3,
      icebergTables: 1,
      views: 2,
    });
    expect(glue.mock.commandCalls(GetDatabasesCommand)).toHaveLength(3);
    expect(
      glue.mock.commandCalls(GetTablesCommand).map((c) => c.args[0].input.DatabaseName),
    ).toEqual(['medallion_dev_analyst_gold', 'medallion_dev_silver', 'medallion_dev_silver']);
  });

  it('fails as a transient error when Glue throttles, and writes nothing', async () => {
    glue.mock.on(GetTablesCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const failure = exportNow();
    await expect(failure).rejects.toBeInstanceOf(TransientError);
    await expect(failure).rejects.toThrow(
      'Glue GetTables medallion_dev_analyst_gold failed: ThrottlingException: Rate exceeded',
    );
    expect(s3.mock.commandCalls(PutObjectCommand)).toEqual([]);
  });

  it('writes no manifest when the catalog could not be written, so the export is never taken as valid', async () => {
    s3.mock
      .on(PutObjectCommand)
      .rejectsOnce(Object.assign(new Error('Slow down'), { name: 'SlowDown' }));
    await expect(exportNow()).rejects.toThrow(
      `S3 PutObject s3://${auditBucket}/${folder}catalog.json failed: SlowDown: Slow down`,
    );
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    await expect(restore({})).rejects.toThrow(
      `${folder}manifest.json does not exist: not an export, or one that did not finish`,
    );
  });

  it("refuses to write an export when none of the project's databases is visible", async () => {
    glue.catalog.delete('medallion_dev_silver');
    glue.catalog.delete('medallion_dev_analyst_gold');
    await expect(exportNow()).rejects.toThrow(
      "no Glue database named medallion_dev_* is visible; check the function's Glue and Lake Formation permissions (DESCRIBE)",
    );
    expect(s3.mock.commandCalls(PutObjectCommand)).toEqual([]);
  });
});

describe('catalog restore', () => {
  it('recreates a lost database and its tables, Iceberg at its exported metadata location, and skips persona views', async () => {
    await exportNow();
    glue.catalog.delete('medallion_dev_silver');

    const summary = await restore({});

    expect(summary).toEqual({
      export: folder,
      exportedAt: now.toISOString(),
      dryRun: false,
      created: [
        'medallion_dev_silver',
        'medallion_dev_silver.crm_orders',
        'medallion_dev_silver.open_orders',
      ],
      updated: [],
      unchanged: ['medallion_dev_analyst_gold'],
      skipped: [
        {
          name: 'medallion_dev_analyst_gold.customer_360',
          reason:
            'a Lake Formation multi-dialect view (persona view): CreateTable cannot define it; the catalog sync defines it again on its next run',
        },
      ],
    });
    expect(glue.mock.commandCalls(CreateDatabaseCommand)[0]!.args[0].input).toEqual({
      DatabaseInput: {
        Name: 'medallion_dev_silver',
        Description: 'silver',
        CreateTableDefaultPermissions: [],
      },
    });
    const created = glue.mock.commandCalls(CreateTableCommand).map((c) => c.args[0].input);
    expect(created[0]).toEqual({
      DatabaseName: 'medallion_dev_silver',
      TableInput: {
        Name: 'crm_orders',
        TableType: 'EXTERNAL_TABLE',
        Parameters: orders().Parameters,
        StorageDescriptor: orders().StorageDescriptor,
        PartitionKeys: [],
      },
    });
    expect(created[1]!.TableInput).toMatchObject({
      Name: 'open_orders',
      TableType: 'VIRTUAL_VIEW',
      ViewOriginalText: openOrders.ViewOriginalText,
    });
  });

  it('changes nothing when run again: what equals the export is left unchanged', async () => {
    await exportNow();
    glue.catalog.delete('medallion_dev_silver');
    await restore({});
    glue.mock.resetHistory();

    const again = await restore({});

    expect(again.created).toEqual([]);
    expect(again.unchanged).toEqual([
      'medallion_dev_analyst_gold',
      'medallion_dev_silver',
      'medallion_dev_silver.crm_orders',
      'medallion_dev_silver.open_orders',
    ]);
    const writes = glue.mock
      .calls()
      .map((c) => (c.args[0] as object).constructor.name)
      .filter((name) => /^(Create|Update)/.test(name));
    expect(writes).toEqual([]);
  });

  it('reports a table that differs from the export instead of replacing it, and replaces it with overwrite', async () => {
    await exportNow();
    // A commit after the export moved the Iceberg table on.
    glue.catalog
      .get('medallion_dev_silver')!
      .tables.set('crm_orders', orders('00003-c.metadata.json'));

    const reported = await restore({ databases: ['medallion_dev_silver'] });
    expect(reported.skipped).toEqual([
      {
        name: 'medallion_dev_silver.crm_orders',
        reason:
          'differs from the export in Parameters; pass "overwrite": true to replace it (an Iceberg table: overwriting points it back at s3://lake-silver/crm/orders/metadata/00002-b.metadata.json)',
      },
    ]);
    expect(reported.unchanged).toEqual([
      'medallion_dev_silver',
      'medallion_dev_silver.open_orders',
    ]);
    expect(glue.mock.commandCalls(UpdateTableCommand)).toEqual([]);

    const overwritten = await restore({ databases: ['medallion_dev_silver'], overwrite: true });
    expect(overwritten.updated).toEqual(['medallion_dev_silver.crm_orders']);
    expect(
      glue.mock.commandCalls(UpdateTableCommand)[0]!.args[0].input.TableInput!.Parameters,
    ).toEqual(orders().Parameters);
  });

  it('puts back one table with overwrite, leaving its neighbours as they are', async () => {
    await exportNow();
    const silver = glue.catalog.get('medallion_dev_silver')!;
    silver.tables.set('crm_orders', orders('00003-c.metadata.json'));
    silver.tables.delete('open_orders');

    const summary = await restore({ tables: ['medallion_dev_silver.crm_orders'], overwrite: true });

    expect(summary).toMatchObject({
      created: [],
      updated: ['medallion_dev_silver.crm_orders'],
      unchanged: ['medallion_dev_silver'],
      skipped: [],
    });
    // The lost neighbour stays lost: only the named table was asked for.
    expect(glue.mock.commandCalls(CreateTableCommand)).toEqual([]);
    expect(
      glue.mock.commandCalls(UpdateTableCommand).map((c) => c.args[0].input.TableInput!.Name),
    ).toEqual(['crm_orders']);
    await expect(restore({ tables: ['medallion_dev_silver.nope'] })).rejects.toThrow(
      `table medallion_dev_silver.nope not in ${folder}`,
    );
    await expect(restore({ tables: ['crm_orders'] })).rejects.toThrow('a table as database.table');
  });

  it('reports what it would do on a dry run and changes nothing', async () => {
    await exportNow();
    glue.catalog.delete('medallion_dev_silver');

    const summary = await restore({ dryRun: true });

    expect(summary.dryRun).toBe(true);
    expect(summary.created).toEqual([
      'medallion_dev_silver',
      'medallion_dev_silver.crm_orders',
      'medallion_dev_silver.open_orders',
    ]);
    expect(glue.mock.commandCalls(CreateDatabaseCommand)).toEqual([]);
    expect(glue.mock.commandCalls(CreateTableCommand)).toEqual([]);
    expect(glue.catalog.has('medallion_dev_silver')).toBe(false);
  });

  it('refuses an export whose catalog does not match its manifest checksum', async () => {
    await exportNow();
    glue.catalog.delete('medallion_dev_silver');
    const key = `${auditBucket}/${folder}catalog.json`;
    s3.objects.set(
      key,
      Buffer.from(s3.objects.get(key)!.toString('utf8').replace('00002-b', '00001-a')),
    );

    await expect(restore({})).rejects.toThrow(
      /catalog\.json has SHA-256 [0-9a-f]{64}, its manifest says [0-9a-f]{64}: the export is damaged, refusing to restore it/,
    );
    expect(glue.mock.commandCalls(CreateDatabaseCommand)).toEqual([]);
  });

  it('names the databases a request asks for that the export does not hold, and rejects a malformed request', async () => {
    await exportNow();
    await expect(restore({ databases: ['medallion_dev_gold'] })).rejects.toThrow(
      `medallion_dev_gold not in ${folder} (it holds medallion_dev_analyst_gold, medallion_dev_silver)`,
    );
    await expect(restore({ export: 'tables/crm/' })).rejects.toThrow(
      'an export folder: dr/catalog/<yyyy-mm-dd>T<hh-mm-ss>Z/',
    );
  });
});
