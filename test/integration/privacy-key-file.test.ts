import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrivacyKeyFile } from '../../lambdas/adapters/local/privacy-key-file';
import { keyedHash } from '../../lambdas/core/privacy/keyed-hash';

async function keyPath() {
  return join(await mkdtemp(join(tmpdir(), 'privacy-key-')), '.secrets', 'privacy.key');
}

describe('the local privacy key file', () => {
  it('is created on first use, readable by its owner only, and reused afterwards', async () => {
    const path = await keyPath();
    const first = await new PrivacyKeyFile(path).key();
    expect(first).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await new PrivacyKeyFile(path).key();
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
  });

  it('gives two stores racing to create it the same key', async () => {
    const path = await keyPath();
    const [a, b] = await Promise.all([
      new PrivacyKeyFile(path).key(),
      new PrivacyKeyFile(path).key(),
    ]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect((await readFile(path, 'utf8')).trim()).toBe(Buffer.from(a).toString('hex'));
  });

  it('refuses a file that does not hold a key, naming the file', async () => {
    const path = await keyPath();
    await new PrivacyKeyFile(path).key();
    await writeFile(path, 'not a key\n');
    await expect(new PrivacyKeyFile(path).key()).rejects.toThrow(
      `${path}: a privacy key is at least 32 bytes`,
    );
  });
});

describe('keyedHash', () => {
  const key = new Uint8Array(32).fill(7);

  it('is the same for the same person however the value is cased or padded', () => {
    expect(keyedHash(key, ' Ann@Example.com')).toBe(keyedHash(key, 'ann@example.com'));
  });

  it('differs with another key, so a guess cannot be confirmed without it', () => {
    expect(keyedHash(new Uint8Array(32).fill(8), 'ann@example.com')).not.toBe(
      keyedHash(key, 'ann@example.com'),
    );
    expect(keyedHash(key, 'ann@example.com')).toMatch(/^[0-9a-f]{64}$/);
  });
});
