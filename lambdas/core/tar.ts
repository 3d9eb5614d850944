/**
 * The ustar archive format, enough for a lake backup: regular files with relative paths, read
 * back in order. Pure byte logic, so the streaming writer and reader stay thin and both directions
 * are tested without a file system. A path too long for ustar (100 bytes of name, 155 of prefix)
 * is refused by name rather than cut.
 */
import { PipelineError } from './errors';

export const tarBlock = 512;

/** The header block of a regular file `name` of `size` bytes. */
export function tarHeader(name: string, size: number, mtime: Date): Buffer {
  const { prefix, base } = splitName(name);
  const header = Buffer.alloc(tarBlock);
  header.write(base, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 'ascii');
  header.write(' '.repeat(8), 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\u000000', 257, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  header.write(octal(checksum(header), 7), 148, 'ascii');
  return header;
}

/** Zero bytes that bring `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((tarBlock - (size % tarBlock)) % tarBlock);
}

/** Two zero blocks: the end of the archive. */
export const tarEnd = (): Buffer => Buffer.alloc(2 * tarBlock);

/** A file's entry as its header says; `undefined` for the zero block that ends the archive. */
export function parseTarHeader(block: Buffer): { name: string; size: number } | undefined {
  if (block.length !== tarBlock)
    throw new PipelineError('Truncated archive: a header is cut short');
  if (block.every((b) => b === 0)) return undefined;
  const stored = parseInt(field(block, 148, 8), 8);
  if (stored !== checksum(block))
    throw new PipelineError('Corrupt archive: a header checksum does not match its header');
  const type = field(block, 156, 1);
  if (type !== '0' && type !== '')
    throw new PipelineError(`Unexpected archive entry of type ${type}: a backup holds files only`);
  const prefix = field(block, 345, 155);
  const base = field(block, 0, 100);
  return { name: prefix ? `${prefix}/${base}` : base, size: parseInt(field(block, 124, 12), 8) };
}

function splitName(name: string): { prefix: string; base: string } {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return { prefix, base };
  }
  throw new PipelineError(`${name}: the path is too long for a backup archive (ustar)`);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}

/** The sum of the header's bytes with the checksum field counted as spaces. */
function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < tarBlock; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function field(block: Buffer, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return bytes
    .subarray(0, end < 0 ? length : end)
    .toString('utf8')
    .trim();
}
