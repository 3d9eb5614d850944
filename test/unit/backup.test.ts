import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  backupId,
  checksumDifferences,
  isBackedUp,
  isBackupId,
  manifestProblems,
} from '../../lambdas/core/backup';
import { catchUpDates } from '../../lambdas/core/run-dates';
import { parseTarHeader, tarEnd, tarHeader, tarPadding } from '../../lambdas/core/tar';

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

describe('the ustar archive format', () => {
  const archive = (entries: [string, string][]) =>
    Buffer.concat([
      ...entries.flatMap(([name, text]) => [
        tarHeader(name, Buffer.byteLength(text), new Date('2026-01-01T00:00:00Z')),
        Buffer.from(text),
        tarPadding(Buffer.byteLength(text)),
      ]),
      tarEnd(),
    ]);

  it('writes archives the system tar reads, long paths included', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tar-test-'));
    try {
      const long = `bronze/${'d'.repeat(90)}/${'f'.repeat(60)}.parquet`;
      writeFileSync(
        path.join(dir, 'a.tar.gz'),
        gzipSync(
          archive([
            ['x/y.txt', 'hello'],
            [long, ''],
          ]),
        ),
      );
      const listed = execFileSync('tar', ['tzf', path.join(dir, 'a.tar.gz')], { encoding: 'utf8' });
      expect(listed.trim().split('\n')).toEqual(['x/y.txt', long]);
      execFileSync('tar', ['xzf', 'a.tar.gz'], { cwd: dir });
      expect(readFileSync(path.join(dir, 'x', 'y.txt'), 'utf8')).toBe('hello');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads back the name and size it wrote, and the end of the archive', () => {
    const name = `${'p'.repeat(120)}/name.json`;
    expect(parseTarHeader(tarHeader(name, 1234, new Date()))).toEqual({ name, size: 1234 });
    expect(parseTarHeader(tarEnd().subarray(0, 512))).toBeUndefined();
  });

  it('refuses a damaged header, a cut one, and a path too long for ustar', () => {
    const header = tarHeader('a.txt', 5, new Date());
    header[0] = 'b'.charCodeAt(0);
    expect(() => parseTarHeader(header)).toThrow(/header checksum/);
    expect(() => parseTarHeader(header.subarray(0, 100))).toThrow(/Truncated/);
    expect(() => tarHeader(`${'x'.repeat(200)}/y`, 1, new Date())).toThrow(/too long/);
  });
});
