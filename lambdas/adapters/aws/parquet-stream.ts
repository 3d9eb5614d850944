import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { parquetFileSchema, type ParquetColumn, type ParquetType } from './parquet-values';

/**
 * hyparquet-writer's byte writer, handing what it has written to a stream after each row group
 * (the writer calls `flush` then, and waits on it) instead of growing one buffer for the whole
 * file. Nothing is written back into flushed bytes: offsets in the footer are `offset`, which
 * keeps counting.
 */
class StreamingByteWriter extends ByteWriter {
  constructor(private readonly out: PassThrough) {
    super(1024 * 1024);
  }

  async flush(): Promise<void> {
    if (this.index === 0) return;
    const chunk = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  override async finish(): Promise<void> {
    await this.flush();
    this.out.end();
  }
}

/**
 * A Parquet object written one row group at a time into {@link body}, which an S3 upload
 * consumes as it comes (a multipart upload once it passes a part). Memory holds one row group's
 * values and bytes, and the parts in flight, however large the object grows.
 */
export class ParquetStream {
  private readonly out = new PassThrough();
  private readonly writer: ParquetWriter;

  constructor(columns: readonly { readonly name: string; readonly type: ParquetType }[]) {
    this.writer = new ParquetWriter({
      writer: new StreamingByteWriter(this.out),
      schema: parquetFileSchema(columns),
    });
  }

  get body(): Readable {
    return this.out;
  }

  /** Writes the columns (all of one length, in schema order) as one row group. */
  async writeRowGroup(columns: readonly ParquetColumn[]): Promise<void> {
    const rows = columns[0]?.data.length ?? 0;
    if (rows === 0) return;
    await this.writer.write({
      columnData: columns.map((c) => ({ name: c.name, data: c.data })),
      rowGroupSize: rows,
    });
  }

  /** Writes the footer and ends the body. */
  async end(): Promise<void> {
    await this.writer.finish();
  }

  /** Ends the body with an error: the upload reading it fails and aborts, writing nothing. */
  abort(reason: Error): void {
    this.out.destroy(reason);
  }
}
