import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlausibleDates } from '../../config/schema';
import { DuckDbLakehouse, openDuckDb } from '../../lambdas/adapters/duckdb/engine';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { testContract } from '../helpers/contracts';
import { ModelGraphError } from '../../lambdas/core/errors';
import { bronzeKey, bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { loadModelProject, type ModelFile } from '../../lambdas/core/models/project';
import { ManualClock, silentLogger } from '../helpers/clock';
import { buildLayer } from '../helpers/layers';
import { memoryLineage } from '../helpers/lineage';

/**
 * Text kept in bronze (a REST source's JSON values) typed by silver's cast macros: a value that is
 * there but does not parse, or a date nobody meant, is quarantined with a reason, never NULL.
 */
const contracts = new ContractRegistry([
  testContract(
    'api.accounts',
    'bronze.api_accounts',
    ['account_id', 'annual_revenue', 'created_at', 'close_date', 'payload']
      .map(
        (c) =>
          `      - { name: ${c}, logicalType: string, physicalType: VARCHAR, classification: ${c === 'payload' ? 'pii' : 'internal'} }`,
      )
      .join('\n'),
  ),
  testContract(
    'silver.accounts',
    'silver.accounts',
    `      - { name: account_id, logicalType: string, physicalType: VARCHAR, required: true, primaryKey: true }
      - { name: annual_revenue_usd, logicalType: number, physicalType: "DECIMAL(18,2)" }
      - { name: created_at, logicalType: timestamp, physicalType: TIMESTAMP }
      - { name: close_date, logicalType: date, physicalType: DATE }
      - { name: employees, logicalType: integer, physicalType: BIGINT }`,
  ),
]);

const file = (sqlPath: string, sql: string, yml: string): ModelFile => ({
  sqlPath,
  sql,
  ymlPath: sqlPath.replace('.sql', '.yml'),
  yml,
});
const accounts = (yml = 'quarantine: true') =>
  file(
    'models/silver/accounts.sql',
    `select
      s.account_id,
      {{ try_cast('s.annual_revenue', 'decimal(18,2)') }} as annual_revenue_usd,
      {{ iso_timestamp('s.created_at') }} as created_at,
      {{ try_cast('close_date', 'date') }} as close_date,
      {{ try_cast(json_text('s.payload', '$.employees'), 'bigint') }} as employees,
      s._ingested_at, s._source_ref, s._source_row
    from {{ source('api', 'accounts') }} s`,
    `description: d\nmaterialization: incremental\nunique_key: [account_id]\n${yml}\n`,
  );

describe('values silver casts from text', () => {
  let root: string;
  let worker: DuckDBInstance;
  let lakehouse: DuckDbLakehouse;
  let clock: ManualClock;

  const ingest = async (rows: (string | null)[][]) => {
    const meta = { ingestedAt: clock.now(), runId: 'ingest-1', source: 'api' };
    const sink = new DuckDbParquetSink(worker, new FsObjectStore(root));
    await sink.writeRows(
      bronzeKey('api', 'accounts', meta, 0),
      [...contracts.get('api.accounts').columns, ...bronzeMetadataColumns],
      rows.map((row, i) => [
        ...row,
        meta.ingestedAt,
        meta.runId,
        'api',
        'api:accounts@ingest-1',
        i + 1,
      ]),
    );
  };
  const build = async (model = accounts(), plausibleDates?: PlausibleDates) => {
    clock = new ManualClock(new Date(clock.now().getTime() + 60_000));
    const stats = await buildLayer(
      {
        engine: lakehouse,
        contracts,
        project: loadModelProject([model], [], contracts),
        clock,
        logger: silentLogger,
        lineage: memoryLineage(contracts).lineage,
        ...(plausibleDates ? { plausibleDates } : {}),
      },
      { layer: 'silver', runId: 'silver-1', runDate: '2026-01-02' },
    );
    return stats[0]!;
  };
  const quarantined = () =>
    lakehouse.query(
      'select account_id, _rule, _reason from quarantine.accounts order by _source_row',
    );

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-casts-'));
    clock = new ManualClock();
    worker = await openDuckDb({ threads: 1, memoryLimit: '256MB' }, path.join(root, '_tmp'), true);
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '512MB',
      bronze: [contracts.get('api.accounts')],
    });
  });
  afterEach(() => {
    lakehouse.close();
    worker.closeSync();
    rmSync(root, { recursive: true, force: true });
  });

  it('quarantines a value that is there but does not parse, naming the column, the value and the source row', async () => {
    await ingest([
      ['A1', '1000', '2026-01-01T10:00:00Z', '2026-03-01', '{"employees": 12}'],
      ['A2', '12k', '2026-01-01T10:00:00Z', null, null],
      ['A3', '5', 'yesterday', null, null],
      ['A4', '5', null, null, '{"employees": "a dozen"}'],
      ['A5', 'x'.repeat(60), null, null, null],
      ['A6', '', '  ', null, '{}'],
    ]);
    const stats = await build();
    expect(stats).toMatchObject({ rowsIn: 6, rowsOut: 2, quarantined: 4 });
    expect(await quarantined()).toEqual([
      {
        account_id: 'A2',
        _rule: 'annual_revenue.type',
        _reason:
          "annual_revenue '12k' is not a valid decimal(18,2), in row 2 of api:accounts@ingest-1",
      },
      {
        account_id: 'A3',
        _rule: 'created_at.type',
        _reason:
          "created_at 'yesterday' is not a valid timestamp, in row 3 of api:accounts@ingest-1",
      },
      {
        account_id: 'A4',
        _rule: 'payload$.employees.type',
        // A pii column's value stays in its own column, where the access policy governs it.
        _reason:
          'payload$.employees (pii value) is not a valid bigint, in row 4 of api:accounts@ingest-1',
      },
      {
        account_id: 'A5',
        _rule: 'annual_revenue.type',
        _reason: `annual_revenue '${'x'.repeat(40)}...' is not a valid decimal(18,2), in row 5 of api:accounts@ingest-1`,
      },
    ]);
    // Missing and blank values are NULLs, as before: only text that says something must parse.
    expect(
      await lakehouse.query(
        'select account_id, cast(annual_revenue_usd as double) as revenue, employees from silver.accounts order by account_id',
      ),
    ).toEqual([
      { account_id: 'A1', revenue: 1000, employees: 12 },
      { account_id: 'A6', revenue: null, employees: null },
    ]);
  });

  it('quarantines a parsed date before 1900 or more than a year after the run date', async () => {
    await ingest([
      ['A1', '1', '2026-01-01T10:00:00Z', '2026-12-31', null],
      ['A2', '1', '2026-01-01T10:00:00Z', '2999-01-01', null],
      ['A3', '1', '1850-01-01T00:00:00Z', null, null],
    ]);
    expect(await build()).toMatchObject({ rowsOut: 1, quarantined: 2 });
    expect(await quarantined()).toEqual([
      {
        account_id: 'A2',
        _rule: 'close_date.plausible_date',
        _reason:
          "close_date '2999-01-01' is not a plausible date, outside 1900-01-01 to 2027-01-03 (the run date + 366 days), in row 2 of api:accounts@ingest-1",
      },
      {
        account_id: 'A3',
        _rule: 'created_at.plausible_date',
        _reason: expect.stringContaining(
          "created_at '1850-01-01T00:00:00Z' is not a plausible date",
        ),
      },
    ]);
  });

  it('takes the plausible range from transform.plausibleDates', async () => {
    await ingest([['A1', '1', '2026-01-01T10:00:00Z', '2026-03-01', null]]);
    expect(await build(accounts(), { earliest: '2000-01-01', daysAhead: 7 })).toMatchObject({
      quarantined: 1,
    });
    expect(await quarantined()).toEqual([
      {
        account_id: 'A1',
        _rule: 'close_date.plausible_date',
        _reason: expect.stringContaining(
          'outside 2000-01-01 to 2026-01-09 (the run date + 7 days)',
        ),
      },
    ]);
  });

  it('refuses cast macros in a model that cannot quarantine', async () => {
    await ingest([['A1', '1', null, null, null]]);
    await expect(build(accounts('quarantine: false'))).rejects.toThrow(ModelGraphError);
    await expect(build(accounts('quarantine: false'))).rejects.toThrow(
      /annual_revenue, created_at, close_date, payload\$\.employees cast with try_cast\/iso_timestamp, which only a model with quarantine: true/,
    );
  });
});
