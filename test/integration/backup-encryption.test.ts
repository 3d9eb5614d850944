/**
 * Encrypted local backups (`backup create --encrypt`): the archive is AES-256-GCM under a local
 * key file made on first use, the manifest names the key by its fingerprint only, and verify and
 * restore decrypt with that key, refusing a missing or other key, or an altered archive, before
 * anything of the lake is touched.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackupKeyFile } from '../../lambdas/adapters/local/backup-key-file';
import { backupKeyId, type BackupManifest } from '../../lambdas/core/backup';
import { createBackup, restoreBackup, verifyBackup } from '../../lambdas/runtime/backup';

describe('encrypted local backups', () => {
  let root: string;
  let lake: string;
  let dir: string;
  let keyFile: BackupKeyFile;
  const secret = 'customer@example.com, a row nobody may read from the archive';

  /** The lake's files and their SHA-256, read without the code under test. */
  const content = (folder: string) =>
    Object.fromEntries(
      readdirSync(folder, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name !== '.lock')
        .map((e) => {
          const file = path.join(e.parentPath, e.name);
          return [
            path.relative(folder, file),
            createHash('sha256').update(readFileSync(file)).digest('hex'),
          ];
        }),
    );
  const encrypted = async () =>
    createBackup({ lakeRoot: lake, dir, encryptWith: await keyFile.loadOrCreate() });
  /** A copy of the backup in its own folder, its archive bytes changed by `edit`. */
  const alteredCopy = (backup: BackupManifest, edit: (bytes: Buffer) => void) => {
    const copy = path.join(root, 'altered');
    mkdirSync(copy);
    const bytes = readFileSync(path.join(dir, backup.archive.file));
    edit(bytes);
    writeFileSync(path.join(copy, backup.archive.file), bytes);
    // The manifest's own checksum updated too: only the GCM tag can tell.
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(
      path.join(copy, `${backup.id}.json`),
      JSON.stringify({ ...backup, archive: { ...backup.archive, sha256 } }),
    );
    return copy;
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-encrypted-'));
    lake = path.join(root, 'lake');
    dir = path.join(root, 'backups');
    keyFile = new BackupKeyFile(path.join(root, 'project', '.secrets', 'backup.key'));
    mkdirSync(path.join(lake, 'bronze', 'crm', 'contacts', 'ingest_date=2026-01-01'), {
      recursive: true,
    });
    writeFileSync(
      path.join(lake, 'bronze', 'crm', 'contacts', 'ingest_date=2026-01-01', 'r-0.parquet'),
      secret,
    );
    mkdirSync(path.join(lake, 'catalog'));
    writeFileSync(path.join(lake, 'catalog', 'x.json'), '{"a":1}');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('round trip: encrypted under a key made on first use, verified and restored with it', async () => {
    expect(existsSync(keyFile.path)).toBe(false);
    const backup = await encrypted();
    const key = await keyFile.load();
    expect(statSync(keyFile.path).mode & 0o777).toBe(0o600);
    expect(backup.format).toBe(2);
    expect(backup.archive.file).toBe(`${backup.id}.tar.gz.enc`);
    expect(backup.encryption).toMatchObject({ algorithm: 'aes-256-gcm', keyId: key.id });
    expect(key.id).toBe(backupKeyId(key.key));

    // Neither the rows nor the key are in the archive or the manifest.
    const archive = readFileSync(path.join(dir, backup.archive.file));
    expect(() => gunzipSync(archive)).toThrow();
    expect(archive.includes(secret)).toBe(false);
    const manifest = readFileSync(path.join(dir, `${backup.id}.json`), 'utf8');
    expect(manifest).not.toContain(Buffer.from(key.key).toString('hex'));
    expect(archive.includes(Buffer.from(key.key))).toBe(false);

    expect(await verifyBackup(dir, backup.id, () => keyFile.load())).toEqual([]);
    const { target } = await restoreBackup(dir, backup.id, {
      lakeRoot: lake,
      to: path.join(root, 'copy'),
      key: () => keyFile.load(),
    });
    expect(content(target)).toEqual(content(lake));
    // A second encrypted backup uses the same key.
    expect((await encrypted()).encryption?.keyId).toBe(key.id);
  });

  it('a plain backup needs no key', async () => {
    const backup = await createBackup({ lakeRoot: lake, dir });
    expect(backup.encryption).toBeUndefined();
    expect(await verifyBackup(dir, backup.id)).toEqual([]);
    expect(existsSync(keyFile.path)).toBe(false);
  });

  it('refuses another key or none, naming both fingerprints, and leaves the lake as it was', async () => {
    const backup = await encrypted();
    const before = content(lake);
    const other = new BackupKeyFile(path.join(root, 'elsewhere', 'backup.key'));
    const otherId = (await other.loadOrCreate()).id;
    const wrongKey = new RegExp(
      `Backup ${backup.id} was encrypted with key ${backup.encryption!.keyId}, but .*elsewhere/backup\\.key holds key ${otherId}`,
    );
    await expect(verifyBackup(dir, backup.id, () => other.load())).rejects.toThrow(wrongKey);
    await expect(
      restoreBackup(dir, backup.id, { lakeRoot: lake, key: () => other.load() }),
    ).rejects.toThrow(wrongKey);

    const missing = new BackupKeyFile(path.join(root, 'nowhere', 'backup.key'));
    await expect(
      restoreBackup(dir, backup.id, { lakeRoot: lake, key: () => missing.load() }),
    ).rejects.toThrow(/No backup key at .*nowhere\/backup\.key: the backup is encrypted/);
    expect(existsSync(missing.path)).toBe(false);
    await expect(restoreBackup(dir, backup.id, { lakeRoot: lake })).rejects.toThrow(
      /is encrypted \(key [0-9a-f]{16}\), and no key was given/,
    );

    expect(content(lake)).toEqual(before);
    expect(readdirSync(root).sort()).toEqual(['backups', 'elsewhere', 'lake', 'project']);
  });

  it('refuses an altered archive by its GCM tag, before anything is unpacked or swapped in', async () => {
    const backup = await encrypted();
    const before = content(lake);
    const copy = alteredCopy(backup, (bytes) => {
      bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    });
    const problems = await verifyBackup(copy, backup.id, () => keyFile.load());
    expect(problems).toEqual([
      `${backup.archive.file}: Backup ${backup.id} fails its AES-256-GCM authentication: the encrypted archive was altered after it was written`,
    ]);
    await expect(
      restoreBackup(copy, backup.id, { lakeRoot: lake, key: () => keyFile.load() }),
    ).rejects.toThrow(/fails its AES-256-GCM authentication/);
    expect(content(lake)).toEqual(before);
    expect(
      readdirSync(root).filter((n) => n.includes('.restoring-') || n.includes('.replaced-')),
    ).toEqual([]);
  });
});
