import { describe, expect, it } from 'vitest';
import type { MaintenanceConfig } from '../../config/schema';
import { parseConfig } from '../../lambdas/core/config';
import { ConfigError } from '../../lambdas/core/errors';
import {
  createdAt,
  planMaintenance,
  type CatalogEntry,
  type MaintenanceTask,
} from '../../lambdas/core/maintenance';
import { sampleDefinitions } from '../helpers/state-machines';

const now = new Date('2026-03-10T12:00:00.000Z');
const config: MaintenanceConfig = {
  dropAfterHours: 24,
  snapshotRetentionDays: 7,
  retention: { quarantine: { days: 90 } },
};

/** A fresh id as the dialects make them, for a table created `hoursAgo` before `now`. */
const id = (hoursAgo: number, suffix = 'abcdef01') =>
  `${new Date(now.getTime() - hoursAgo * 3_600_000).toISOString().replace(/\D/g, '')}_${suffix}`;
const table = (schema: CatalogEntry['schema'], name: string, mergeOnRead = true): CatalogEntry => ({
  schema,
  name,
  kind: 'table',
  mergeOnRead,
});
const view = (schema: CatalogEntry['schema'], name: string, reads?: string): CatalogEntry => ({
  schema,
  name,
  kind: 'view',
  mergeOnRead: false,
  ...(reads === undefined
    ? {}
    : { viewText: `select * from "medallion_dev_${schema}"."${reads}"` }),
});
const drops = (tasks: readonly MaintenanceTask[]) =>
  tasks.filter((t) => t.action === 'drop').map((t) => t.relation);

describe('maintenance plan', () => {
  const v1 = `revenue_daily__v${id(72)}`;
  const v2 = `revenue_daily__v${id(48)}`;
  const v3 = `revenue_daily__v${id(30)}`;
  const v4 = `revenue_daily__v${id(2)}`;

  it('reads the creation time from a table id', () => {
    expect(createdAt('20260102030405678_3fa9c1d2')).toEqual(new Date('2026-01-02T03:04:05.678Z'));
    expect(createdAt('orders')).toBeUndefined();
  });

  it('drops versions superseded longer ago than dropAfterHours, never the published one', () => {
    const plan = planMaintenance(
      [table('gold', v1), table('gold', v2), table('gold', v3), view('gold', 'revenue_daily', v3)],
      config,
      now,
      [],
    );
    expect(drops(plan.tasks)).toEqual([`gold.${v1}`, `gold.${v2}`]);
  });

  it('keeps a version superseded too recently: a query that started before the switch may still read it', () => {
    const plan = planMaintenance(
      [table('gold', v3), table('gold', v4), view('gold', 'revenue_daily', v4)],
      config,
      now,
      [],
    );
    expect(drops(plan.tasks)).toEqual([]);
  });

  it('keeps a version any view reads, in any schema', () => {
    const plan = planMaintenance(
      [
        table('gold', v1),
        table('gold', v2),
        view('gold', 'revenue_daily', v2),
        view('silver', 'pinned_revenue', v1),
      ],
      config,
      now,
      [],
    );
    expect(drops(plan.tasks)).toEqual([]);
  });

  it('keeps every version of a schema where a view cannot be read, and says so', () => {
    const plan = planMaintenance(
      [table('gold', v1), table('gold', v2), view('gold', 'revenue_daily')],
      config,
      now,
      [],
    );
    expect(drops(plan.tasks)).toEqual([]);
    expect(plan.notes.join('\n')).toContain(`gold.${v1}: kept, a view of gold could not be read`);
  });

  it('drops an unpublished newest version (a run that died before its switch) once it is old', () => {
    const plan = planMaintenance(
      [table('gold', v1), table('gold', v3), view('gold', 'revenue_daily', v1)],
      config,
      now,
      [],
    );
    expect(plan.tasks).toContainEqual({
      action: 'drop',
      relation: `gold.${v3}`,
      reason: 'unpublished version of gold.revenue_daily',
    });
  });

  it('drops scratch tables older than dropAfterHours only, and keeps one whose age it cannot tell', () => {
    const plan = planMaintenance(
      [
        table('scratch', `silver_orders__${id(25)}`),
        table('scratch', `silver_orders_duplicated_keys__${id(1)}`),
        table('scratch', 'hand_made'),
      ],
      config,
      now,
      [],
    );
    expect(drops(plan.tasks)).toEqual([`scratch.silver_orders__${id(25)}`]);
    expect(plan.notes).toContain('scratch.hand_made: kept, its name carries no creation time');
  });

  it('ages out quarantined rows by _quarantined_at and compacts every Iceberg table', () => {
    const plan = planMaintenance(
      [table('quarantine', 'orders'), table('silver', 'orders'), view('gold', 'dim_date', 'x')],
      config,
      now,
      [],
    );
    expect(plan.tasks).toEqual([
      {
        action: 'maintain',
        relation: 'quarantine.orders',
        retention: { column: '_quarantined_at', before: '2025-12-10T12:00:00.000Z' },
        compact: true,
      },
      { action: 'maintain', relation: 'silver.orders', compact: true },
    ]);
  });

  it('a table key overrides its layer, and a table that is not Iceberg is only aged out', () => {
    const plan = planMaintenance(
      [table('quarantine', 'orders', false), table('quarantine', 'customers', false)],
      {
        ...config,
        retention: { quarantine: { days: 90 }, 'quarantine.orders': { days: 1 } },
      },
      now,
      [],
    );
    expect(plan.tasks).toEqual([
      {
        action: 'maintain',
        relation: 'quarantine.orders',
        retention: { column: '_quarantined_at', before: '2026-03-09T12:00:00.000Z' },
        compact: false,
      },
      {
        action: 'maintain',
        relation: 'quarantine.customers',
        retention: { column: '_quarantined_at', before: '2025-12-10T12:00:00.000Z' },
        compact: false,
      },
    ]);
  });

  it('names the config key when a retained table has no known time column', () => {
    const plan = () =>
      planMaintenance(
        [table('audit', 'model_state')],
        { ...config, retention: { audit: { days: 30 } } },
        now,
        [],
      );
    expect(plan).toThrow(ConfigError);
    expect(plan).toThrow(/maintenance\.retention\.audit\.column: expected the timestamp column/);
  });

  it('a second plan after its drops were applied drops nothing', () => {
    const catalog = [table('gold', v1), table('gold', v2), view('gold', 'revenue_daily', v2)];
    const first = drops(planMaintenance(catalog, config, now, []).tasks);
    const left = catalog.filter((e) => !first.includes(`${e.schema}.${e.name}`));
    expect(first).toEqual([`gold.${v1}`]);
    expect(drops(planMaintenance(left, config, now, []).tasks)).toEqual([]);
  });
});

describe('maintenance config', () => {
  it('dropAfterHours cannot be shorter than the longest run a state machine allows', () => {
    const longest = Math.max(
      ...[...sampleDefinitions]
        .filter(([job]) => job !== 'maintenance')
        .map(([, text]) => (JSON.parse(text) as { TimeoutSeconds: number }).TimeoutSeconds),
    );
    const withHours = (hours: number) => () =>
      parseConfig(
        `env: test\nsources: {}\nmaintenance: { dropAfterHours: ${hours} }\n`,
        'config/test.yaml',
      );
    expect(withHours(Math.ceil(longest / 3600))).toThrow(
      /maintenance\.dropAfterHours: expected at least 3 hours/,
    );
  });

  it('retention goes to bronze, quarantine, silver or gold tables and the audit history, by name', () => {
    const withRetention = (retention: string) => () =>
      parseConfig(
        `env: test\nsources: {}\nmaintenance: { retention: { ${retention} } }\n`,
        'config/test.yaml',
      );
    expect(
      withRetention('bronze.kafka_order_events: { days: 400 }, silver.orders: { days: 3 }'),
    ).not.toThrow();
    expect(withRetention('silver: { days: 3 }')).toThrow(
      /maintenance\.retention\.silver: expected a table whose rows may age out/,
    );
    expect(withRetention('audit.watermarks: { days: 3 }')).toThrow(
      /maintenance\.retention\.audit\.watermarks: expected a table whose rows may age out/,
    );
  });

  it('bronze ages by ingestion day, so its retention names no column', () => {
    expect(() =>
      parseConfig(
        'env: test\nsources: {}\nmaintenance: { retention: { bronze: { days: 30, column: ts } } }\n',
        'config/test.yaml',
      ),
    ).toThrow(
      /maintenance\.retention\.bronze\.column: expected no column: bronze ages by ingestion day/,
    );
  });
});
