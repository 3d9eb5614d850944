/**
 * The local stand-in for the CRM and FX REST APIs: a real HTTP server on a free loopback port,
 * serving the generated `_sim/<source>/<dataset>.jsonl` files the way the real APIs behave:
 * bearer-token auth, `updated_since`/`updated_before` windows, cursor pagination, a 429 with
 * `Retry-After` every Nth request and occasional 5xx, so the connector's retries run for real.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { PlatformConfig } from '../../../config/schema';
import type { ContractRegistry } from '../../core/contracts/contract';
import { PipelineError } from '../../core/errors';
import { Random, streamId } from '../generator/random';

export interface RestSimulatorOptions {
  readonly simDir: string;
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  /** Seeds the 5xx injection so runs are repeatable. */
  readonly seed: number;
}

export interface RestSimulator {
  readonly baseUrl: string;
  readonly token: string;
  readonly stats: { requests: number; throttled: number; failed: number };
  close(): Promise<void>;
}

interface Collection {
  readonly file: string;
  readonly key: readonly string[];
  readonly watermark: string;
  /** The versions file's lines, parsed only when a window may show them. */
  lines?: string[];
  readonly windows: Map<string, Record<string, unknown>[]>;
}

export async function startRestSimulator(options: RestSimulatorOptions): Promise<RestSimulator> {
  if (!existsSync(path.join(options.simDir, 'manifest.json'))) {
    throw new PipelineError(
      `No sample data in ${options.simDir} for the local REST APIs: run \`medallion generate\` first.`,
    );
  }
  const { throttleEvery, serverErrorRate, retryAfterSeconds } = options.config.simulators;
  const collections = new Map<string, Collection>();
  for (const [source, settings] of Object.entries(options.config.sources)) {
    if (settings.kind !== 'rest') continue;
    for (const [dataset, d] of Object.entries(settings.datasets)) {
      collections.set(d.path, {
        file: path.join(options.simDir, source, `${dataset}.jsonl`),
        key: options.contracts.get(`${source}.${dataset}`).primaryKey,
        watermark: d.watermark,
        windows: new Map(),
      });
    }
  }
  const token = randomBytes(16).toString('hex');
  const stats = { requests: 0, throttled: 0, failed: 0 };
  const random = new Random(streamId(options.seed, 'rest-simulator'));

  const server = createServer((request, response) => {
    stats.requests++;
    try {
      handle(request, response);
    } catch (error) {
      send(response, 500, { error: (error as Error).message });
    }
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const collection = collections.get(url.pathname);
    if (request.method !== 'GET' || !collection)
      return send(response, 404, { error: `no collection at ${url.pathname}` });
    if (request.headers.authorization !== `Bearer ${token}`)
      return send(response, 401, { error: 'missing or wrong bearer token' });
    if (throttleEvery > 0 && stats.requests % throttleEvery === 0) {
      stats.throttled++;
      return send(
        response,
        429,
        { error: 'rate limit exceeded' },
        { 'retry-after': String(retryAfterSeconds) },
      );
    }
    if (random.chance(serverErrorRate)) {
      stats.failed++;
      return send(response, 503, { error: 'upstream unavailable, try again' });
    }
    const since = url.searchParams.get('updated_since');
    const before = url.searchParams.get('updated_before');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 10_000);
    const offset = decodeCursor(url.searchParams.get('cursor'));
    if (offset === undefined) return send(response, 400, { error: 'invalid cursor' });
    const window = windowOf(collection, since, before);
    const data = window.slice(offset, offset + limit);
    const next = offset + limit < window.length ? encodeCursor(offset + limit) : null;
    send(response, 200, { data, next_cursor: next });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    stats,
    close: () =>
      new Promise((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      ),
  };
}

/**
 * What the API shows for a window: the latest version (before `before`) of each record changed
 * after `since`, ordered by watermark then key so pages are stable.
 */
function windowOf(
  collection: Collection,
  since: string | null,
  before: string | null,
): Record<string, unknown>[] {
  const cacheKey = `${since}|${before}`;
  const cached = collection.windows.get(cacheKey);
  if (cached) return cached;
  collection.lines ??= readLines(collection.file);
  const lower = since === null ? -Infinity : Date.parse(since);
  const upper = before === null ? Infinity : Date.parse(before);
  // A version at or before `since` is never the latest one changed after it: such lines are
  // skipped by their watermark's text, not parsed (a later run's window is a day out of years).
  const watermarkText = new RegExp(`"${collection.watermark}":"([^"]*)"`);
  // Each version's time and key computed once: a sort comparing them would recompute both for
  // every comparison (at 80,000 records, a quarter of a second of the platform's one JS thread).
  const latest = new Map<string, { record: Record<string, unknown>; time: number; key: string }>();
  for (const line of collection.lines) {
    const text = watermarkText.exec(line)?.[1];
    if (text !== undefined && !(Date.parse(text) > lower)) continue;
    const record = JSON.parse(line) as Record<string, unknown>;
    const time = Date.parse(String(record[collection.watermark]));
    if (!(time < upper)) continue;
    const key = collection.key.map((k) => String(record[k])).join('|');
    const current = latest.get(key);
    if (!current || current.time <= time) latest.set(key, { record, time, key });
  }
  const window = [...latest.values()]
    .filter((v) => v.time > lower)
    .sort((a, b) => a.time - b.time || a.key.localeCompare(b.key))
    .map((v) => v.record);
  collection.windows.set(cacheKey, window);
  return window;
}

function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64url');
}

function decodeCursor(cursor: string | null): number | undefined {
  if (cursor === null) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      offset: unknown;
    };
    return Number.isInteger(offset) && (offset as number) >= 0 ? (offset as number) : undefined;
  } catch {
    return undefined;
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
