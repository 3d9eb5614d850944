import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbLakehouse, openDuckDb } from '../../lambdas/adapters/duckdb/engine';
import { DuckDbParquetSink } from '../../lambdas/adapters/duckdb/parquet-sink';
import { FsObjectStore } from '../../lambdas/adapters/local/object-store';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { bronzeKey, bronzeMetadataColumns } from '../../lambdas/core/ingest/bronze';
import { loadModelProject } from '../../lambdas/core/models/project';
import type { PrivacyKeyStore } from '../../lambdas/core/ports';
import { pseudonym } from '../../lambdas/core/privacy/operators';
import { ManualClock, silentLogger } from '../helpers/clock';
import { testContract } from '../helpers/contracts';
import { buildLayer } from '../helpers/layers';
import { memoryLineage } from '../helpers/lineage';

/** A silver model that publishes people only in anonymized form, through the `anonymize` macro. */
const contracts = new ContractRegistry([
  testContract(
    'crm.people',
    'bronze.crm_people',
    ['person_id', 'email', 'phone', 'postal_code', 'birth_date']
      .map(
        (c) =>
          `      - { name: ${c}, logicalType: string, physicalType: VARCHAR, classification: pii }`,
      )
      .join('\n'),
  ),
  testContract(
    'silver.people_anon',
    'silver.people_anon',
    `      - { name: person_id, logicalType: string, physicalType: VARCHAR, required: true, primaryKey: true, classification: internal }
      - { name: email_pseudonym, logicalType: string, physicalType: VARCHAR, classification: internal }
      - { name: phone, logicalType: string, physicalType: VARCHAR, classification: internal }
      - { name: postal_area, logicalType: string, physicalType: VARCHAR, classification: internal }
      - { name: birth_year, logicalType: date, physicalType: DATE, classification: internal }`,
  ),
]);

const model = (emailOperator = "{ method: 'pseudonym' }") => ({
  sqlPath: 'models/silver/people_anon.sql',
  ymlPath: 'models/silver/people_anon.yml',
  yml: 'description: d\nmaterialization: table\n',
  sql: `select
      s.person_id,
      {{ anonymize('s.email', ${emailOperator}) }} as email_pseudonym,
      {{ anonymize('s.phone', { method: 'mask', keep: 4 }) }} as phone,
      {{ anonymize('s.postal_code', { method: 'generalize', to: 'prefix', length: 3 }) }} as postal_area,
      {{ anonymize('s.birth_date', { method: 'generalize', to: 'year' }) }} as birth_year
    from {{ source('crm', 'people') }} s`,
});

describe('a model anonymizing columns with the anonymize macro', () => {
  let root: string;
  let worker: DuckDBInstance;
  let lakehouse: DuckDbLakehouse;
  const key = new Uint8Array(32).fill(9);
  let keyReads = 0;
  const keys: PrivacyKeyStore = {
    key: () => {
      keyReads += 1;
      return Promise.resolve(key);
    },
  };

  beforeEach(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-anon-'));
    worker = await openDuckDb({ threads: 1, memoryLimit: '256MB' }, path.join(root, '_tmp'), true);
    const meta = { ingestedAt: new Date('2026-01-01T00:00:00Z'), runId: 'ingest-1', source: 'crm' };
    await new DuckDbParquetSink(worker, new FsObjectStore(root)).writeRows(
      bronzeKey('crm', 'people', meta, 0),
      [...contracts.get('crm.people').columns, ...bronzeMetadataColumns],
      [
        ['P1', ' Ann@Example.com', '+44 20 7946 0958', 'SW1A 1AA', '1984-06-02'],
        ['P2', 'bob@example.com', '12', null, 'unknown'],
      ].map((row, i) => [...row, meta.ingestedAt, meta.runId, 'crm', 'crm:people@ingest-1', i + 1]),
    );
    lakehouse = await DuckDbLakehouse.open({
      lakeRoot: root,
      threads: 1,
      memoryLimit: '512MB',
      bronze: [contracts.get('crm.people')],
    });
    keyReads = 0;
  });
  afterEach(() => {
    lakehouse.close();
    worker.closeSync();
    rmSync(root, { recursive: true, force: true });
  });

  const build = (sqlModel = model(), privacyKeys: PrivacyKeyStore | null = keys) =>
    buildLayer(
      {
        engine: lakehouse,
        contracts,
        project: loadModelProject([sqlModel], [], contracts),
        clock: new ManualClock(new Date('2026-01-02T00:00:00Z')),
        logger: silentLogger,
        lineage: memoryLineage(contracts).lineage,
        ...(privacyKeys ? { privacyKeys } : {}),
      },
      { layer: 'silver', runId: 'silver-1', runDate: '2026-01-02' },
    );

  it('publishes pseudonyms the TypeScript pseudonym matches, masked phones, postal areas and birth years', async () => {
    await build();
    expect(
      await lakehouse.query(
        'select person_id, email_pseudonym, phone, postal_area, cast(birth_year as varchar) as birth_year from silver.people_anon order by person_id',
      ),
    ).toEqual([
      {
        person_id: 'P1',
        email_pseudonym: pseudonym(key, 'ann@example.com'),
        phone: '************0958',
        postal_area: 'SW1',
        birth_year: '1984-01-01',
      },
      {
        person_id: 'P2',
        email_pseudonym: pseudonym(key, 'bob@example.com'),
        phone: '**',
        postal_area: null,
        birth_year: null,
      },
    ]);
    expect(keyReads).toBeGreaterThan(0);
  });

  it('does not read the privacy key for a model that makes no pseudonym', async () => {
    await build(model("{ method: 'redact' }"));
    expect(keyReads).toBe(0);
    expect(
      await lakehouse.query('select distinct email_pseudonym from silver.people_anon'),
    ).toEqual([{ email_pseudonym: '***' }]);
  });

  it('fails naming the model when it pseudonymizes and the run has no privacy key', async () => {
    await expect(build(model(), null)).rejects.toThrow(
      /people_anon\.sql: pseudonymizes a column, but this run has no privacy key/,
    );
  });

  it('never quotes the pseudonym key when the engine fails on the model', async () => {
    const failing = model();
    const error = (await build({
      ...failing,
      sql: failing.sql.replace("anonymize('s.email'", "anonymize('s.no_such_column'"),
    }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('no_such_column');
    expect(error.message).toContain("unhex('<key>')");
    expect(error.message).not.toMatch(/[0-9a-f]{64}/i);
  });

  it('fails naming the model and the operator it cannot read', async () => {
    await expect(build(model("{ method: 'mask', keep: -1 }"))).rejects.toThrow(
      /people_anon\.sql: cannot render: [\s\S]*anonymize\(s\.email, \.\.\.\): keep/,
    );
  });
});
