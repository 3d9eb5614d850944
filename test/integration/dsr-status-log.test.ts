/**
 * `medallion dsr status --log <folder>`: the AWS request log, copied with `aws s3 sync`, read into
 * the same table as the local log: one object per entry, `<request>/<time>-<n>-<event>.json`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../lambdas/core/privacy/requests';
import { medallion } from '../helpers/cli';

const hash = (c: string) => c.repeat(64);

/** An entry where the AWS erase puts it. */
function put(folder: string, entry: Partial<RequestLogEntry> & Pick<RequestLogEntry, 'event'>) {
  const full = {
    requestId: 'DSR-14',
    kind: 'erase',
    regime: 'gdpr',
    received: '2026-01-10',
    subject: hash('a'),
    identifiers: {},
    at: '2026-01-12T10:00:00.000Z',
    rows: {},
    ...entry,
  };
  const at = full.at.replace(/[:.]/g, '-');
  const file = path.join(
    folder,
    full.requestId,
    `${at}-${full.event === 'started' ? 0 : 1}-${full.event}.json`,
  );
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(full)}\n`);
}

describe('dsr status of the AWS request log', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-dsr-log-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reads a synced folder: each request by its last event, rows summed over its runs', () => {
    const log = path.join(root, 'aws-requests');
    put(log, { event: 'started' });
    put(log, { event: 'failed', residue: 2, at: '2026-01-12T10:05:00.000Z' });
    put(log, { event: 'started', at: '2026-01-13T09:00:00.000Z' });
    put(log, {
      event: 'completed',
      residue: 0,
      at: '2026-01-13T09:10:00.000Z',
      rows: { 'silver.orders': 3, 'landing/crm/contacts/': 1 },
    });
    put(log, {
      event: 'started',
      requestId: 'DSR-15',
      regime: 'ccpa',
      received: '2026-01-11',
      subject: hash('b'),
    });

    const { code, stdout, stderr } = medallion('dsr', 'status', '--log', log, '--format', 'json');

    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([
      {
        requestId: 'DSR-14',
        kind: 'erase',
        regime: 'gdpr',
        received: '2026-01-10',
        deadline: '2026-02-10',
        status: 'completed',
        completedAt: '2026-01-13T09:10:00.000Z',
        overdue: false,
        rows: 4,
      },
      {
        requestId: 'DSR-15',
        kind: 'erase',
        regime: 'ccpa',
        received: '2026-01-11',
        deadline: '2026-02-25',
        status: 'in progress',
        // Open past its deadline by now.
        overdue: true,
        rows: 0,
      },
    ]);
    const table = medallion('dsr', 'status', '--log', log);
    expect(table.stdout).toMatch(/DSR-14 .*completed/);
    expect(table.stdout).toMatch(/DSR-15 .*in progress.*OVERDUE/);
  });

  it('names the file and line of an entry that is not one, and an empty or missing folder', () => {
    const bad = path.join(root, 'bad');
    mkdirSync(path.join(bad, 'DSR-9'), { recursive: true });
    writeFileSync(path.join(bad, 'DSR-9', 'x.json'), '{"requestId": "DSR-9"}\n');
    const notEntry = medallion('dsr', 'status', '--log', bad);
    expect(notEntry.code).not.toBe(0);
    expect(notEntry.stderr).toContain(
      `${path.join(bad, 'DSR-9', 'x.json')}:1: not a request log entry`,
    );

    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    expect(medallion('dsr', 'status', '--log', empty).stderr).toContain(
      `--log ${empty}: no log entries (*.json) in the folder`,
    );
    expect(medallion('dsr', 'status', '--log', path.join(root, 'nothing')).stderr).toContain(
      'no such file or folder',
    );
  });
});
