import type { LandingColumn } from '../ports';

/**
 * What both landing converters (DuckDB locally, streaming on Lambda) check of a text landing file
 * before trusting a reader with it, and how their reasons quote values. Readers guess where a file
 * is odd: DuckDB's CSV sniffer reads a ragged file as one column and takes a NUL byte for a
 * comment, its JSON reader turns scalar lines into a `json` column, and a text decoder replaces
 * bytes that are not UTF-8. Each guess lands rows whose contract columns are NULL by accident. So
 * the bytes are checked here, one pass, the same way on both runtimes, and a file that fails is
 * refused naming its line and byte offset.
 */

/** Longest value quoted whole in a reason (a reason is stored, logged and shown in tables). */
const quotedCharacters = 200;
/** Most column names listed in one note. */
const listedNames = 20;

/** A value as quoted in a reason: cut after {@link quotedCharacters}, saying how much was left out. */
export function quoteValue(value: string): string {
  const characters = [...value];
  if (characters.length <= quotedCharacters) return value;
  const more = characters.length - quotedCharacters;
  return `${characters.slice(0, quotedCharacters).join('')}… (${more} more character${more === 1 ? '' : 's'})`;
}

/**
 * A refused value as a rejection reason shows it: quoted, unless its column holds pii or
 * confidential data or identifies a person. A reason travels beyond the file, into run notes,
 * lineage events and logs, which no data subject erasure rewrites; such a value is named by its
 * kind only, and the reason's row and line point at it in the file.
 */
export function refusedValue(column: LandingColumn, value: string): string {
  if (column.classification === 'pii' || column.classification === 'confidential')
    return `(${column.classification} value)`;
  if (column.subject) return `(${column.subject} value)`;
  return `'${quoteValue(value)}'`;
}

/** Names as listed in a note: the first {@link listedNames}, then how many more. */
export function listNames(names: readonly string[]): string {
  if (names.length <= listedNames) return names.join(', ');
  return `${names.slice(0, listedNames).join(', ')} and ${names.length - listedNames} more`;
}

/**
 * Why a file whose columns are known from its header (CSV) or schema (Parquet) cannot be
 * ingested when it lacks a column the contract requires: its rows would all land without it.
 */
export function missingRequired(
  fileColumns: readonly string[],
  required: readonly string[],
): string | undefined {
  const present = new Set(fileColumns.map((c) => c.toLowerCase()));
  const missing = required.filter((c) => !present.has(c.toLowerCase()));
  if (missing.length === 0) return undefined;
  return `the file has no column${missing.length === 1 ? '' : 's'} ${listNames(missing)}, required by the contract (its columns: ${listNames(fileColumns)})`;
}

export type TextFormat = 'csv' | 'json' | 'jsonl';

/** A text landing file found sound, with its CSV header's names. */
export interface TextCheckResult {
  readonly header?: readonly string[];
}

/** Why a text landing file is refused; its message is the reason recorded. */
export class LandingTextError extends Error {}

/** Where a CSV scan stands within a field. */
const Csv = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;

/**
 * Checks a text landing file chunk by chunk: UTF-8, no NUL byte, and by format, CSV records with
 * as many fields as the header and quoted as RFC 4180 says (a field quoted whole, `"` doubled
 * inside; empty lines are skipped, as both readers skip them) and JSON lines that are objects. `push` throws a
 * {@link LandingTextError} at the first fault, before the chunk goes on to a reader.
 */
export class LandingTextCheck {
  private offset = 0;
  private line = 1;
  /** UTF-8 continuation bytes still expected, and the range the next one must fall in. */
  private pending = 0;
  private low = 0x80;
  private high = 0xbf;
  private sequenceStart = 0;
  private csv: number = Csv.FieldStart;
  private fields = 1;
  private recordLine = 1;
  private recordEmpty = true;
  private expectedFields: number | undefined;
  private headerBytes: number[] | undefined = [];
  private header: string[] | undefined;
  /** JSON lines: whether the current line's first non-blank character is still to come. */
  private lineStart = true;

  constructor(private readonly format: TextFormat) {}

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      const at = this.offset + i;
      if (this.pending > 0) {
        if (byte < this.low || byte > this.high) this.notUtf8(this.sequenceStart);
        this.pending--;
        this.low = 0x80;
        this.high = 0xbf;
      } else if (byte >= 0x80) {
        this.sequenceStart = at;
        this.leadByte(byte, at);
      } else if (byte === 0) {
        throw new LandingTextError(
          `line ${this.line} (byte ${at}) holds a NUL byte: the file is binary, UTF-16 or corrupt, not ${this.format} text`,
        );
      }
      if (this.headerBytes && this.format === 'csv') this.headerBytes.push(byte);
      if (this.format === 'csv') this.csvByte(byte);
      else if (this.format === 'jsonl') this.jsonLineByte(byte, at);
      if (byte === 0x0a) this.line++;
    }
    this.offset += chunk.length;
  }

  /** Ends the file; returns what was learnt, or throws for a file cut off inside a record. */
  end(): TextCheckResult {
    if (this.pending > 0) this.notUtf8(this.sequenceStart);
    if (this.format !== 'csv') return {};
    if (this.csv === Csv.Quoted)
      throw new LandingTextError(
        `line ${this.recordLine}: a quoted field is not closed before the end of the file`,
      );
    this.endRecord();
    if (!this.header)
      throw new LandingTextError('the file is empty: a CSV file starts with its header');
    return { header: this.header };
  }

  private leadByte(byte: number, at: number): void {
    if (byte >= 0xc2 && byte <= 0xdf) this.pending = 1;
    else if (byte >= 0xe0 && byte <= 0xef) {
      this.pending = 2;
      if (byte === 0xe0) this.low = 0xa0;
      if (byte === 0xed) this.high = 0x9f;
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      this.pending = 3;
      if (byte === 0xf0) this.low = 0x90;
      if (byte === 0xf4) this.high = 0x8f;
    } else this.notUtf8(at);
  }

  private notUtf8(at: number): never {
    throw new LandingTextError(
      `line ${this.line} (byte ${at}) is not UTF-8: landing files must be UTF-8 text; re-encode it (e.g. \`iconv -f latin1 -t utf-8\`) and drop it again`,
    );
  }

  private csvByte(byte: number): void {
    switch (this.csv) {
      case Csv.Quoted:
        if (byte === 0x22) this.csv = Csv.QuoteInQuoted;
        return;
      case Csv.QuoteInQuoted:
        if (byte === 0x22) {
          this.csv = Csv.Quoted;
          return;
        }
        if (byte !== 0x2c && byte !== 0x0a && byte !== 0x0d)
          throw new LandingTextError(
            `line ${this.line}: field ${this.fields} goes on after its closing quote (a quote inside a quoted field is doubled: "")`,
          );
        break;
      case Csv.FieldStart:
        if (byte === 0x22) {
          this.csv = Csv.Quoted;
          this.recordEmpty = false;
          return;
        }
        break;
      case Csv.Unquoted:
        if (byte === 0x22)
          throw new LandingTextError(
            `line ${this.line}: field ${this.fields} holds a quote but is not quoted (quote the field and double the quote: "a""b")`,
          );
        break;
    }
    if (byte === 0x2c) {
      this.fields++;
      this.csv = Csv.FieldStart;
      this.recordEmpty = false;
    } else if (byte === 0x0a) this.endRecord();
    else if (byte !== 0x0d) {
      this.csv = Csv.Unquoted;
      this.recordEmpty = false;
    }
  }

  private endRecord(): void {
    if (!this.recordEmpty) {
      if (this.expectedFields === undefined) {
        this.expectedFields = this.fields;
        this.header = splitHeader(new TextDecoder().decode(new Uint8Array(this.headerBytes!)));
        this.headerBytes = undefined;
        const seen = new Set<string>();
        for (const name of this.header) {
          const key = name.toLowerCase();
          if (seen.has(key))
            throw new LandingTextError(
              `line ${this.recordLine}: the header names column '${quoteValue(name)}' twice`,
            );
          seen.add(key);
        }
      } else if (this.fields !== this.expectedFields) {
        throw new LandingTextError(
          `line ${this.recordLine} has ${this.fields} field${this.fields === 1 ? '' : 's'} where the header has ${this.expectedFields}`,
        );
      }
    }
    this.fields = 1;
    this.csv = Csv.FieldStart;
    this.recordEmpty = true;
    this.recordLine = this.line + 1;
  }

  private jsonLineByte(byte: number, at: number): void {
    if (byte === 0x0a) {
      this.lineStart = true;
      return;
    }
    // Blanks, and a UTF-8 byte order mark opening the file, may come before a line's object.
    const blank = byte === 0x20 || byte === 0x09 || byte === 0x0d || (at < 3 && byte >= 0x80);
    if (!this.lineStart || blank) return;
    this.lineStart = false;
    if (byte !== 0x7b)
      throw new LandingTextError(
        `line ${this.line} is not a JSON object (it starts with '${String.fromCharCode(byte)}'): each line must be one object`,
      );
  }
}

/** The header record's names: quotes removed, a byte order mark and a line ending dropped. */
function splitHeader(text: string): string[] {
  const record = text.replace(/^\ufeff/, '').replace(/\r?\n$/, '');
  const names: string[] = [];
  let name = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!;
    if (quoted) {
      if (c === '"' && record[i + 1] === '"') {
        name += '"';
        i++;
      } else if (c === '"') quoted = false;
      else name += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      names.push(name);
      name = '';
    } else name += c;
  }
  names.push(name.replace(/\r$/, ''));
  return names;
}

/** Checks a whole text landing file, read as chunks; throws a {@link LandingTextError}. */
export async function checkLandingText(
  chunks: AsyncIterable<Uint8Array>,
  format: TextFormat,
): Promise<TextCheckResult> {
  const check = new LandingTextCheck(format);
  for await (const chunk of chunks) check.push(chunk);
  return check.end();
}

/**
 * Why a landing file is refused, when `error` is about the file rather than the runtime: a
 * {@link LandingTextError}, or gunzip's error for a `.gz` file that is not gzip or is cut short
 * (node:zlib's codes start with `Z_`). Undefined for anything else, which is not the file's fault.
 */
export function landingTextProblem(error: unknown): string | undefined {
  if (error instanceof LandingTextError) return error.message;
  if ((error as { code?: unknown }).code?.toString().startsWith('Z_'))
    return `the file is not valid gzip: ${(error as Error).message}`;
  return undefined;
}
