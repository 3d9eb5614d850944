import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BronzeObjects } from '../../core/maintenance';
import type { ObjectStore } from '../../core/ports';

/** The lake as a folder: key `bronze/x/y.parquet` is the file `<root>/bronze/x/y.parquet`. */
export class FsObjectStore implements ObjectStore, BronzeObjects {
  constructor(readonly root: string) {}

  /** Absolute path of a key, for adapters (DuckDB) that read and write files themselves. */
  path(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.path(prefix.replace(/\/$/, ''));
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      },
    );
    return entries
      .filter((e) => e.isFile())
      .map((e) =>
        path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'),
      )
      .sort();
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async getText(key: string): Promise<string | undefined> {
    return readFile(this.path(key), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
  }

  /** Write to a sibling temporary file, then rename: POSIX rename is atomic. */
  async putText(key: string, text: string): Promise<void> {
    const file = this.path(key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, file);
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    const target = this.path(toKey);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(this.path(fromKey), target);
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** A folder has no versions: removing it removes every file under the prefix. */
  async purge(prefix: string): Promise<number> {
    const files = await this.list(prefix);
    await rm(this.path(prefix.replace(/\/$/, '')), { recursive: true, force: true });
    return files.length;
  }

  async hash(key: string): Promise<string> {
    const digest = createHash('sha256');
    for await (const chunk of createReadStream(this.path(key))) digest.update(chunk as Buffer);
    return digest.digest('hex');
  }
}
