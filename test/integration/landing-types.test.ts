import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform, testProject } from '../helpers/lake';

describe('landing files of a source that is not a warehouse', () => {
  let lakeRoot: string;
  let platform: LocalPlatform;
  const drop = (relative: string, content: string) => {
    const file = path.join(lakeRoot, 'landing', relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  const land = () => runJob(platform, 'landing_to_bronze', { runDate: day1, retryIntervalMs: 0 });

  beforeAll(async () => {
    lakeRoot = mkdtempSync(path.join(os.tmpdir(), 'medallion-landing-types-'));
    platform = await openPlatform(await testProject(), lakeRoot);
  });
  afterAll(async () => {
    await platform.close();
    rmSync(lakeRoot, { recursive: true, force: true });
  });

  it('are refused, naming row and column, when a value does not fit the bronze contract’s type (kafka offset BIGINT)', async () => {
    drop(
      'kafka/order_events/replay.csv',
      'topic,partition,offset,timestamp,key,value\norder_events,0,7,2026-01-01T10:00:00Z,1,{}\norder_events,0,abc,2026-01-01T10:00:01Z,1,{}\n',
    );
    const outcome = await land();
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps[0]!.rejectedFiles).toEqual([
      {
        file: 'landing/kafka/order_events/replay.csv',
        reason: expect.stringContaining(
          "row 2 (line 3): column offset: 'abc' is not a valid BIGINT",
        ),
      },
    ]);
    const reason = readFileSync(
      path.join(
        lakeRoot,
        'landing/kafka/order_events/rejected',
        outcome.runId,
        'replay.csv.reason.txt',
      ),
      'utf8',
    );
    expect(reason).toContain('column offset');
  });

  it('are stored with the contract’s types, as the Kafka drain writes them and Glue declares them', async () => {
    drop(
      'kafka/order_events/replay.jsonl',
      '{"topic":"order_events","partition":0,"offset":7,"timestamp":"2026-01-01T10:00:00Z","key":"1","value":"{}"}\n',
    );
    const outcome = await land();
    expect(outcome.steps.map((s) => [s.dataset, s.rowsIn, s.rowsOut])).toEqual([
      ['kafka.order_events', 1, 1],
    ]);
    const types = await platform.lakehouse.describe(
      'select topic, "partition", "offset", "timestamp" from bronze.kafka_order_events',
    );
    expect(types.map((c) => [c.name, c.type])).toEqual([
      ['topic', 'VARCHAR'],
      ['partition', 'INTEGER'],
      ['offset', 'BIGINT'],
      ['timestamp', 'TIMESTAMP'],
    ]);
  });
});
