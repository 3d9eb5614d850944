import { describe, expect, it } from 'vitest';
import {
  parseRequestLog,
  rememberedErasures,
  requestDeadline,
  summarizeRequests,
  type RequestLogEntry,
} from '../../lambdas/core/privacy/requests';

const hash = 'a'.repeat(64);
const entry = (fields: Partial<RequestLogEntry>): RequestLogEntry => ({
  requestId: 'r1',
  kind: 'erase',
  event: 'started',
  regime: 'gdpr',
  received: '2026-01-10',
  subject: hash,
  identifiers: {},
  at: '2026-01-10T09:00:00.000Z',
  rows: {},
  ...fields,
});

describe('request deadlines', () => {
  it('gives GDPR one calendar month, the month’s last day when it has no such day', () => {
    expect(requestDeadline('2026-01-10', 'gdpr')).toBe('2026-02-10');
    expect(requestDeadline('2026-01-31', 'gdpr')).toBe('2026-02-28');
    expect(requestDeadline('2028-01-31', 'gdpr')).toBe('2028-02-29');
    expect(requestDeadline('2026-12-15', 'gdpr')).toBe('2027-01-15');
  });

  it('gives CCPA 45 days', () => {
    expect(requestDeadline('2026-01-10', 'ccpa')).toBe('2026-02-24');
  });
});

describe('request status', () => {
  it('flags an open request past its deadline as overdue, and one finished late', () => {
    const [late, open] = summarizeRequests(
      [
        entry({ requestId: 'open' }),
        entry({ requestId: 'late', received: '2026-01-01' }),
        entry({
          requestId: 'late',
          received: '2026-01-01',
          event: 'completed',
          at: '2026-02-05T10:00:00.000Z',
          rows: { 'silver.customers': 1 },
        }),
      ],
      '2026-02-11',
    );
    expect(open).toMatchObject({
      requestId: 'open',
      status: 'in progress',
      deadline: '2026-02-10',
      overdue: true,
    });
    expect(late).toMatchObject({
      requestId: 'late',
      status: 'completed',
      deadline: '2026-02-01',
      completedAt: '2026-02-05T10:00:00.000Z',
      overdue: true,
    });
  });

  it('keeps the first received date and adds up what every run of an erase removed', () => {
    const [summary] = summarizeRequests(
      [
        entry({ event: 'completed', rows: { 'silver.customers': 1, 'gold.fact_orders': 3 } }),
        entry({ received: '2026-03-01', event: 'completed', rows: { 'silver.orders': 2 } }),
      ],
      '2026-01-20',
    );
    expect(summary).toMatchObject({
      received: '2026-01-10',
      status: 'completed',
      rows: 6,
      overdue: false,
    });
  });

  it('counts an export once however often it ran, and reports a failed erase as failed', () => {
    const [exported, failed] = summarizeRequests(
      [
        entry({ requestId: 'a', kind: 'export', event: 'completed', rows: { t: 4 } }),
        entry({ requestId: 'a', kind: 'export', event: 'completed', rows: { t: 4 } }),
        entry({ requestId: 'b', event: 'failed', residue: 2 }),
      ],
      '2026-01-11',
    );
    expect(exported).toMatchObject({ kind: 'export', rows: 4 });
    expect(failed).toMatchObject({ status: 'failed', overdue: false });
  });
});

describe('the request log', () => {
  it('names the line that is not an entry', () => {
    const good = JSON.stringify(entry({}));
    expect(parseRequestLog(`${good}\n\n${good}\n`, 'log.jsonl')).toHaveLength(2);
    expect(() => parseRequestLog(`${good}\n{"requestId":"x"}\n`, 'log.jsonl')).toThrow(
      'log.jsonl:2: not a request log entry',
    );
    expect(() => parseRequestLog(`${good}\nnot json\n`, 'log.jsonl')).toThrow(
      'log.jsonl:2: not JSON',
    );
  });
});

describe('erasures the log remembers', () => {
  it('gathers every identifier hash any run of an erase resolved, and ignores exports', () => {
    const h = (c: string) => c.repeat(64);
    const remembered = rememberedErasures([
      entry({ event: 'completed', identifiers: { email: [h('1')], customer_id: [h('2')] } }),
      entry({ event: 'completed', identifiers: { customer_id: [h('3')] } }),
      entry({
        requestId: 'x',
        kind: 'export',
        event: 'completed',
        identifiers: { email: [h('4')] },
      }),
    ]);
    expect(remembered).toEqual([
      {
        requestId: 'r1',
        regime: 'gdpr',
        received: '2026-01-10',
        subject: hash,
        identifiers: new Map([
          ['email', new Set([h('1')])],
          ['customer_id', new Set([h('2'), h('3')])],
        ]),
      },
    ]);
  });
});
