/**
 * REST extraction: cursor-paginated collections fetched since the stored watermark, with retries
 * that back off exponentially with full jitter on 5xx and network errors and wait as told by
 * `Retry-After` on 429. Records land in bronze as text exactly as received.
 */
import type { RetryPolicy } from '../../../config/schema';
import type { Contract } from '../contracts/contract';
import { PipelineError, ReconciliationError, TransientError } from '../errors';
import type { Clock, ColumnSpec, HttpClient, HttpResponse, ParquetSink } from '../ports';
import type { DatasetStats } from '../stats';
import { endOfDay } from '../time';
import {
  bronzeKey,
  bronzeStats,
  metadataConstants,
  rowMetadataColumns,
  stagedKey,
  type IngestLedger,
} from './bronze';

/** The longest a `Retry-After` is honoured before the call counts as failed. */
const maxRetryAfterMs = 60_000;

/**
 * How long to wait before retry number `attempt` (0-based): the server's `Retry-After` when it
 * sent one, else a random delay up to `base · 2^attempt`, capped ("full jitter").
 */
export function retryDelayMs(
  attempt: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfter?: string,
  now = new Date(),
): number {
  if (retryAfter !== undefined) {
    const seconds = /^\d+$/.test(retryAfter.trim())
      ? Number(retryAfter) * 1000
      : Date.parse(retryAfter) - now.getTime();
    if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds), maxRetryAfterMs);
  }
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

export interface RestCall {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
}

export interface RestDeps {
  readonly http: HttpClient;
  readonly clock: Clock;
  readonly random: () => number;
}

/** GET with retries; returns the first 2xx response or throws naming the URL and what went wrong. */
export async function getWithRetry(deps: RestDeps, call: RestCall): Promise<HttpResponse> {
  let last = '';
  for (let attempt = 0; attempt < call.retry.maxAttempts; attempt++) {
    let response: HttpResponse | undefined;
    try {
      response = await deps.http.get(call.url, {
        headers: call.headers,
        timeoutMs: call.timeoutMs,
      });
    } catch (error) {
      last = `network error: ${(error as Error).message}`;
    }
    if (response && response.status >= 200 && response.status < 300) return response;
    if (response && response.status !== 429 && response.status < 500) {
      throw new PipelineError(
        `GET ${call.url} answered ${response.status}: ${response.body.slice(0, 200)}`,
      );
    }
    if (response) last = `status ${response.status}`;
    if (attempt + 1 < call.retry.maxAttempts) {
      const retryAfter = response?.status === 429 ? response.headers['retry-after'] : undefined;
      await deps.clock.sleep(
        retryDelayMs(attempt, call.retry, deps.random, retryAfter, deps.clock.now()),
      );
    }
  }
  throw new TransientError(
    `GET ${call.url} failed after ${call.retry.maxAttempts} attempts (last: ${last})`,
  );
}

export interface Page {
  readonly records: readonly Record<string, unknown>[];
  /** The request that produced the page, for `_source_ref`. */
  readonly ref: string;
}

/** Follows `next_cursor` until the collection is exhausted. */
export async function* paginate(deps: RestDeps, call: RestCall): AsyncGenerator<Page> {
  let cursor: string | null = null;
  do {
    const url = new URL(call.url);
    if (cursor !== null) url.searchParams.set('cursor', cursor);
    const response = await getWithRetry(deps, { ...call, url: url.toString() });
    const body = parsePage(response.body, url.toString());
    yield { records: body.data, ref: `${url.pathname}${url.search}` };
    cursor = body.next_cursor;
  } while (cursor !== null);
}

function parsePage(
  text: string,
  url: string,
): { data: Record<string, unknown>[]; next_cursor: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new TransientError(`GET ${url} returned a body that is not JSON: ${text.slice(0, 120)}`);
  }
  const page = body as { data?: unknown; next_cursor?: unknown };
  if (
    !Array.isArray(page.data) ||
    !(typeof page.next_cursor === 'string' || page.next_cursor === null)
  ) {
    throw new PipelineError(
      `GET ${url} returned JSON without a data array and a next_cursor (string or null)`,
    );
  }
  return { data: page.data as Record<string, unknown>[], next_cursor: page.next_cursor };
}

export interface RestDatasetRequest {
  readonly source: string;
  readonly dataset: string;
  readonly baseUrl: string;
  readonly path: string;
  readonly watermarkField: string;
  readonly pageSize: number;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly contract: Contract;
  readonly runId: string;
  readonly runDate: string;
}

export interface RestIngestDeps extends RestDeps {
  readonly sink: ParquetSink;
  readonly ledger: IngestLedger;
}

/** Rows per bronze object: bounds memory however large the collection. */
const rowsPerObject = 50_000;

export async function ingestRestDataset(
  deps: RestIngestDeps,
  request: RestDatasetRequest,
): Promise<DatasetStats> {
  const { source, dataset, contract } = request;
  const startedAt = deps.clock.now();
  await deps.ledger.recover(source, dataset);
  const state = await deps.ledger.read<string>(source, dataset);
  const since = state?.watermark ?? null;
  const url = new URL(request.path, request.baseUrl);
  url.searchParams.set('limit', String(request.pageSize));
  if (since !== null) url.searchParams.set('updated_since', since);
  url.searchParams.set('updated_before', endOfDay(request.runDate));

  const columns: ColumnSpec[] = [
    ...contract.columns.map((c) => ({ name: c.name, type: 'VARCHAR' })),
    { name: '_extra', type: 'VARCHAR' },
    ...rowMetadataColumns,
  ];
  const known = new Set(contract.columns.map((c) => c.name));
  const meta = { ingestedAt: startedAt, runId: request.runId, source };
  const staged: string[] = [];
  let buffer: unknown[][] = [];
  let received = 0;
  let written = 0;
  let watermark = since;
  const flush = async () => {
    if (buffer.length === 0) return;
    const key = stagedKey(bronzeKey(source, dataset, meta, staged.length));
    written += await deps.sink.writeRows(key, columns, buffer, metadataConstants(meta));
    staged.push(key);
    buffer = [];
  };

  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  for await (const page of paginate(deps, {
    url: url.toString(),
    headers,
    timeoutMs: request.timeoutMs,
    retry: request.retry,
  })) {
    page.records.forEach((record, index) => {
      const value = record[request.watermarkField];
      if (typeof value === 'string' && (watermark === null || value > watermark)) watermark = value;
      const extra = Object.keys(record).filter((k) => !known.has(k));
      buffer.push([
        ...contract.columns.map((c) => asText(record[c.name])),
        extra.length > 0
          ? JSON.stringify(Object.fromEntries(extra.map((k) => [k, record[k]])))
          : null,
        `${source}@${request.runId}:${page.ref}`,
        index,
      ]);
    });
    received += page.records.length;
    if (buffer.length >= rowsPerObject) await flush();
  }
  await flush();
  if (written !== received) {
    throw new ReconciliationError(
      `${source}.${dataset}: received ${received} records but ${written} reached bronze`,
    );
  }
  await deps.ledger.commit(
    source,
    dataset,
    { watermark, runId: request.runId, committedAt: deps.clock.now().toISOString() },
    staged,
  );
  return bronzeStats(
    `${source}.${dataset}`,
    { rowsIn: received, rowsOut: written },
    startedAt,
    deps.clock.now(),
  );
}

/** JSON values as bronze keeps them: text, untouched; silver does the typing. */
function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
