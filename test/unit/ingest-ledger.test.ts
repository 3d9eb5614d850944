import { describe, expect, it } from 'vitest';
import {
  bronzeKey,
  IngestLedger,
  nextObjectNumber,
  stagedKey,
} from '../../lambdas/core/ingest/bronze';
import { MemoryObjectStore } from '../helpers/memory-store';

const meta = { ingestedAt: new Date('2026-01-02T03:04:05Z'), runId: 'run-1', source: 'crm' };

describe('bronze publishing', () => {
  it('keys objects by source, dataset, ingest date and run', () => {
    expect(bronzeKey('crm', 'accounts', meta, 2)).toBe(
      'bronze/crm/accounts/ingest_date=2026-01-02/run-1-2.parquet',
    );
    expect(stagedKey('bronze/crm/accounts/x.parquet')).toBe(
      'bronze/_staging/crm/accounts/x.parquet',
    );
  });

  it('commits the watermark, then moves staged objects into place', async () => {
    const store = new MemoryObjectStore();
    const ledger = new IngestLedger(store);
    const staged = stagedKey(bronzeKey('crm', 'accounts', meta, 0));
    await store.putText(staged, 'parquet');
    await ledger.commit(
      'crm',
      'accounts',
      { watermark: '2026-01-02', runId: 'run-1', committedAt: 'now' },
      [staged],
    );
    expect(await store.list('bronze/')).toEqual([
      'bronze/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet',
    ]);
    expect(await ledger.read('crm', 'accounts')).toMatchObject({
      watermark: '2026-01-02',
      pending: [],
      objects: 1,
    });
  });

  it('after a crash, publishes what was committed and discards what was not', async () => {
    const store = new MemoryObjectStore();
    const ledger = new IngestLedger(store);
    const committed = stagedKey(bronzeKey('crm', 'accounts', meta, 0));
    const orphan = stagedKey(bronzeKey('crm', 'accounts', { ...meta, runId: 'run-2' }, 0));
    await store.putText(committed, 'a');
    await store.putText(orphan, 'b');
    // The process died after writing the commit record, before moving the object.
    await store.putText(
      'state/ingest/crm/accounts.json',
      JSON.stringify({
        watermark: 'w',
        runId: 'run-1',
        committedAt: 'now',
        pending: [committed],
        objects: 1,
      }),
    );
    expect(await ledger.recover('crm', 'accounts')).toEqual({ published: 1, discarded: 1 });
    expect(await store.list('bronze/')).toEqual([
      'bronze/crm/accounts/ingest_date=2026-01-02/run-1-0.parquet',
    ]);
    expect((await ledger.read('crm', 'accounts'))?.pending).toEqual([]);
  });

  it('numbers a run’s objects on from what it already committed', () => {
    const state = { watermark: null, runId: 'run-1', committedAt: '', pending: [], objects: 3 };
    expect(nextObjectNumber(state, 'run-1')).toBe(3);
    expect(nextObjectNumber(state, 'run-2')).toBe(0);
    expect(nextObjectNumber(undefined, 'run-1')).toBe(0);
  });
});
