import { describe, expect, it } from 'vitest';
import { compareChecksums, renderComparison } from '../bench/checksums';
import {
  billedBytes,
  blockBytes,
  columnBytes,
  planScans,
  scanBytes,
  statementsOf,
  type StorageSegment,
} from '../bench/scan-estimate';
import { replayedIndexes, statementsByStep, type SentStatement } from '../bench/statements';
import { renderTargets, targetVerdicts } from '../bench/targets';

describe('the targets of issue 17', () => {
  const days = [
    { seconds: 100, floorSeconds: 85, gateSeconds: 7 },
    { seconds: 24, floorSeconds: 15, gateSeconds: 9 },
  ];

  it('gives each target its measured value and whether it is met', () => {
    expect(
      targetVerdicts({ days, peakRssMb: 4200, checksums: { compared: 34, equal: 34 } }),
    ).toEqual([
      { target: 'day 1 ≤ 1.25× its floor', value: '1.18×', met: true },
      { target: 'day 2 ≤ 25 % of day 1', value: '24.0 %', met: true },
      { target: 'day 2 ≤ 1.5× its floor', value: '1.60×', met: false },
      { target: 'day 1 quality gates ≤ 8 % of day 1', value: '7.0 %', met: true },
      { target: 'day 2 quality gates ≤ 8 % of day 1', value: '9.0 %', met: false },
      { target: 'peak RSS ≤ 4 GB', value: '4200 MB', met: false },
      { target: 'silver and gold checksums equal', value: '34 of 34', met: true },
    ]);
  });

  it('leaves unmeasured what the run did not measure, and a difference in checksums fails', () => {
    const verdicts = targetVerdicts({
      days: days.map(({ seconds, gateSeconds }) => ({ seconds, gateSeconds })),
      peakRssMb: 900,
    });
    expect(verdicts.filter((v) => v.met === null).map((v) => v.target)).toEqual([
      'day 1 ≤ 1.25× its floor',
      'day 2 ≤ 1.5× its floor',
      'silver and gold checksums equal',
    ]);
    expect(renderTargets(verdicts).split('\n')[0]).toBe(
      '  · day 1 ≤ 1.25× its floor                       —',
    );
    expect(
      targetVerdicts({ days, peakRssMb: 900, checksums: { compared: 34, equal: 33 } }).at(-1)!.met,
    ).toBe(false);
    expect(() => targetVerdicts({ days: days.slice(1), peakRssMb: 1 })).toThrow(/day 1 and day 2/);
  });
});

describe('result checksums', () => {
  const sums = (hash: string) => ({
    'gold.fact_orders': { rows: 10, hash },
    'silver.orders': { rows: 12, hash: '7' },
  });

  it('match per day and relation; a different hash, row count or a missing relation does not', () => {
    const comparisons = compareChecksums(
      [
        { date: '2026-01-01', checksums: sums('1') },
        { date: '2026-01-02', checksums: { 'silver.orders': { rows: 12, hash: '7' } } },
      ],
      [
        { date: '2026-01-01', checksums: sums('1') },
        { date: '2026-01-02', checksums: sums('2') },
      ],
    );
    expect(comparisons.map((c) => [c.date, c.relation, c.equal])).toEqual([
      ['2026-01-01', 'gold.fact_orders', true],
      ['2026-01-01', 'silver.orders', true],
      ['2026-01-02', 'gold.fact_orders', false],
      ['2026-01-02', 'silver.orders', true],
    ]);
    expect(renderComparison(comparisons).split('\n')[2]).toBe(
      '  2026-01-02 gold.fact_orders                 DIFFERENT: before absent; now 10 rows, 2',
    );
    expect(
      compareChecksums(
        [{ date: '2026-01-01', checksums: sums('1') }],
        [
          {
            date: '2026-01-01',
            checksums: { ...sums('1'), 'silver.orders': { rows: 11, hash: '7' } },
          },
        ],
      ).map((c) => c.equal),
    ).toEqual([true, false]);
  });

  it('find nothing equal in a report without checksums', () => {
    expect(
      compareChecksums(
        [{ date: '2026-01-01' }],
        [{ date: '2026-01-01', checksums: sums('1') }],
      ).map((c) => c.equal),
    ).toEqual([false, false]);
  });
});

describe('the Athena bytes estimate', () => {
  const segment = (s: Partial<StorageSegment>): StorageSegment => ({
    columnId: 0,
    columnName: 'order_id',
    segmentType: 'BIGINT',
    count: 1000,
    persistent: true,
    blockId: 1,
    blockOffset: 0,
    additionalBlocks: 0,
    ...s,
  });

  it('sizes persistent segments by their place in their block, the rest by their width', () => {
    expect(
      columnBytes([
        segment({ blockOffset: 0 }),
        // The validity of order_id: named by its top-level column, constant (no block).
        segment({ columnName: '', segmentType: 'VALIDITY', blockId: -1 }),
        segment({ columnId: 1, columnName: 'status', segmentType: 'VARCHAR', blockOffset: 3000 }),
        // Last in its block: at most its values' width (1000 × 8), not the block's rest.
        segment({ columnId: 2, columnName: 'amount', blockOffset: 7000 }),
        // A string segment spanning two more blocks, alone in its own.
        segment({
          columnId: 1,
          columnName: 'status',
          segmentType: 'VARCHAR',
          count: 100_000,
          blockId: 2,
          additionalBlocks: 2,
        }),
        // Not written out yet: 500 values of 4 bytes.
        segment({
          columnId: 3,
          columnName: 'qty',
          segmentType: 'INTEGER',
          count: 500,
          persistent: false,
          blockId: -1,
        }),
      ]),
    ).toEqual({
      order_id: 3000,
      status: 4000 + 3 * blockBytes,
      amount: 8000,
      qty: 2000,
    });
  });

  const plan = [
    {
      name: 'CREATE_TABLE_AS',
      children: [
        {
          name: 'HASH_JOIN',
          children: [
            {
              name: 'SEQ_SCAN ',
              children: [],
              extra_info: {
                Table: 'lake.silver.orders',
                Projections: ['order_id', 'amount'],
                Filters: "status='shipped' AND \"order date\">'2026-01-01'",
              },
            },
            {
              name: 'READ_PARQUET',
              children: [],
              extra_info: { Function: 'READ_PARQUET', Projections: 'order_id' },
            },
          ],
          extra_info: { Conditions: 'order_id = order_id' },
        },
      ],
      extra_info: {},
    },
  ];

  it('reads the scans of a plan: projected columns and the columns its pushed filters name', () => {
    const scans = planScans(plan);
    expect(scans).toEqual([
      {
        table: 'lake.silver.orders',
        projections: ['order_id', 'amount'],
        filterWords: ['status', 'AND', 'order date'],
      },
      { projections: ['order_id'], filterWords: [] },
    ]);
    const sizes = { order_id: 100, amount: 200, status: 30, 'order date': 5, unread: 1000 };
    expect(scanBytes(scans[0]!, sizes)).toBe(335);
    expect(scanBytes(scans[1]!, sizes)).toBe(100);
  });

  it('explains a call statement by statement: semicolons in quotes or comments split nothing', () => {
    expect(
      statementsOf(
        `delete from "a;b" t using s where t.k = 'x;''y';\ninsert into t select * from s -- done; really\n;`,
      ),
    ).toEqual([
      `delete from "a;b" t using s where t.k = 'x;''y'`,
      `\ninsert into t select * from s -- done; really\n`,
    ]);
    expect(statementsOf('select 1')).toEqual(['select 1']);
  });

  it('bills whole megabytes, at least ten, and nothing for a statement that scans nothing', () => {
    const mb = 1024 * 1024;
    expect(billedBytes(0)).toBe(0);
    expect(billedBytes(1)).toBe(10 * mb);
    expect(billedBytes(12 * mb + 1)).toBe(13 * mb);
  });
});

describe('the statements a run sends', () => {
  const sent: SentStatement[] = [
    { step: 'PlanSilver', sql: 'select max(x) from audit.model_state', kind: 'query' },
    { step: 'BuildSilverModel', sql: 'describe select * from bronze.orders', kind: 'describe' },
    { step: 'BuildSilverModel', sql: 'insert into silver.orders select 1', kind: 'execute' },
    { step: 'BuildSilverModel', sql: 'insert into silver.orders select 1', kind: 'execute' },
    { step: 'SilverQuality', sql: 'select count(*) from silver.orders', kind: 'query' },
  ];

  it('counts them per step', () => {
    expect(statementsByStep(sent)).toEqual({
      PlanSilver: 1,
      BuildSilverModel: 3,
      SilverQuality: 1,
    });
  });

  it('finds the replayed data statements among them, in order, and refuses a log they are not in', () => {
    expect([
      ...replayedIndexes(sent, [
        { sql: 'insert into silver.orders select 1' },
        { sql: 'select count(*) from silver.orders' },
      ]),
    ]).toEqual([2, 4]);
    expect(() =>
      replayedIndexes(sent, [
        { sql: 'select count(*) from silver.orders' },
        { sql: 'insert into silver.orders select 1' },
      ]),
    ).toThrow(/statement 2 of 2 is not among the statements sent/);
  });
});
