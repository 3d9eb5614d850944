import { describe, expect, it } from 'vitest';
import { PipelineError, TransientError } from '../../lambdas/core/errors';
import { getWithRetry, paginate, retryDelayMs } from '../../lambdas/core/ingest/rest';
import type { HttpClient, HttpResponse } from '../../lambdas/core/ports';
import { ManualClock } from '../helpers/clock';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

/** An HttpClient that answers from a script and records every URL it was asked for. */
class ScriptedHttp implements HttpClient {
  readonly urls: string[] = [];
  constructor(private readonly script: (HttpResponse | Error)[]) {}
  async get(url: string): Promise<HttpResponse> {
    this.urls.push(url);
    const next = this.script.shift();
    if (!next) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    return next;
  }
}
const ok = (body: unknown): HttpResponse => ({
  status: 200,
  headers: {},
  body: JSON.stringify(body),
});
const status = (code: number, headers: Record<string, string> = {}): HttpResponse => ({
  status: code,
  headers,
  body: '{"error":"x"}',
});

describe('REST retry policy', () => {
  it('waits a random share of an exponentially growing, capped delay (full jitter)', () => {
    expect(retryDelayMs(0, policy, () => 0.999)).toBe(99);
    expect(retryDelayMs(3, policy, () => 0.5)).toBe(400);
    expect(retryDelayMs(9, policy, () => 0.999)).toBe(999);
    expect(retryDelayMs(2, policy, () => 0)).toBe(0);
  });

  it('honours Retry-After in seconds or as an HTTP date, up to a minute', () => {
    expect(retryDelayMs(0, policy, () => 0.5, '3')).toBe(3000);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(retryDelayMs(0, policy, () => 0.5, 'Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(retryDelayMs(0, policy, () => 0.5, '3600')).toBe(60_000);
  });

  it('retries 429 after Retry-After and 5xx and network errors with backoff, then succeeds', async () => {
    const http = new ScriptedHttp([
      status(429, { 'retry-after': '2' }),
      status(503),
      new Error('socket hang up'),
      ok({ data: [], next_cursor: null }),
    ]);
    const clock = new ManualClock();
    const response = await getWithRetry(
      { http, clock, random: () => 0.5 },
      { url: 'http://api/x', headers: {}, timeoutMs: 1000, retry: policy },
    );
    expect(response.status).toBe(200);
    expect(clock.sleeps).toEqual([2000, 100, 200]);
  });

  it('gives up after maxAttempts with a TransientError the state machine retries', async () => {
    const http = new ScriptedHttp([status(500), status(502), status(503), status(504)]);
    const call = getWithRetry(
      { http, clock: new ManualClock(), random: () => 0 },
      { url: 'http://api/x', headers: {}, timeoutMs: 1000, retry: policy },
    );
    await expect(call).rejects.toThrow(
      new TransientError('GET http://api/x failed after 4 attempts (last: status 504)'),
    );
    expect(http.urls).toHaveLength(4);
  });

  it('does not retry a client error', async () => {
    const http = new ScriptedHttp([status(401)]);
    const call = getWithRetry(
      { http, clock: new ManualClock(), random: () => 0 },
      { url: 'http://api/x', headers: {}, timeoutMs: 1000, retry: policy },
    );
    await expect(call).rejects.toBeInstanceOf(PipelineError);
    await expect(call).rejects.not.toBeInstanceOf(TransientError);
    expect(http.urls).toHaveLength(1);
  });

  it('follows next_cursor page by page until it is null', async () => {
    const http = new ScriptedHttp([
      ok({ data: [{ id: 1 }], next_cursor: 'abc' }),
      ok({ data: [{ id: 2 }], next_cursor: null }),
    ]);
    const pages = [];
    for await (const page of paginate(
      { http, clock: new ManualClock(), random: () => 0 },
      { url: 'http://api/x?limit=1', headers: {}, timeoutMs: 1000, retry: policy },
    )) {
      pages.push(page);
    }
    expect(pages.map((p) => p.records)).toEqual([[{ id: 1 }], [{ id: 2 }]]);
    expect(http.urls).toEqual(['http://api/x?limit=1', 'http://api/x?limit=1&cursor=abc']);
    expect(pages[1]!.ref).toBe('/x?limit=1&cursor=abc');
  });

  it('rejects a page that is not the documented shape', async () => {
    const http = new ScriptedHttp([ok({ items: [] })]);
    const pages = paginate(
      { http, clock: new ManualClock(), random: () => 0 },
      { url: 'http://api/x', headers: {}, timeoutMs: 1000, retry: policy },
    );
    await expect(pages.next()).rejects.toThrow(
      'returned JSON without a data array and a next_cursor',
    );
  });
});
