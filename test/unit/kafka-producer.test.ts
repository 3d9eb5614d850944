import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MskEvent } from '../../lambdas/core/ingest/kafka';
import { KafkaProducerSimulator } from '../../lambdas/runtime/simulators/kafka-producer';

const day1 = Date.UTC(2026, 0, 1, 12);
const day2 = Date.UTC(2026, 0, 2, 12);
const endOfDay1 = new Date(Date.UTC(2026, 0, 2));
const endOfDay2 = new Date(Date.UTC(2026, 0, 3));

/** A message's text as the log keeps it: its bytes, base64-encoded. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** A generated-style topic log: 25,000 messages on day 1, 3,000 on day 2, one partition. */
function topicLog(): { simDir: string; log: string } {
  const simDir = mkdtempSync(path.join(os.tmpdir(), 'kafka-sim-'));
  const folder = path.join(simDir, 'kafka', 'events');
  mkdirSync(folder, { recursive: true });
  const lines = Array.from({ length: 28_000 }, (_, offset) =>
    JSON.stringify({
      offset,
      timestamp: offset < 25_000 ? day1 : day2,
      key: bytes(String(offset % 97)),
      value: bytes(offset % 1000 === 0 ? 'not json: é ✓' : JSON.stringify({ n: offset })),
    }),
  );
  const log = path.join(folder, 'partition-0.jsonl');
  writeFileSync(log, `${lines.join('\n')}\n`);
  return { simDir, log };
}

async function offsetsRead(
  simDir: string,
  committed: Record<string, number>,
  until: Date,
): Promise<{ offsets: number[]; values: string[] }> {
  const offsets: number[] = [];
  const values: string[] = [];
  const events: AsyncIterable<MskEvent> = new KafkaProducerSimulator(simDir).batches({
    topic: 'events',
    committed,
    until,
    batchSize: 5000,
  });
  const seen = new Set<number>();
  for await (const event of events)
    for (const record of Object.values(event.records).flat()) {
      if (seen.has(record.offset)) continue; // the simulator redelivers now and then, as MSK may
      seen.add(record.offset);
      offsets.push(record.offset);
      values.push(Buffer.from(record.value!, 'base64').toString('utf8'));
    }
  return { offsets, values };
}

describe('the local MSK stand-in', () => {
  it('keeps an offset index beside the log and seeks with it on the next run, delivering the same messages', async () => {
    const { simDir, log } = topicLog();
    const first = await offsetsRead(simDir, {}, endOfDay1);
    expect(first.offsets).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    const index = JSON.parse(readFileSync(log.replace('.jsonl', '.index.json'), 'utf8')) as {
      entries: [number, number][];
    };
    expect(index.entries.map(([offset]) => offset)).toEqual([0, 10_000, 20_000]);
    for (const [offset, position] of index.entries)
      expect(readFileSync(log).toString('latin1', position)).toMatch(
        new RegExp(`^\\{"offset":${offset},`),
      );

    const second = await offsetsRead(simDir, { '0': 24_999 }, endOfDay2);
    expect(second.offsets).toEqual(Array.from({ length: 3_000 }, (_, i) => 25_000 + i));
    expect(second.values[999]).toBe(JSON.stringify({ n: 25_999 }));
    expect(second.values[1000]).toBe('not json: é ✓');
  });

  it('reads the log from its start when the index does not match it', async () => {
    const { simDir, log } = topicLog();
    await offsetsRead(simDir, {}, endOfDay1);
    const indexFile = log.replace('.jsonl', '.index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { entries: [number, number][] };
    // Positions that point into the middle of other lines: the seek is refused, not trusted.
    writeFileSync(
      indexFile,
      JSON.stringify({ ...index, entries: index.entries.map(([o, p]) => [o, p + 7]) }),
    );
    const second = await offsetsRead(simDir, { '0': 24_999 }, endOfDay2);
    expect(second.offsets).toEqual(Array.from({ length: 3_000 }, (_, i) => 25_000 + i));
  });

  it('stops with an error naming the topic when a log line is not a message', async () => {
    const { simDir, log } = topicLog();
    writeFileSync(log, `${readFileSync(log, 'utf8')}{"offset":28000,"timestamp":\n`);
    await expect(offsetsRead(simDir, { '0': 24_999 }, endOfDay2)).rejects.toThrow(
      /^Reading topic events from .*kafka\/events failed: .*partition-0\.jsonl, byte \d+: not a message/,
    );
  });

  it('stops with an error naming the topic when a message line is not JSON', async () => {
    const { simDir, log } = topicLog();
    writeFileSync(log, `${readFileSync(log, 'utf8')}{"offset":28000,"timestamp":${day2},"key":\n`);
    await expect(offsetsRead(simDir, { '0': 24_999 }, endOfDay2)).rejects.toThrow(
      /^Reading topic events from .*kafka\/events failed: a log line is not a JSON message/,
    );
  });

  it('refuses sample data of an older layout, saying to generate it again', async () => {
    const { simDir } = topicLog();
    writeFileSync(path.join(simDir, 'manifest.json'), JSON.stringify({ seed: 42, scale: 10 }));
    await expect(offsetsRead(simDir, {}, endOfDay1)).rejects.toThrow(
      /has layout 1, this version reads layout 2: run `medallion generate` again/,
    );
  });

  it('delivers nothing past the committed offsets, and ends', async () => {
    const { simDir } = topicLog();
    expect(await offsetsRead(simDir, { '0': 27_999 }, endOfDay2)).toEqual({
      offsets: [],
      values: [],
    });
  });

  it('delivers the partitions in order, each from its own committed offset', async () => {
    const { simDir } = topicLog();
    const folder = path.join(simDir, 'kafka', 'events');
    for (const partition of [1, 2])
      writeFileSync(
        path.join(folder, `partition-${partition}.jsonl`),
        `${Array.from({ length: 30 }, (_, offset) =>
          JSON.stringify({
            offset,
            timestamp: day1,
            key: null,
            value: bytes(`p${partition}-${offset}`),
          }),
        ).join('\n')}\n`,
      );
    const events: AsyncIterable<MskEvent> = new KafkaProducerSimulator(simDir).batches({
      topic: 'events',
      committed: { '0': 24_990, '2': 19 },
      until: endOfDay1,
      batchSize: 4,
    });
    const delivered: string[] = [];
    for await (const event of events)
      for (const [partition, records] of Object.entries(event.records))
        for (const record of records) delivered.push(`${partition}:${record.offset}`);
    const distinct = [...new Set(delivered)];
    expect(distinct).toEqual([
      ...Array.from({ length: 9 }, (_, i) => `events-0:${24_991 + i}`),
      ...Array.from({ length: 30 }, (_, i) => `events-1:${i}`),
      ...Array.from({ length: 10 }, (_, i) => `events-2:${20 + i}`),
    ]);
  });
});
