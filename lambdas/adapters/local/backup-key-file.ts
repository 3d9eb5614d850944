import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { backupKeyId, type BackupKey } from '../../core/backup';
import { PipelineError } from '../../core/errors';

/** AES-256 takes a 32-byte key. */
const keyBytes = 32;

/**
 * The local backup key: 32 random bytes, hex, in a file readable by its owner only, created by
 * the first `backup create --encrypt`. `.secrets/` is git-ignored and never backed up (it is not
 * in the lake): keep a copy where you keep secrets, since an encrypted backup is unreadable without
 * it. Reading never creates a key: a restore with a new key could only fail.
 */
export class BackupKeyFile {
  constructor(readonly path: string) {}

  /** A project's key: `<project>/.secrets/backup.key`. */
  static ofProject(root: string): BackupKeyFile {
    return new BackupKeyFile(join(root, '.secrets', 'backup.key'));
  }

  /** The key, created on first use: for encrypting a new backup. */
  async loadOrCreate(): Promise<BackupKey> {
    const existing = await this.read();
    if (existing) return existing;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    // 'wx': two processes creating the key at once must not end up with different keys.
    await writeFile(this.path, `${randomBytes(keyBytes).toString('hex')}\n`, {
      mode: 0o600,
      flag: 'wx',
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return this.load();
  }

  /** The existing key, for decrypting; an error naming the file when there is none. */
  async load(): Promise<BackupKey> {
    const key = await this.read();
    if (!key)
      throw new PipelineError(
        `No backup key at ${this.path}: the backup is encrypted, and only the key file that encrypted it can read it. Put that file back (from where you keep secrets); nothing was read or restored.`,
      );
    return key;
  }

  private async read(): Promise<BackupKey | undefined> {
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    const hex = text.trim();
    if (!new RegExp(`^[0-9a-f]{${keyBytes * 2}}$`, 'i').test(hex))
      throw new PipelineError(
        `${this.path}: a backup key is ${keyBytes} bytes of hex; the file holds something else. Restore it from where you keep secrets.`,
      );
    const key = Buffer.from(hex, 'hex');
    return { key, id: backupKeyId(key), source: this.path };
  }
}
