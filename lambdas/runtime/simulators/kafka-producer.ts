/**
 * The local stand-in for MSK: reads the generated topic log (`_sim/kafka/<topic>/partition-N.jsonl`)
 * from the committed offsets and emits the events an MSK event source mapping would deliver:
 * `eventSource: aws:kafka`, records grouped by `topic-partition`, base64 keys and values. Like the
 * real mapping it delivers at least once: now and then a batch repeats the tail of the previous
 * one, which the handler must recognise by offset.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PipelineError } from '../../core/errors';
import type { MskEvent, MskRecord } from '../../core/ingest/kafka';
import type { MskBatchSource } from '../../core/ports';

interface LogLine {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Every Nth batch redelivers this many records of the batch before it. */
const redeliverEvery = 7;
const redeliveredRecords = 3;

export class KafkaProducerSimulator implements MskBatchSource {
  constructor(private readonly simDir: string) {}

  async *batches(request: Parameters<MskBatchSource['batches']>[0]): AsyncGenerator<MskEvent> {
    const folder = path.join(this.simDir, 'kafka', request.topic);
    if (!existsSync(folder)) {
      throw new PipelineError(
        `No sample log for topic ${request.topic} in ${this.simDir}: run \`medallion generate\` first.`,
      );
    }
    const partitions = (await readdir(folder))
      .map((f) => /^partition-(\d+)\.jsonl$/.exec(f)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let batch: MskRecord[] = [];
    let previous: MskRecord[] = [];
    let count = 0;
    const emit = (): MskEvent => {
      count++;
      const replay = count % redeliverEvery === 0 ? previous.slice(-redeliveredRecords) : [];
      const records = [...replay, ...batch];
      previous = batch;
      batch = [];
      return toEvent(records);
    };
    const until = request.until.getTime();
    for (const partition of partitions) {
      const from = request.committed[String(partition)] ?? -1;
      read: for await (const texts of lineChunks(
        path.join(folder, `partition-${partition}.jsonl`),
      )) {
        for (const text of texts) {
          if ((leadingOffset(text) ?? Infinity) <= from) continue;
          const line = JSON.parse(text) as LogLine;
          if (line.offset <= from) continue;
          if (line.timestamp >= until) break read;
          batch.push({
            topic: request.topic,
            partition,
            offset: line.offset,
            timestamp: line.timestamp,
            timestampType: 'CREATE_TIME',
            key: line.key === null ? null : base64(line.key),
            value: line.value === null ? null : base64(line.value),
            headers: [],
          });
          if (batch.length >= request.batchSize) yield emit();
        }
      }
      if (batch.length > 0) yield emit();
    }
  }
}

/**
 * The non-empty lines of a log, read a megabyte at a time and split here: a line at a time
 * through `readline` costs more than parsing the line.
 */
async function* lineChunks(file: string): AsyncGenerator<string[], void> {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    const end = text.lastIndexOf('\n');
    rest = text.slice(end + 1);
    if (end < 0) continue;
    yield text
      .slice(0, end)
      .split('\n')
      .filter((line) => line.length > 0);
  }
  if (rest.length > 0) yield [rest];
}

/**
 * The offset a log line starts with, as the generator writes it, read without parsing the line:
 * a run after the first skips every message already committed.
 */
function leadingOffset(text: string): number | undefined {
  const match = /^\{"offset":(\d+),/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Encodes into one reused buffer rather than a buffer per value, which costs more than encoding. */
let scratch = Buffer.allocUnsafe(64 * 1024);

function base64(text: string): string {
  const size = text.length * 3;
  if (size > scratch.length) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch.toString('base64', 0, scratch.write(text));
}

function toEvent(records: readonly MskRecord[]): MskEvent {
  const grouped: Record<string, MskRecord[]> = {};
  for (const record of records)
    (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:us-east-1:000000000000:cluster/medallion-local/00000000-0000-0000-0000-000000000000-1',
    bootstrapServers: 'localhost:9092',
    records: grouped,
  };
}
