/**
 * Retention by table: declared in a contract the ODCS way (`slaProperties` retention), overridden
 * by config `maintenance.retention`; bronze ages a whole ingestion day at a time; silver and gold
 * age out only where an incremental model builds the table.
 */
import { describe, expect, it } from 'vitest';
import type { MaintenanceConfig } from '../../config/schema';
import { parseContract, type Contract } from '../../lambdas/core/contracts/contract';
import {
  expiredPartitions,
  planMaintenance,
  retentionProblems,
  retentionRules,
} from '../../lambdas/core/maintenance';
import type { Model } from '../../lambdas/core/models/project';

const now = new Date('2026-03-10T12:00:00.000Z');
const config: MaintenanceConfig = {
  dropAfterHours: 24,
  snapshotRetentionDays: 7,
  retention: { quarantine: { days: 90 } },
};

/** A contract with one retention entry (`sla` is its YAML mapping), or none. */
function contract(id: string, relation: string, sla?: string): Contract {
  return parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: ${id}
name: t
version: 1.0.0
status: active
team: { name: test }
description: { purpose: test }
${sla ? `slaProperties:\n  - ${sla}\n` : ''}schema:
  - name: t
    physicalName: ${relation}
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT }
      - { name: event_at, logicalType: timestamp, physicalType: TIMESTAMP }
`,
    `config/contracts/${id}.yaml`,
  );
}

const events = contract(
  'kafka.order_events',
  'bronze.kafka_order_events',
  '{ property: retention, value: 400, unit: d, element: t._ingested_at }',
);
const model = (name: string, materialization: 'table' | 'incremental' | 'scd2'): Model => ({
  name,
  layer: name.startsWith('gold') ? 'gold' : 'silver',
  sqlPath: `models/${name.replace('.', '/')}.sql`,
  template: '',
  config: { description: 'x', materialization, quarantine: false, tags: [] },
  contractId: name,
  refs: [],
  sources: [],
  changes: [],
});

describe('contract retention', () => {
  it('reads days or years from slaProperties, and the column from element', () => {
    expect(events.retention).toEqual({ days: 400, column: '_ingested_at' });
    expect(
      contract(
        'silver.events',
        'silver.events',
        '{ property: retention, value: 2, unit: y, element: t.event_at }',
      ).retention,
    ).toEqual({ days: 730, column: 'event_at' });
    expect(contract('gold.kept', 'gold.kept').retention).toBeUndefined();
  });

  it('refuses a unit it cannot turn into days, naming the contract and key', () => {
    expect(() =>
      contract('kafka.x', 'bronze.kafka_x', '{ property: retention, value: 3, unit: months }'),
    ).toThrow(
      /config\/contracts\/kafka\.x\.yaml is invalid:\n\s+- slaProperties\.0\.unit: expected a retention unit/,
    );
  });

  it('refuses a bronze element other than the ingestion time: bronze goes a whole partition at a time', () => {
    expect(() =>
      contract(
        'kafka.x',
        'bronze.kafka_x',
        '{ property: retention, value: 3, unit: d, element: t.event_at }',
      ),
    ).toThrow(/slaProperties\.0\.element: expected t\._ingested_at or nothing/);
  });

  it('needs the column a silver or gold table ages by', () => {
    expect(() =>
      contract('silver.events', 'silver.events', '{ property: retention, value: 3, unit: d }'),
    ).toThrow(/slaProperties\.0\.element: expected <dataset>\.<column>: the timestamp column/);
  });
});

describe('retention rules', () => {
  it('config overrides the contract and keeps the column the contract names', () => {
    const silver = contract(
      'silver.events',
      'silver.events',
      '{ property: retention, value: 30, unit: d, element: t.event_at }',
    );
    const rules = retentionRules(
      { ...config, retention: { ...config.retention, 'silver.events': { days: 60 } } },
      [events, silver],
    );
    expect(rules).toEqual({
      'bronze.kafka_order_events': {
        days: 400,
        column: '_ingested_at',
        declaredBy: 'config/contracts/kafka.order_events.yaml',
      },
      'silver.events': {
        days: 60,
        column: 'event_at',
        declaredBy: 'maintenance.retention.silver.events',
      },
      quarantine: { days: 90, declaredBy: 'maintenance.retention.quarantine' },
    });
  });

  it('plans a bronze expiry for the days before the cut-off day, whole partitions only', () => {
    const plan = planMaintenance([], config, now, [events]);
    expect(plan.tasks).toEqual([
      {
        action: 'expire',
        relation: 'bronze.kafka_order_events',
        prefix: 'bronze/kafka/order_events/',
        before: '2025-02-03',
      },
    ]);
    expect(plan.notes).toEqual(['maintenance.retention.quarantine: no such table yet']);
  });

  it('deletes rows of a table an incremental model builds, by the contract column', () => {
    const silver = contract(
      'silver.events',
      'silver.events',
      '{ property: retention, value: 10, unit: d, element: t.event_at }',
    );
    const plan = planMaintenance(
      [{ schema: 'silver', name: 'events', kind: 'table', mergeOnRead: true }],
      config,
      now,
      [silver],
    );
    expect(plan.tasks).toEqual([
      {
        action: 'maintain',
        relation: 'silver.events',
        retention: { column: 'event_at', before: '2026-02-28T12:00:00.000Z' },
        compact: true,
      },
    ]);
  });

  it('finds the partitions wholly ingested before the cut-off day', () => {
    const prefix = 'bronze/kafka/order_events/';
    expect(
      expiredPartitions(
        [
          `${prefix}ingest_date=2025-02-01/a-1.parquet`,
          `${prefix}ingest_date=2025-02-01/a-2.parquet`,
          `${prefix}ingest_date=2025-02-02/b-1.parquet`,
          `${prefix}ingest_date=2025-02-03/c-1.parquet`,
          `${prefix}ingest_date=2026-03-10/d-1.parquet`,
          `${prefix}_stray.txt`,
        ],
        prefix,
        '2025-02-03',
      ),
    ).toEqual([
      { partition: `${prefix}ingest_date=2025-02-01/`, objects: 2 },
      { partition: `${prefix}ingest_date=2025-02-02/`, objects: 1 },
    ]);
  });
});

describe('retention consistency', () => {
  const rule = (declaredBy: string) => ({ days: 30, column: 'event_at', declaredBy });

  it('lets an incremental model age out, and bronze, quarantine and audit', () => {
    expect(
      retentionProblems(
        {
          'silver.events': rule('config/contracts/silver.events.yaml'),
          'bronze.kafka_order_events': rule('config/contracts/kafka.order_events.yaml'),
          quarantine: rule('maintenance.retention.quarantine'),
        },
        [model('silver.events', 'incremental')],
      ),
    ).toEqual([]);
  });

  it('refuses a table rebuilt in full on every run, naming the contract', () => {
    expect(
      retentionProblems({ 'gold.revenue': rule('config/contracts/gold.revenue.yaml') }, [
        model('gold.revenue', 'table'),
      ]),
    ).toEqual([
      {
        file: 'config/contracts/gold.revenue.yaml',
        message: expect.stringMatching(
          /^slaProperties retention: gold\.revenue keeps 30 days, but models\/gold\/revenue\.sql rebuilds it in full on every run \(materialization: table\)/,
        ) as string,
      },
    ]);
  });

  it('refuses an scd2 history and a table no model builds, naming the config key', () => {
    const problems = retentionProblems(
      {
        'silver.customers': rule('maintenance.retention.silver.customers'),
        'gold.nothing': rule('maintenance.retention.gold.nothing'),
      },
      [model('silver.customers', 'scd2')],
    );
    expect(problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/^config: maintenance\.retention\.silver\.customers: .* scd2 history/),
      expect.stringMatching(/^config: maintenance\.retention\.gold\.nothing: .*no model builds it/),
    ]);
  });
});
