import { describe, expect, it } from 'vitest';
import {
  backupId,
  checksumDifferences,
  isBackedUp,
  isBackupId,
  manifestProblems,
} from '../../lambdas/core/backup';
import { catchUpDates } from '../../lambdas/core/run-dates';

const file = (path: string, sha256 = 'a'.repeat(64), size = 10) => ({ path, size, sha256 });

describe('what a backup holds', () => {
  it('holds bronze, the lakehouse, watermarks, audit and catalog, not the lock, scratch or the sources', () => {
    for (const kept of [
      'bronze/crm/accounts/part-1.parquet',
      'lakehouse.duckdb',
      'lakehouse.duckdb.wal',
      'state/ingest/crm/watermark.json',
      'audit/privacy/requests.jsonl',
      'catalog/gold/fact_orders.json',
    ])
      expect(isBackedUp(kept)).toBe(true);
    for (const left of ['.lock', '_tmp/worker/x', '_sim/manifest.json'])
      expect(isBackedUp(left)).toBe(false);
  });

  it('names a backup by its creation time, sortable and safe as a file name', () => {
    const id = backupId(new Date('2026-01-02T03:04:05.678Z'));
    expect(id).toBe('20260102T030405678Z');
    expect(isBackupId(id)).toBe(true);
    expect(isBackupId('../../etc/passwd')).toBe(false);
    expect(backupId(new Date('2026-01-02T03:04:05.679Z')) > id).toBe(true);
  });
});

describe('checking an archive against its manifest', () => {
  it('finds nothing when every file is there with its checksum', () => {
    const files = [file('a'), file('b/c')];
    expect(manifestProblems(files, [...files].reverse())).toEqual([]);
  });

  it('names each missing, unexpected, duplicated and changed file', () => {
    const problems = manifestProblems(
      [file('kept'), file('changed'), file('missing')],
      [file('kept'), file('changed', 'b'.repeat(64)), file('extra'), file('kept')],
    );
    expect(problems).toEqual([
      'changed: checksum mismatch (manifest aaaaaaaaaaaa…, 10 bytes; archive bbbbbbbbbbbb…, 10 bytes)',
      'extra: in the archive but not in the manifest',
      'kept: appears twice in the archive',
      'missing: in the manifest but not in the archive',
    ]);
  });

  it('counts a file cut short as changed even when its first bytes hash the same', () => {
    expect(manifestProblems([file('a', 'x', 10)], [file('a', 'x', 9)])).toHaveLength(1);
  });
});

describe('comparing gold with the reference', () => {
  const ref = [
    { table: 'gold.a', rows: 2, checksum: '10' },
    { table: 'gold.b', rows: 3, checksum: '20' },
  ];

  it('agrees when every table has the same rows and checksum', () => {
    expect(checksumDifferences(ref, [...ref].reverse())).toEqual([]);
  });

  it('names each table with other rows, other content, missing or unexpected', () => {
    expect(
      checksumDifferences(ref, [
        { table: 'gold.a', rows: 1, checksum: '10' },
        { table: 'gold.c', rows: 3, checksum: '20' },
      ]),
    ).toEqual([
      'gold.a: 1 rows, the reference has 2',
      'gold.b: missing after the restore',
      'gold.c: not in the reference',
    ]);
    expect(checksumDifferences(ref, [ref[0]!, { ...ref[1]!, checksum: '21' }])).toEqual([
      'gold.b: same 3 rows but different content',
    ]);
  });
});

describe('the days a catch-up runs', () => {
  const days = ['2026-01-01', '2026-01-02', '2026-01-03'];

  it('runs the days since the restored backup, in order', () => {
    expect(catchUpDates(days, new Set(['2026-01-01']), '2026-01-01')).toEqual({
      pending: ['2026-01-02', '2026-01-03'],
      skipped: [],
    });
  });

  it('skips a day before the last completed one: it would rewind the lake', () => {
    expect(catchUpDates(days, new Set(['2026-01-02']), '2026-01-02')).toEqual({
      pending: ['2026-01-03'],
      skipped: ['2026-01-01'],
    });
  });
});
