import { describe, expect, it } from 'vitest';
import { asOfDate, OutOfOrderRunError, rebuildsFromBronze } from '../../lambdas/core/run-dates';

describe('the date silver and gold are built as of', () => {
  it('is the run’s own date on a new lake, for the last completed date again, and for a later one', () => {
    expect(asOfDate({ date: '2026-01-01' }, undefined)).toBe('2026-01-01');
    expect(asOfDate({ date: '2026-01-02' }, '2026-01-02')).toBe('2026-01-02');
    expect(asOfDate({ date: '2026-01-03' }, '2026-01-02')).toBe('2026-01-03');
  });

  it('refuses an earlier date, naming it, the last completed date and how to proceed', () => {
    expect(() => asOfDate({ date: '2026-01-01' }, '2026-01-02')).toThrow(OutOfOrderRunError);
    expect(() => asOfDate({ date: '2026-01-01', fullRefresh: true }, '2026-01-02')).toThrow(
      /2026-01-01 is earlier than 2026-01-02, the lake's last completed run date.*--backfill.*"backfill": true.*--from <date> --to <date>/,
    );
  });

  it('builds a backfill of an earlier date as of the last completed date: it never goes back', () => {
    expect(asOfDate({ date: '2026-01-01', backfill: true }, '2026-01-03')).toBe('2026-01-03');
    expect(asOfDate({ date: '2026-01-04', backfill: true }, '2026-01-03')).toBe('2026-01-04');
  });

  it('a backfill or a full refresh rebuilds from bronze; a plain run merges', () => {
    expect(rebuildsFromBronze({})).toBe(false);
    expect(rebuildsFromBronze({ backfill: true })).toBe(true);
    expect(rebuildsFromBronze({ fullRefresh: true })).toBe(true);
  });
});
