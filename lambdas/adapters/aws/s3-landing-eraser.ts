import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CsvError } from 'csv-parse';
import { parse as parseCsv } from 'csv-parse/sync';
import { PipelineError } from '../../core/errors';
import {
  landingFilePattern,
  type LandingSubject,
  type TextRow,
} from '../../core/privacy/landing-erasure';
import { display, json, parseJson } from './parquet-values';
import { parquetWithout } from './s3-bronze-eraser';
import { objectVersionPages } from './s3-versions';

/** What erasing one subject from one landing dataset's folder did. */
export interface LandingErasure {
  /** Rows (or, in files that cannot be read, lines) taken out of the current files. */
  readonly rowsRemoved: number;
  /** Current files written again without the subject. */
  readonly rewritten: number;
  /** Current files deleted: nothing but the subject was left. */
  readonly deleted: number;
  /** Versions deleted: earlier copies of a rewritten file, or noncurrent ones about the subject. */
  readonly versionsRemoved: number;
  /** Parquet files that cannot be read, left as they are (as the local erase leaves them). */
  readonly unreadable: readonly string[];
}

/** A landing file without the subject: undefined when it holds none, no body when nothing is left. */
type Rewrite = { readonly removed: number; readonly body?: Uint8Array } | undefined;

/**
 * Takes a data subject out of the landing bucket's files of one dataset (`<source>/<dataset>/`:
 * waiting, `processed/<run>/` and `rejected/<run>/`), which keep what was ingested in clear.
 * Every version of every file is read, since the bucket is versioned and a file moved to
 * `processed/` leaves its versions under the old key:
 * - the current version of a file about the subject is written again without their rows (a CSV
 *   file keeps the other records byte for byte), or deleted when nothing else is left; every
 *   other version of its key goes too (each is a full copy);
 * - a noncurrent version about the subject is deleted; others stay.
 * Text whose decoded bytes contain none of the identifiers is not parsed at all.
 */
export class S3LandingEraser {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async erase(prefix: string, subject: LandingSubject): Promise<LandingErasure> {
    const result = { rowsRemoved: 0, rewritten: 0, deleted: 0, versionsRemoved: 0 };
    const unreadable: string[] = [];
    // Keys whose current version held the subject: their older versions go unread.
    const purged = new Set<string>();
    for await (const page of objectVersionPages(this.s3, this.bucket, prefix)) {
      for (const version of page.Versions ?? []) {
        const { Key: key, VersionId: versionId } = version;
        if (!key || !versionId || !(landingFilePattern.test(key) || isReason(key))) continue;
        if (!purged.has(key)) {
          const rewrite = await this.rewrite(key, versionId, subject).catch((error: unknown) => {
            if (!(error instanceof UnreadableParquet)) throw error;
            unreadable.push(`${key} (version ${versionId}): ${error.message}`);
            return undefined;
          });
          if (!rewrite) continue;
          if (version.IsLatest) {
            if (rewrite.body)
              await this.s3.send(
                new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: rewrite.body }),
              );
            purged.add(key);
            result.rowsRemoved += rewrite.removed;
            if (rewrite.body) result.rewritten += 1;
            else result.deleted += 1;
          }
        }
        await this.s3.send(
          new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
        );
        result.versionsRemoved += 1;
      }
    }
    return { ...result, unreadable };
  }

  private async rewrite(key: string, versionId: string, subject: LandingSubject): Promise<Rewrite> {
    const object = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
    );
    if (!object.Body)
      throw new PipelineError(`s3://${this.bucket}/${key}: GetObject returned no body`);
    const bytes = Buffer.from(await object.Body.transformToByteArray());
    if (isReason(key))
      return subject.mayMention(bytes.toString('utf8'))
        ? textRewrite(bytes, 'reason', subject)
        : undefined;
    const [, format, gzip] = landingFilePattern.exec(key)!;
    if (format === 'parquet') return parquetRewrite(bytes, subject);
    let text: Buffer;
    try {
      text = gzip ? gunzipSync(bytes) : bytes;
    } catch (error) {
      throw new PipelineError(
        `s3://${this.bucket}/${key} (version ${versionId}) is not gzip: ${(error as Error).message}; it cannot be searched for the subject, delete or fix it and start the erase again`,
        { cause: error },
      );
    }
    if (!subject.mayMention(text.toString('utf8'))) return undefined;
    const result = textRewrite(text, format!, subject);
    if (!result) return undefined;
    return result.body && gzip ? { ...result, body: gzipSync(result.body) } : result;
  }
}

class UnreadableParquet extends Error {}

/**
 * The reason beside a rejected file (`x.csv.reason.txt`): it may quote a value of the file, so it
 * is searched as lines too.
 */
const isReason = (key: string) => /\/rejected\/.*\.reason\.txt$/.test(key);

/** Values as the row test reads them: text, a number's digits, a nested value as JSON. */
function textRow(row: Readonly<Record<string, unknown>>): TextRow {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? null : display(v)]),
  );
}

async function parquetRewrite(bytes: Buffer, subject: LandingSubject): Promise<Rewrite> {
  let test: ((row: TextRow) => boolean) | undefined;
  const result = await parquetWithout(bytes, (row) => {
    test ??= subject.rowTest(Object.keys(row));
    return test(textRow(row));
  }).catch((error: unknown) => {
    throw new UnreadableParquet((error as Error).message, { cause: error });
  });
  return result.rowsRemoved === 0 ? undefined : { removed: result.rowsRemoved, body: result.body };
}

/** A text landing file without the subject's rows; its lines that mention them when unreadable. */
function textRewrite(text: Buffer, format: string, subject: LandingSubject): Rewrite {
  const parsed =
    format === 'reason'
      ? 'unreadable'
      : format === 'csv'
        ? csvRewrite(text, subject)
        : jsonRewrite(text.toString('utf8'), format, subject);
  if (parsed !== 'unreadable') return parsed;
  const lines = subject.withoutLines(text.toString('utf8'));
  if (lines.removed === 0) return undefined;
  return {
    removed: lines.removed,
    ...(lines.text.trim() === '' ? {} : { body: Buffer.from(lines.text, 'utf8') }),
  };
}

/**
 * CSV as the landing step reads it (header row, empty fields NULL); each record's bytes are cut
 * out of the file by the parser's byte offsets, so the records kept are their original bytes.
 */
function csvRewrite(text: Buffer, subject: LandingSubject): Rewrite | 'unreadable' {
  let records: { record: string[]; info: { bytes: number } }[];
  try {
    records = parseCsv(text, {
      bom: true,
      skip_empty_lines: true,
      info: true,
    }) as unknown as typeof records;
  } catch (error) {
    if (error instanceof CsvError) return 'unreadable';
    throw error;
  }
  const [header, ...rest] = records;
  if (!header || rest.length === 0) return undefined;
  const test = subject.rowTest(header.record);
  const parts: Buffer[] = [text.subarray(0, header.info.bytes)];
  let start = header.info.bytes;
  let removed = 0;
  for (const { record, info } of rest) {
    const row = Object.fromEntries(header.record.map((c, i) => [c, record[i] || null]));
    if (test(row)) removed += 1;
    else parts.push(text.subarray(start, info.bytes));
    start = info.bytes;
  }
  if (removed === 0) return undefined;
  if (removed === rest.length) return { removed };
  parts.push(text.subarray(start));
  return { removed, body: Buffer.concat(parts) };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !json.isRawJSON(v);

/** A JSON document (an object or an array of them) or JSON lines (one object a line). */
function jsonRewrite(
  text: string,
  format: string,
  subject: LandingSubject,
): Rewrite | 'unreadable' {
  const lines = format === 'json' ? [] : text.split('\n');
  let items: unknown[];
  try {
    items =
      format === 'json'
        ? [parseJson(text)].flat()
        : lines.filter((l) => l.trim() !== '').map((l) => parseJson(l));
  } catch {
    return 'unreadable';
  }
  if (!items.every(isRecord)) return 'unreadable';
  const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
  const test = subject.rowTest(columns);
  const about = (item: Record<string, unknown>) => test(textRow(item));
  const kept = items.filter((item) => !about(item));
  const removed = items.length - kept.length;
  if (removed === 0) return undefined;
  if (kept.length === 0) return { removed };
  if (format === 'json') return { removed, body: Buffer.from(JSON.stringify(kept), 'utf8') };
  const keptLines = lines.filter(
    (l) => l.trim() === '' || !about(parseJson(l) as Record<string, unknown>),
  );
  return { removed, body: Buffer.from(keptLines.join('\n'), 'utf8') };
}
