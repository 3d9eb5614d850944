/** Buffered JSON-lines output: one `write` per record, one file write per megabyte. */
import * as fs from 'node:fs';
import * as path from 'node:path';

const FLUSH_CHARS = 1 << 20;

export class JsonLinesFile {
  private pending: string[] = [];
  private pendingChars = 0;
  /** Lines written so far. */
  lines = 0;

  private constructor(private readonly handle: fs.promises.FileHandle) {}

  /** Creates (or truncates) the file, and its folder if needed. */
  static async create(file: string): Promise<JsonLinesFile> {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    return new JsonLinesFile(await fs.promises.open(file, 'w'));
  }

  async write(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    this.pending.push(line);
    this.pendingChars += line.length;
    this.lines++;
    if (this.pendingChars >= FLUSH_CHARS) await this.flush();
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    await this.handle.writeFile(text);
  }
}
