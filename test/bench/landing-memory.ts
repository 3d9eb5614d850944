/**
 * `npx tsx test/bench/landing-memory.ts --mb N`: converts an N MB landing CSV to bronze Parquet
 * with the Lambda's converter (S3LandingConverter over a mocked S3 that generates the file as it
 * is read and keeps only the tail of what is uploaded), and reports rows per second and the
 * process's peak RSS and heap. Run each size in a fresh process: peak RSS never goes down.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Command } from 'commander';
import { S3LandingConverter } from '../../lambdas/adapters/aws/s3-landing-converter';
import { S3ObjectStore } from '../../lambdas/adapters/aws/s3-object-store';

const { mb } = new Command('landing-memory')
  .option('--mb <n>', 'size of the landing CSV in MB', Number, 100)
  .parse()
  .opts<{ mb: number }>();

/** A line of a typical landing file: an id, a name, an amount, a timestamp (~64 bytes). */
const line = (i: number) =>
  `${i},customer ${(i * 7919) % 1_000_003} ${i.toString(36)},${(i % 100_000) / 100},2026-01-01 10:${String(i % 60).padStart(2, '0')}:00\n`;
const bytesWanted = mb * 1_000_000;

function landingCsv(): Readable {
  let i = 0;
  let sent = 0;
  return Readable.from(
    (function* () {
      yield Buffer.from('account_id,name,amount,created_at\n');
      while (sent < bytesWanted) {
        const lines: string[] = [];
        for (let n = 0; n < 1000; n++) lines.push(line(++i));
        const chunk = Buffer.from(lines.join(''));
        sent += chunk.length;
        yield chunk;
      }
    })(),
  );
}

/** What S3 keeps of each written object: its size and last 64 KiB (enough for the footer). */
const tails = new Map<string, Buffer>();
const parts = new Map<number, Buffer>();
const keepTail = (bytes: Buffer) => Buffer.from(bytes.subarray(Math.max(0, bytes.length - 65536)));
async function bytesOf(body: unknown): Promise<Buffer> {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
const s3 = mockClient(S3Client);
s3.on(GetObjectCommand).callsFake(async (input) => {
  if (input.Bucket === 'landing') return { Body: landingCsv() };
  const tail = tails.get(input.Key!)!;
  const body = Object.assign(Readable.from([tail]), {
    transformToByteArray: async () => new Uint8Array(tail),
  });
  return { Body: body as never, ContentRange: `bytes 0-0/${tail.length}` };
});
s3.on(HeadObjectCommand).resolves({ ContentLength: 1, ETag: '"x"' });
s3.on(PutObjectCommand).callsFake(async (input) => {
  tails.set(input.Key!, keepTail(await bytesOf(input.Body)));
  return {};
});
s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u' });
s3.on(UploadPartCommand).callsFake(async (input) => {
  parts.set(input.PartNumber!, keepTail(await bytesOf(input.Body)));
  return { ETag: `"${input.PartNumber}"` };
});
s3.on(CompleteMultipartUploadCommand).callsFake(async (input) => {
  tails.set(input.Key!, parts.get(Math.max(...parts.keys()))!);
  return {};
});
s3.on(AbortMultipartUploadCommand).resolves({});

let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}, 20);
const started = Date.now();
const store = new S3ObjectStore(
  new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
  { landing: 'landing', bronze: 'bronze' },
);
const result = await new S3LandingConverter(store).convertFile({
  sourceKey: 'landing/crm/accounts/big.csv',
  format: 'csv',
  targetKey: 'bronze/crm/accounts/big.parquet',
  columns: [
    { name: 'account_id', type: 'BIGINT' },
    { name: 'name', type: 'VARCHAR' },
    { name: 'amount', type: 'DECIMAL(10,2)' },
    { name: 'created_at', type: 'TIMESTAMP' },
  ],
  constants: [{ name: '_run_id', type: 'VARCHAR', value: 'bench' }],
});
clearInterval(sampler);
const seconds = (Date.now() - started) / 1000;
const rows = result.ok ? result.read : 0;
const mib = (bytes: number) => Math.round(bytes / 1024 ** 2);
console.log(
  JSON.stringify({
    csvMb: mb,
    ok: result.ok,
    rows,
    seconds,
    rowsPerSecond: Math.round(rows / seconds),
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    peakHeapMiB: mib(peakHeap),
    uploadParts: parts.size,
  }),
);
