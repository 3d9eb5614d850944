/**
 * The local MSK stand-in's broker side, run in a worker thread (`kafka-producer.ts` starts it):
 * reads the generated topic log (`_sim/kafka/<topic>/partition-N.jsonl`) from the committed
 * offsets and posts the events an MSK event source mapping would deliver: `eventSource: aws:kafka`,
 * records grouped by `topic-partition`, base64 keys and values. Like the real mapping it delivers
 * at least once: now and then a batch repeats the tail of the previous one, which the handler must
 * recognise by offset. On AWS the broker's work is not the platform's: in a thread of its own, it
 * does not take turns with the handler on the platform's one JS thread.
 *
 * The log keeps keys and values as a broker does, as bytes (base64 in a JSON line), so a line
 * becomes a record by adding its topic and partition: the reader reads each line's offset and
 * timestamp from its bytes and never parses or encodes a message. Each event is posted as the
 * JSON text Lambda would receive, parsed on the platform's side as the Lambda runtime parses it.
 *
 * A worker may run without its parent's TypeScript loader (under vitest, Node strips the types
 * itself): this file imports only Node's modules and types, in syntax Node can strip.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

/** What the worker is asked for: the batches of `topic` past `committed`, produced before `until`. */
export interface LogReadRequest {
  readonly folder: string;
  readonly topic: string;
  /** partition → last committed offset. */
  readonly committed: Readonly<Record<string, number>>;
  /** Epoch milliseconds: messages produced at or after it are left for a later run. */
  readonly until: number;
  readonly batchSize: number;
}

/** What the worker posts: each event (an MSK event's JSON text), then the end or why it stopped. */
export type LogReadMessage =
  | { readonly type: 'event'; readonly text: string }
  | { readonly type: 'end' }
  | { readonly type: 'error'; readonly message: string };

/** Events posted ahead of the handler: enough to keep it busy, few enough to bound memory. */
const eventsAhead = 4;

/** A log line as a record of its partition: the JSON text of an MSK record. */
interface LogRecord {
  readonly partition: number;
  readonly json: string;
}

/** Every Nth batch redelivers this many records of the batch before it. */
const redeliverEvery = 7;
const redeliveredRecords = 3;

async function* batches(request: LogReadRequest): AsyncGenerator<string> {
  const partitions = (await readdir(request.folder))
    .map((f) => /^partition-(\d+)\.jsonl$/.exec(f)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  let batch: LogRecord[] = [];
  let previous: LogRecord[] = [];
  let count = 0;
  const emit = (): string => {
    count++;
    const replay = count % redeliverEvery === 0 ? previous.slice(-redeliveredRecords) : [];
    const records = [...replay, ...batch];
    previous = batch;
    batch = [];
    return eventText(request.topic, records);
  };
  for (const partition of partitions) {
    const from = request.committed[String(partition)] ?? -1;
    // Everything a record adds to its log line, which starts with `{`.
    const fields = `{"topic":${JSON.stringify(request.topic)},"partition":${partition},"timestampType":"CREATE_TIME","headers":[],`;
    const file = path.join(request.folder, `partition-${partition}.jsonl`);
    read: for await (const lines of logLines(file, from + 1)) {
      for (const line of lines) {
        if (line.offset === undefined || line.timestamp === undefined) {
          throw new Error(
            `${file}, byte ${line.position}: not a message (a line starts {"offset":N,"timestamp":T,)`,
          );
        }
        if (line.offset <= from) continue;
        if (line.timestamp >= request.until) break read;
        batch.push({ partition, json: `${fields}${line.text.slice(1)}` });
        if (batch.length >= request.batchSize) yield emit();
      }
    }
    if (batch.length > 0) yield emit();
  }
}

/** The index keeps the byte position of every this many offsets: a seek then skips fewer lines. */
const indexEvery = 10_000;

/**
 * A sparse offset index beside a partition's log (`partition-N.index.json`), as a Kafka broker
 * keeps one beside each log segment: a run after the first seeks to its committed offset instead
 * of reading every message before it. It is built while the log is read, and trusted only for the
 * log it was built from (same size and modification time) and where the line at a position starts
 * with the offset it names; otherwise the log is read from its start.
 */
interface OffsetIndex {
  readonly size: number;
  readonly mtimeMs: number;
  /** `[offset, byte position of its line]`, by offset. */
  readonly entries: readonly (readonly [number, number])[];
}

/** A log line, with the offset and timestamp read from its bytes (undefined when it has none). */
interface LogLine {
  readonly offset: number | undefined;
  readonly timestamp: number | undefined;
  readonly text: string;
  /** Byte position of the line in its file. */
  readonly position: number;
}

/**
 * The lines of a partition's log from the indexed position at or before `first` (the first offset
 * wanted; earlier lines may come too), a megabyte at a time: a line at a time through `readline`
 * costs more than the rest of the reading. Lines are split as bytes, so a skipped line is never
 * decoded.
 */
async function* logLines(file: string, first: number): AsyncGenerator<LogLine[], void> {
  const indexFile = file.replace(/\.jsonl$/, '.index.json');
  const { size, mtimeMs } = await stat(file);
  const index = await readIndex(indexFile, size, mtimeMs);
  const known = new Map(index.map(([offset, position]) => [offset, position]));
  let start = 0;
  for (const [offset, position] of index) {
    if (offset > first) break;
    if (await startsWithOffset(file, position, offset)) start = position;
  }
  const found: [number, number][] = [];
  let position = start;
  let rest: Buffer = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(file, { start, highWaterMark: 1 << 20 })) {
      const bytes = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      const wanted: LogLine[] = [];
      let from = 0;
      for (let end = bytes.indexOf(10); end >= 0; end = bytes.indexOf(10, from)) {
        if (end > from) {
          const head = lineHead(bytes, from, end);
          const offset = head?.offset;
          if (offset !== undefined && offset % indexEvery === 0 && !known.has(offset))
            found.push([offset, position + from]);
          if (offset === undefined || offset >= first)
            wanted.push(logLine(bytes, from, end, position + from, head));
        }
        from = end + 1;
      }
      position += from;
      rest = bytes.subarray(from);
      if (wanted.length > 0) yield wanted;
    }
    if (rest.length > 0)
      yield [logLine(rest, 0, rest.length, position, lineHead(rest, 0, rest.length))];
  } finally {
    // Also when the reader stops early (the run's day ends mid-log): what was read is indexed.
    if (found.length > 0)
      await writeIndex(indexFile, { size, mtimeMs, entries: merged(index, found) });
  }
}

/** The line at `bytes[from, end)`, decoded, with the head {@link lineHead} read from it. */
function logLine(
  bytes: Buffer,
  from: number,
  end: number,
  position: number,
  head: ReturnType<typeof lineHead>,
): LogLine {
  return {
    offset: head?.offset,
    timestamp: head?.timestamp,
    text: bytes.toString('utf8', from, end),
    position,
  };
}

async function readIndex(
  file: string,
  size: number,
  mtimeMs: number,
): Promise<OffsetIndex['entries']> {
  try {
    const index = JSON.parse(await readFile(file, 'utf8')) as OffsetIndex;
    return index.size === size && index.mtimeMs === mtimeMs ? index.entries : [];
  } catch {
    return [];
  }
}

/** Written whole and renamed into place, so a reader never sees half an index. */
async function writeIndex(file: string, index: OffsetIndex): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(index));
  await rename(temporary, file);
}

function merged(
  index: OffsetIndex['entries'],
  found: readonly (readonly [number, number])[],
): OffsetIndex['entries'] {
  return [...index, ...found].sort((a, b) => a[0] - b[0]);
}

async function startsWithOffset(file: string, position: number, offset: number): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await handle.read(head, 0, head.length, position);
    return lineHead(head, 0, bytesRead)?.offset === offset;
  } finally {
    await handle.close();
  }
}

/** How the generator starts every log line: `{"offset":N,"timestamp":T,`. */
const offsetPrefix = Buffer.from('{"offset":');
const timestampPrefix = Buffer.from('"timestamp":');

/**
 * The offset and timestamp the log line at `bytes[from, end)` starts with, read from its bytes
 * without decoding or parsing the line; the timestamp is undefined when the line's head has none
 * (a partial head, such as an index check reads), the whole head when it does not start as a
 * message does.
 */
function lineHead(
  bytes: Buffer,
  from: number,
  end: number,
): { offset: number; timestamp: number | undefined } | undefined {
  const offset = digitsAfter(bytes, from, end, offsetPrefix);
  if (offset === undefined) return undefined;
  const timestamp = digitsAfter(bytes, offset.next + 1, end, timestampPrefix);
  return { offset: offset.value, timestamp: timestamp?.value };
}

/** The whole number after `prefix` at `bytes[from]`, ended by a comma, and where the comma is. */
function digitsAfter(
  bytes: Buffer,
  from: number,
  end: number,
  prefix: Buffer,
): { value: number; next: number } | undefined {
  const digits = from + prefix.length;
  if (digits >= end || bytes.compare(prefix, 0, prefix.length, from, digits) !== 0)
    return undefined;
  let value = 0;
  let i = digits;
  for (; i < end && bytes[i]! >= 0x30 && bytes[i]! <= 0x39; i++)
    value = value * 10 + bytes[i]! - 0x30;
  return i > digits && bytes[i] === 0x2c ? { value, next: i } : undefined;
}

/** The JSON text of the MSK event holding `records`, grouped by `topic-partition`. */
function eventText(topic: string, records: readonly LogRecord[]): string {
  const grouped = new Map<number, string[]>();
  for (const { partition, json } of records) {
    const group = grouped.get(partition);
    if (group) group.push(json);
    else grouped.set(partition, [json]);
  }
  const groups = [...grouped].map(
    ([partition, json]) => `${JSON.stringify(`${topic}-${partition}`)}:[${json.join(',')}]`,
  );
  return `{"eventSource":"aws:kafka","eventSourceArn":${JSON.stringify(eventSourceArn)},"bootstrapServers":"localhost:9092","records":{${groups.join(',')}}}`;
}

const eventSourceArn =
  'arn:aws:kafka:us-east-1:000000000000:cluster/medallion-local/00000000-0000-0000-0000-000000000000-1';

/**
 * Posts the requested batches, at most {@link eventsAhead} ahead of the ones the handler took
 * (each taken event is acknowledged with a message), then the end; or the error that stopped it.
 */
async function serve(request: LogReadRequest): Promise<void> {
  const port = parentPort!;
  let credit = eventsAhead;
  let resume: (() => void) | undefined;
  port.on('message', () => {
    credit++;
    resume?.();
  });
  const post = (message: LogReadMessage) => port.postMessage(message);
  try {
    for await (const text of batches(request)) {
      while (credit === 0) await new Promise<void>((resolve) => (resume = resolve));
      credit--;
      post({ type: 'event', text });
    }
    post({ type: 'end' });
  } catch (error) {
    post({ type: 'error', message: (error as Error).message });
  } finally {
    port.close();
  }
}

if (parentPort) void serve(workerData as LogReadRequest);
