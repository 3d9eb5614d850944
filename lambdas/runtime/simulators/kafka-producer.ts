/**
 * The local stand-in for MSK: the events an MSK event source mapping would deliver for a topic,
 * read from the generated topic log by a worker thread (`kafka-log-reader.ts`), as a broker
 * serves them from another machine, so that reading and decoding overlap rather than take turns
 * on the platform's one JS thread. Each event arrives as JSON text and is parsed here, as the
 * Lambda runtime parses an invocation's payload.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PipelineError } from '../../core/errors';
import type { MskEvent } from '../../core/ingest/kafka';
import type { MskBatchSource } from '../../core/ports';
import { sampleFormatProblem } from '../generator/format';
import type { LogReadMessage, LogReadRequest } from './kafka-log-reader';

export class KafkaProducerSimulator implements MskBatchSource {
  constructor(private readonly simDir: string) {}

  async *batches(request: Parameters<MskBatchSource['batches']>[0]): AsyncGenerator<MskEvent> {
    const folder = path.join(this.simDir, 'kafka', request.topic);
    if (!existsSync(folder)) {
      throw new PipelineError(
        `No sample log for topic ${request.topic} in ${this.simDir}: run \`medallion generate\` first.`,
      );
    }
    const problem = sampleFormatProblem(this.simDir);
    if (problem) throw new PipelineError(problem);
    const read: LogReadRequest = {
      folder,
      topic: request.topic,
      committed: request.committed,
      until: request.until.getTime(),
      batchSize: request.batchSize,
    };
    const worker = new Worker(new URL('./kafka-log-reader.ts', import.meta.url), {
      workerData: read,
    });
    const received: LogReadMessage[] = [];
    let wake: (() => void) | undefined;
    const receive = (message: LogReadMessage) => {
      received.push(message);
      wake?.();
    };
    worker.on('message', receive);
    worker.on('error', (error) => receive({ type: 'error', message: error.message }));
    worker.on('exit', (code) =>
      receive({ type: 'error', message: `the reader stopped (exit code ${code})` }),
    );
    try {
      for (;;) {
        while (received.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        const message = received.shift()!;
        if (message.type === 'end') return;
        if (message.type === 'error') {
          throw new PipelineError(
            `Reading topic ${request.topic} from ${folder} failed: ${message.message}`,
          );
        }
        worker.postMessage('taken');
        yield parseEvent(message.text, request.topic, folder);
      }
    } finally {
      await worker.terminate();
    }
  }
}

/** An event's JSON text as the MSK event it holds; a log line that broke it is the log's fault. */
function parseEvent(text: string, topic: string, folder: string): MskEvent {
  try {
    return JSON.parse(text) as MskEvent;
  } catch (error) {
    throw new PipelineError(
      `Reading topic ${topic} from ${folder} failed: a log line is not a JSON message (${(error as Error).message})`,
    );
  }
}
