import { describe, expect, it } from 'vitest';
import { dayTotals, floorRows, ratio, renderFloorTable } from '../bench/floor';
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

  it('prints one row per scale in a sweep, with each scale’s own peak RSS', () => {
    const report = (scale: number, floor?: (number | null)[]) => ({
      scale,
      days: [
        { seconds: scale / 1e5, peakRssMb: scale / 1e4 },
        { seconds: scale / 1e6, peakRssMb: scale / 2e4 },
      ],
      ...(floor ? { floor: floor.map((r) => ({ ratio: r })) } : {}),
    });
    expect(
      renderScaleTable([report(1_000_000, [1.3, null]), report(3_000_000)]).split('\n'),
    ).toEqual([
      '      orders     day 1     day 2 day1/floor day2/floor  peak RSS',
      '   1,000,000    10.00s     1.00s      1.30×          —    100 MB',
      '   3,000,000    30.00s     3.00s          —          —    300 MB',
    ]);
  });
});
