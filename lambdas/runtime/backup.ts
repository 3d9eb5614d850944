/**
 * Local lake backups: `create` snapshots the lake under its lock into one gzipped tar with a
 * manifest of SHA-256 checksums, `verify` re-reads every byte against the manifest, `restore`
 * unpacks into a staging folder beside the target, verifies it and only then swaps it in.
 *
 * A backup counts only once its manifest `<id>.json` exists, and the manifest is written (then
 * renamed into place) after the archive is complete and renamed: a backup interrupted at any
 * point leaves a `.partial` file that `list` reports as such and `verify`/`restore` cannot name.
 * A restore interrupted before the swap leaves the lake untouched and a `.restoring-*` folder; one
 * interrupted between the two renames of the swap leaves no lake at all (not a wrong one), the
 * verified restore in `.restoring-*` and the old lake in `.replaced-*`.
 *
 * `create --encrypt` encrypts the archive with AES-256-GCM under the local backup key; the manifest
 * (checksums, file names, the key's fingerprint) stays readable. `verify` and `restore` check the
 * key's fingerprint first, then the GCM tag over the whole archive, and only then unpack.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import {
  copyFile,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { createGunzip, createGzip } from 'node:zlib';
import {
  backupFormat,
  backupId,
  encryptedBackupFormat,
  isBackedUp,
  isBackupId,
  manifestProblems,
  type BackedUpFile,
  type BackupKey,
  type BackupManifest,
} from '../core/backup';
import { PipelineError } from '../core/errors';
import { acquireLakeLock } from './lake-lock';

export interface CreateBackupOptions {
  readonly lakeRoot: string;
  readonly dir: string;
  readonly now?: () => Date;
  /** The lake's as-of date, read while the backup holds the lock. */
  readonly asOf?: () => Promise<string | undefined>;
  /** Encrypt the archive with this key (AES-256-GCM). */
  readonly encryptWith?: BackupKey;
}

/** Gives the key an encrypted backup needs; called only for one. */
export type BackupKeyProvider = () => Promise<BackupKey>;

/** Snapshots the lake into `<dir>/<id>.tar.gz` and `<dir>/<id>.json`, holding the lake lock. */
export async function createBackup(options: CreateBackupOptions): Promise<BackupManifest> {
  const { lakeRoot, dir } = options;
  if (!existsSync(lakeRoot)) throw new PipelineError(`No lake at ${lakeRoot} to back up`);
  const inside = path.relative(path.resolve(lakeRoot), path.resolve(dir));
  if (!inside.startsWith('..') && !path.isAbsolute(inside))
    throw new PipelineError(
      `${dir} is inside the lake ${lakeRoot}: backups there would be lost with it. Give another --dir.`,
    );
  const lock = await acquireLakeLock(lakeRoot, 'backup-create');
  const createdAt = (options.now ?? (() => new Date()))();
  const id = backupId(createdAt);
  const key = options.encryptWith;
  const archive = path.join(dir, `${id}.tar.gz${key ? '.enc' : ''}`);
  const partial = path.join(dir, `.${path.basename(archive)}.partial`);
  const iv = randomBytes(12);
  const cipher = key ? createCipheriv('aes-256-gcm', key.key, iv) : undefined;
  const pack = tar.pack();
  let written: Promise<void> | undefined;
  try {
    await mkdir(dir, { recursive: true });
    const asOf = await options.asOf?.();
    const files: BackedUpFile[] = [];
    written = cipher
      ? pipeline(pack, createGzip(), cipher, createWriteStream(partial))
      : pipeline(pack, createGzip(), createWriteStream(partial));
    // Its failure is awaited below (or in the clean-up), not left unhandled meanwhile.
    written.catch(() => undefined);
    for (const name of await lakeFiles(lakeRoot)) {
      const file = path.join(lakeRoot, ...name.split('/'));
      const { size, mtime } = await stat(file);
      files.push({ path: name, size, sha256: await packFile(pack, name, file, size, mtime) });
    }
    pack.finalize();
    await written;
    await syncFile(partial);
    await rename(partial, archive);
    const manifest: BackupManifest = {
      format: key ? encryptedBackupFormat : backupFormat,
      id,
      createdAt: createdAt.toISOString(),
      ...(asOf ? { asOf } : {}),
      lake: lakeRoot,
      archive: {
        file: path.basename(archive),
        size: (await stat(archive)).size,
        sha256: await sha256File(archive),
      },
      ...(key && cipher
        ? {
            encryption: {
              algorithm: 'aes-256-gcm' as const,
              keyId: key.id,
              iv: iv.toString('hex'),
              tag: cipher.getAuthTag().toString('hex'),
            },
          }
        : {}),
      files,
    };
    const manifestPartial = path.join(dir, `.${id}.json.partial`);
    await writeFile(manifestPartial, `${JSON.stringify(manifest, null, 2)}\n`);
    await syncFile(manifestPartial);
    await rename(manifestPartial, path.join(dir, `${id}.json`));
    return manifest;
  } catch (error) {
    // Close the archive stream before its file goes, so no write lands after the delete.
    pack.destroy();
    await written?.catch(() => undefined);
    await rm(partial, { force: true });
    await rm(archive, { force: true });
    throw error;
  } finally {
    await lock.release();
  }
}

/** The complete backups in `dir`, oldest first, and the leftovers of interrupted ones. */
export async function listBackups(
  dir: string,
): Promise<{ backups: BackupManifest[]; partial: string[] }> {
  if (!existsSync(dir)) return { backups: [], partial: [] };
  const names = (await readdir(dir)).sort();
  const backups: BackupManifest[] = [];
  for (const name of names.filter((n) => isBackupId(n.replace(/\.json$/, ''))))
    backups.push(await readManifest(dir, name.replace(/\.json$/, '')));
  return { backups, partial: names.filter((n) => n.endsWith('.partial')) };
}

/** The backup's manifest; an error naming the id when there is no complete backup by that id. */
export async function readManifest(dir: string, id: string): Promise<BackupManifest> {
  const file = path.join(dir, `${id}.json`);
  if (!isBackupId(id) || !existsSync(file))
    throw new PipelineError(
      `No backup ${id} in ${dir} (see \`medallion backup list\`; an interrupted backup has no manifest and cannot be used)`,
    );
  const manifest = JSON.parse(await readFile(file, 'utf8')) as BackupManifest;
  if (manifest.format !== backupFormat && manifest.format !== encryptedBackupFormat)
    throw new PipelineError(
      `${file}: backup format ${manifest.format}, this version reads formats ${backupFormat} and ${encryptedBackupFormat}`,
    );
  return manifest;
}

/**
 * Every problem of the backup: the archive's checksum, its GCM tag when encrypted, then each
 * file's against the manifest. A missing or wrong key throws: the backup may be fine.
 */
export async function verifyBackup(
  dir: string,
  id: string,
  key?: BackupKeyProvider,
): Promise<string[]> {
  const manifest = await readManifest(dir, id);
  const archive = path.join(dir, manifest.archive.file);
  if (!existsSync(archive)) return [`${manifest.archive.file}: the archive is missing`];
  const decryptWith = await keyFor(manifest, key);
  const sha256 = await sha256File(archive);
  const problems =
    sha256 === manifest.archive.sha256
      ? []
      : [`${manifest.archive.file}: checksum mismatch (the archive changed since it was written)`];
  try {
    if (decryptWith) await authenticate(archive, manifest, decryptWith);
    const found = await readArchive(archive, manifest, () => undefined, decryptWith);
    return [...problems, ...manifestProblems(manifest.files, found)];
  } catch (error) {
    return [...problems, `${manifest.archive.file}: ${(error as Error).message}`];
  }
}

export interface RestoreOptions {
  /** The lake the backup replaces, under its lock. */
  readonly lakeRoot: string;
  /** Restore into this new folder instead, leaving the lake alone. */
  readonly to?: string;
  /** Runs after the swap, still holding the lock, given the replaced lake's folder. */
  readonly afterSwap?: (replaced: string) => Promise<void>;
  /** The key of an encrypted backup. */
  readonly key?: BackupKeyProvider;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly target: string;
  /** Where the lake that was replaced now is; absent for `--to`. */
  readonly replaced?: string;
}

/**
 * Restores a backup: unpacked and verified in a staging folder beside the target, then swapped
 * in. In place, it holds the lake's lock (refused while a run holds it) and keeps the lake's
 * `_sim` (the sources); the lake it replaces is kept aside in `<lake>.replaced-<time>`.
 */
export async function restoreBackup(
  dir: string,
  id: string,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const manifest = await readManifest(dir, id);
  const archive = path.join(dir, manifest.archive.file);
  // Before anything is touched: a missing or wrong key stops here.
  const decryptWith = await keyFor(manifest, options.key);
  if (options.to) {
    const target = path.resolve(options.to);
    if (existsSync(target) && (await readdir(target)).length > 0)
      throw new PipelineError(`${target} is not empty: restore --to needs a new or empty folder`);
    const staging = `${target}.restoring-${id}-${process.pid}`;
    await unpack(archive, manifest, staging, decryptWith);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    return { manifest, target };
  }
  const lakeRoot = path.resolve(options.lakeRoot);
  const lock = await acquireLakeLock(lakeRoot, 'backup-restore');
  try {
    for (const leftover of await siblings(lakeRoot, '.restoring-'))
      await rm(leftover, { recursive: true, force: true });
    const staging = `${lakeRoot}.restoring-${id}`;
    await unpack(archive, manifest, staging, decryptWith);
    for (const entry of await readdir(lakeRoot))
      if (!isBackedUp(entry) && entry !== '.lock' && entry !== '_tmp')
        await rename(path.join(lakeRoot, entry), path.join(staging, entry));
    // The lock travels with the restored lake, so no run starts on it before the restore is done.
    await copyFile(path.join(lakeRoot, '.lock'), path.join(staging, '.lock'));
    const replaced = `${lakeRoot}.replaced-${backupId(new Date())}`;
    await rename(lakeRoot, replaced);
    await rename(staging, lakeRoot);
    await rm(path.join(replaced, '.lock'), { force: true });
    await options.afterSwap?.(replaced);
    return { manifest, target: lakeRoot, replaced };
  } finally {
    await lock.release();
  }
}

/**
 * The key an encrypted backup needs, checked against the fingerprint in its manifest; undefined
 * for a plain backup. Throws naming both fingerprints when the key is another one.
 */
async function keyFor(
  manifest: BackupManifest,
  provider: BackupKeyProvider | undefined,
): Promise<BackupKey | undefined> {
  const encryption = manifest.encryption;
  if (!encryption) return undefined;
  if (!provider)
    throw new PipelineError(
      `Backup ${manifest.id} is encrypted (key ${encryption.keyId}), and no key was given; nothing was read or restored.`,
    );
  const key = await provider();
  if (key.id !== encryption.keyId)
    throw new PipelineError(
      `Backup ${manifest.id} was encrypted with key ${encryption.keyId}, but ${key.source} holds key ${key.id}: put back the key file that encrypted it; nothing was read or restored.`,
    );
  return key;
}

function decipherFor(manifest: BackupManifest, key: BackupKey) {
  const { iv, tag } = manifest.encryption!;
  const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'hex'));
  decipher.setAuthTag(Buffer.from(tag, 'hex'));
  return decipher;
}

/**
 * Decrypts the whole archive, keeping nothing, to check its GCM tag: GCM hands out plaintext
 * before the tag is checked at the end, so nothing is unpacked until the whole archive passed.
 */
async function authenticate(
  archive: string,
  manifest: BackupManifest,
  key: BackupKey,
): Promise<void> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(archive), decipherFor(manifest, key), discard);
  } catch (error) {
    // Node's message for a GCM tag that does not match.
    if (!/unable to authenticate data/.test((error as Error).message)) throw error;
    throw new PipelineError(
      `Backup ${manifest.id} fails its AES-256-GCM authentication: the encrypted archive was altered after it was written`,
    );
  }
}

/** Unpacks the archive into `staging` (a new folder) and checks it against the manifest. */
async function unpack(
  archive: string,
  manifest: BackupManifest,
  staging: string,
  key: BackupKey | undefined,
): Promise<void> {
  if (key) await authenticate(archive, manifest, key);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    const found = await readArchive(
      archive,
      manifest,
      (name) => path.join(staging, ...name.split('/')),
      key,
    );
    const problems = manifestProblems(manifest.files, found);
    if (problems.length > 0)
      throw new PipelineError(
        `Backup ${manifest.id} does not match its manifest; nothing was restored:\n  ${problems.join('\n  ')}`,
      );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Reads the archive entry by entry, hashing each; writes each to `destination(name)` when it
 * gives a path. Only files the manifest lists are written: an archive naming anything else (or a
 * path out of the folder) stops the read.
 */
async function readArchive(
  archive: string,
  manifest: BackupManifest,
  destination: (name: string) => string | undefined,
  key: BackupKey | undefined,
): Promise<BackedUpFile[]> {
  const listed = new Set(manifest.files.map((f) => f.path));
  const found: BackedUpFile[] = [];
  const extract = tar.extract();
  const reading = key
    ? pipeline(createReadStream(archive), decipherFor(manifest, key), createGunzip(), extract)
    : pipeline(createReadStream(archive), createGunzip(), extract);
  // A damaged archive fails the entries loop below; the pipeline's own rejection is awaited there.
  reading.catch(() => undefined);
  try {
    for await (const entry of extract) {
      const { name, size = 0, type } = entry.header;
      if (type !== 'file' || !listed.has(name) || name.split('/').includes('..'))
        throw new PipelineError(`${name}: in the archive but not in the manifest`);
      if (found.some((f) => f.path === name))
        throw new PipelineError(`${name}: appears twice in the archive`);
      const hash = createHash('sha256');
      const file = destination(name);
      if (file) await mkdir(path.dirname(file), { recursive: true });
      const output = file ? await open(file, 'wx') : undefined;
      try {
        for await (const chunk of entry) {
          hash.update(chunk as Buffer);
          if (output) await output.write(chunk as Buffer);
        }
      } finally {
        await output?.close();
      }
      found.push({ path: name, size, sha256: hash.digest('hex') });
    }
    await reading;
  } catch (error) {
    extract.destroy();
    await reading.catch(() => undefined);
    throw error;
  }
  return found;
}

/**
 * Streams one file into the archive, hashing what it writes; a file that changes size while it
 * is read fails the backup rather than recording bytes that were never there together.
 */
async function packFile(
  pack: tar.Pack,
  name: string,
  file: string,
  size: number,
  mtime: Date,
): Promise<string> {
  const hash = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    const entry = pack.entry({ name, size, mtime, mode: 0o644 }, (error) =>
      error ? reject(error) : resolve(),
    );
    void (async () => {
      let copied = 0;
      for await (const chunk of createReadStream(file, { end: Math.max(size - 1, 0) })) {
        const bytes = (chunk as Buffer).subarray(0, size - copied);
        hash.update(bytes);
        copied += bytes.length;
        if (!entry.write(bytes)) await once(entry, 'drain');
      }
      if (copied !== size)
        throw new PipelineError(
          `${name} changed while it was backed up: ${copied} of ${size} bytes`,
        );
      // tar-stream's entries are streamx streams, whose end() takes a callback as `finish`.
      entry.end(() => undefined);
    })().catch((error: unknown) => {
      entry.destroy(error as Error);
      reject(error as Error);
    });
  });
  return hash.digest('hex');
}

/** Every regular file of the lake a backup holds, relative and `/`-separated, sorted. */
async function lakeFiles(lakeRoot: string): Promise<string[]> {
  const entries = await readdir(lakeRoot, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(lakeRoot, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter(isBackedUp)
    .sort();
}

async function siblings(folder: string, infix: string): Promise<string[]> {
  const parent = path.dirname(folder);
  const prefix = `${path.basename(folder)}${infix}`;
  return (await readdir(parent))
    .filter((n) => n.startsWith(prefix))
    .map((n) => path.join(parent, n));
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
