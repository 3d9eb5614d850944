import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { minimumKeyBytes, privacyKeyFromHex } from '../../core/privacy/keyed-hash';
import type { PrivacyKeyStore } from '../../core/ports';

/**
 * The local privacy key: 32 random bytes, hex, in a file readable by its owner only, created the
 * first time a pseudonym or erasure needs it. `.secrets/` is git-ignored: the key is never
 * committed, and a clone gets a key of its own.
 */
export class PrivacyKeyFile implements PrivacyKeyStore {
  private loaded: Promise<Uint8Array> | undefined;

  constructor(private readonly path: string) {}

  /** A project's key: `<project>/.secrets/privacy.key`. */
  static ofProject(root: string): PrivacyKeyFile {
    return new PrivacyKeyFile(join(root, '.secrets', 'privacy.key'));
  }

  key(): Promise<Uint8Array> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<Uint8Array> {
    const text = await readFile(this.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return this.create();
    const key = privacyKeyFromHex(text);
    if (!key) {
      throw new Error(
        `${this.path}: a privacy key is at least ${minimumKeyBytes} bytes of hex; the file holds something else. Restore it from where you keep secrets (pseudonyms made with the old key stay matchable only with it).`,
      );
    }
    return key;
  }

  private async create(): Promise<Uint8Array> {
    const key = randomBytes(minimumKeyBytes);
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    // 'wx': two processes creating the key at once must not end up with different keys.
    await writeFile(this.path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' }).catch(
      async (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
    return this.load();
  }
}
