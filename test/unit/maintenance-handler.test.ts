/**
 * The maintenance job's bronze expiry step with its object store and engine mocked: only the
 * partitions wholly before the cut-off day are purged, and the engine is told its bronze changed.
 */
import { describe, expect, it } from 'vitest';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import type { BronzeObjects } from '../../lambdas/core/maintenance';
import type { SqlEngine } from '../../lambdas/core/ports';
import { createMaintenanceHandler } from '../../lambdas/handlers/maintenance';
import { ManualClock, silentLogger } from '../helpers/clock';

const prefix = 'bronze/kafka/order_events/';
const task = {
  action: 'expire',
  relation: 'bronze.kafka_order_events',
  prefix,
  before: '2025-02-03',
};

function handlerWith(keys: string[]) {
  const purged: string[] = [];
  let refreshed = 0;
  const bronze: BronzeObjects = {
    list: async (p) => keys.filter((k) => k.startsWith(p)),
    purge: async (p) => {
      purged.push(p);
      return keys.filter((k) => k.startsWith(p)).length;
    },
  };
  const engine = {
    dialect: duckdbDialect,
    refreshSources: async () => {
      refreshed += 1;
    },
  } as unknown as SqlEngine;
  const handler = createMaintenanceHandler({
    engine,
    inventory: { list: async () => [] },
    config: { dropAfterHours: 24, snapshotRetentionDays: 7, retention: {} },
    contracts: [],
    bronze,
    clock: new ManualClock(),
    logger: silentLogger,
  });
  const apply = () =>
    handler({ step: 'apply', runId: 'r', startedAt: '2026-03-10T05:00:00Z', pipeline: 'p', task });
  return { apply, purged, refreshed: () => refreshed };
}

describe('maintenance handler: bronze expiry', () => {
  it('purges the partitions before the cut-off day, then refreshes the bronze sources', async () => {
    const { apply, purged, refreshed } = handlerWith([
      `${prefix}ingest_date=2025-02-01/a.parquet`,
      `${prefix}ingest_date=2025-02-01/b.parquet`,
      `${prefix}ingest_date=2025-02-03/c.parquet`,
    ]);
    expect(await apply()).toEqual({
      relation: 'bronze.kafka_order_events',
      action: 'expire',
      rowsDeleted: 0,
      objectsDeleted: 2,
      statements: 0,
    });
    expect(purged).toEqual([`${prefix}ingest_date=2025-02-01/`]);
    expect(refreshed()).toBe(1);
  });

  it('with nothing past the cut-off, deletes and refreshes nothing', async () => {
    const { apply, purged, refreshed } = handlerWith([`${prefix}ingest_date=2026-03-09/a.parquet`]);
    expect(await apply()).toMatchObject({ objectsDeleted: 0 });
    expect(purged).toEqual([]);
    expect(refreshed()).toBe(0);
  });
});
