import { describe, expect, it } from 'vitest';
import { dayTotals, floorRows, ratio, renderFloorTable } from '../bench/floor';
import { ingestionFloor } from '../bench/ingest-floor';
import { renderScaleTable } from '../bench/scales';

describe('the floor table', () => {
  const day1 = {
    date: '2026-01-01',
    seconds: 10,
    rows: floorRows(
      { SnowflakeToBronze: 2, BuildSilverModel: 5 },
      { BuildSilverModel: 4, '(outside a step)': 0.5 },
    ),
  };
  const day2 = {
    date: '2026-01-02',
    seconds: 2,
    rows: floorRows({ BuildSilverModel: 1.5 }, { BuildSilverModel: 1 }),
  };

  it('has one row per step, floor-only steps last, and totals the run against its floor', () => {
    expect(day1.rows).toEqual([
      { step: 'SnowflakeToBronze', platform: 2, floor: 0 },
      { step: 'BuildSilverModel', platform: 5, floor: 4 },
      { step: '(outside a step)', platform: 0, floor: 0.5 },
    ]);
    expect(dayTotals(day1)).toEqual({ platform: 10, floor: 4.5 });
    expect(ratio(5, 4)).toBe(1.25);
    expect(ratio(2, 0)).toBeNull();
  });

  it('prints platform, floor and ratio per step, totals per day and day 2’s share', () => {
    expect(renderFloorTable([day1, day2]).split('\n')).toEqual([
      'step                      platform     floor    ratio',
      'daily 2026-01-01',
      '  SnowflakeToBronze          2.00s     0.00s        —',
      '  BuildSilverModel           5.00s     4.00s    1.25×',
      '  (outside a step)           0.00s     0.50s    0.00×',
      '  total                     10.00s     4.50s    2.22×',
      'daily 2026-01-02',
      '  BuildSilverModel           1.50s     1.00s    1.50×',
      '  total                      2.00s     1.00s    2.00×',
      'day 2 / day 1: platform 20.0%, floor 22.2%',
    ]);
  });

  it('counts the parallel ingest branches by the longest one, not their sum', () => {
    const day = {
      date: '2026-01-01',
      seconds: 10,
      rows: floorRows(
        { SnowflakeToBronze: 3, KafkaToBronze: 4, BuildSilverModel: 5 },
        { SnowflakeToBronze: 1.5, KafkaToBronze: 2.5, BuildSilverModel: 4 },
        new Set(['SnowflakeToBronze', 'KafkaToBronze']),
      ),
    };
    expect(day.rows[0]).toEqual({
      step: 'SnowflakeToBronze',
      platform: 3,
      floor: 1.5,
      branch: true,
    });
    expect(dayTotals(day)).toEqual({ platform: 10, floor: 6.5 });
    expect(ingestionFloor([])).toBe(0);
    expect(
      ingestionFloor([
        { state: 'SnowflakeToBronze', seconds: 1.5, rows: 10 },
        { state: 'KafkaToBronze', seconds: 2.5, rows: 20 },
      ]),
    ).toBe(2.5);
    expect(renderFloorTable([day]).split('\n').slice(1)).toEqual([
      'daily 2026-01-01',
      '  SnowflakeToBronze          3.00s     1.50s    2.00×  (parallel branch)',
      '  KafkaToBronze              4.00s     2.50s    1.60×  (parallel branch)',
      '  BuildSilverModel           5.00s     4.00s    1.25×',
      '  ingestion (longest)        4.00s     2.50s    1.60×',
      '  total                     10.00s     6.50s    1.54×',
    ]);
  });

  it('prints one row per scale in a sweep, with day 2’s and the gates’ shares and each scale’s own peak RSS', () => {
    const report = (scale: number, floor?: (number | null)[]) => ({
      scale,
      days: [
        { seconds: scale / 1e5, peakRssMb: scale / 1e4, gateSeconds: scale / 1e6 },
        { seconds: scale / 1e6, peakRssMb: scale / 2e4 },
      ],
      ...(floor ? { floor: floor.map((r) => ({ ratio: r })) } : {}),
    });
    expect(
      renderScaleTable([report(1_000_000, [1.3, null]), report(3_000_000)]).split('\n'),
    ).toEqual([
      '      orders     day 1     day 2 day2/day1 day1/floor day2/floor  gates d1  gates d2  peak RSS',
      '   1,000,000    10.00s     1.00s     10.0%      1.30×          —     10.0%         —    100 MB',
      '   3,000,000    30.00s     3.00s     10.0%          —          —     10.0%         —    300 MB',
    ]);
  });
});
