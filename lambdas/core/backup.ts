/**
 * What a local lake backup is and how it is checked: which files of the lake it holds, its
 * manifest (every file with its size and SHA-256, and the archive's own), and the comparisons a
 * verify, a restore and the DR drill make. The archive and file system work is in
 * `runtime/backup.ts`; this is the part that decides.
 */

import { createHash } from 'node:crypto';

/** Bumped when the manifest changes shape: a restore refuses a format it does not know. */
export const backupFormat = 1;
/** An encrypted backup's format: versions that cannot decrypt refuse it rather than misread it. */
export const encryptedBackupFormat = 2;

/** A key that encrypts backups (AES-256-GCM), with the fingerprint a manifest records. */
export interface BackupKey {
  readonly key: Uint8Array;
  readonly id: string;
  /** Where the key came from, for messages. */
  readonly source: string;
}

/**
 * A key's fingerprint: the start of a SHA-256 of it under a fixed label. It tells keys apart
 * and says which one a backup needs, without revealing the key.
 */
export function backupKeyId(key: Uint8Array): string {
  return createHash('sha256')
    .update('medallion backup key\n')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

/** How an encrypted archive was encrypted: AES-256-GCM, its IV and tag (neither is secret). */
export interface BackupEncryption {
  readonly algorithm: 'aes-256-gcm';
  readonly keyId: string;
  readonly iv: string;
  readonly tag: string;
}

export interface BackedUpFile {
  /** Path relative to the lake, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: number;
  readonly id: string;
  readonly createdAt: string;
  /** The lake's last completed run date at the backup point: the data's as-of date. */
  readonly asOf?: string;
  readonly lake: string;
  readonly archive: { readonly file: string; readonly size: number; readonly sha256: string };
  /** Present when the archive is encrypted. */
  readonly encryption?: BackupEncryption;
  readonly files: readonly BackedUpFile[];
}

/**
 * Lake entries a backup leaves out: the lock (a restore takes its own), scratch space, and `_sim`,
 * which stands for the source systems (Snowflake, the CRM): they are not the lake, and survive its
 * loss as the real ones would. `_runs` only shows the latest run to `status --watch`.
 */
const excludedEntries = new Set(['.lock', '_tmp', '_sim', '_runs']);

/** Whether the lake file at `relativePath` belongs in a backup. */
export function isBackedUp(relativePath: string): boolean {
  return !excludedEntries.has(relativePath.split('/')[0]!);
}

/** A backup id sorts by creation time and is safe as a file name: `20260101T120000123Z`. */
export function backupId(createdAt: Date): string {
  return createdAt.toISOString().replace(/[-:.]/g, '');
}

export function isBackupId(value: string): boolean {
  return /^\d{8}T\d{9}Z$/.test(value);
}

/**
 * How the files found in an archive differ from its manifest: each missing, unexpected or
 * changed file, named. Empty when the archive is exactly what the manifest promises.
 */
export function manifestProblems(
  manifest: readonly BackedUpFile[],
  found: readonly BackedUpFile[],
): string[] {
  const expected = new Map(manifest.map((f) => [f.path, f]));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const file of found) {
    const listed = expected.get(file.path);
    if (seen.has(file.path)) problems.push(`${file.path}: appears twice in the archive`);
    else if (!listed) problems.push(`${file.path}: in the archive but not in the manifest`);
    else if (listed.size !== file.size || listed.sha256 !== file.sha256)
      problems.push(
        `${file.path}: checksum mismatch (manifest ${listed.sha256.slice(0, 12)}…, ${listed.size} bytes; archive ${file.sha256.slice(0, 12)}…, ${file.size} bytes)`,
      );
    seen.add(file.path);
  }
  for (const file of manifest)
    if (!seen.has(file.path)) problems.push(`${file.path}: in the manifest but not in the archive`);
  return problems;
}

/** A table's content as a row count and an order-independent checksum of its rows. */
export interface TableChecksum {
  readonly table: string;
  readonly rows: number;
  readonly checksum: string;
}

/** Each table whose rows differ between the reference and the restored lake, or that one lacks. */
export function checksumDifferences(
  reference: readonly TableChecksum[],
  actual: readonly TableChecksum[],
): string[] {
  const restored = new Map(actual.map((t) => [t.table, t]));
  const differences: string[] = [];
  for (const ref of reference) {
    const got = restored.get(ref.table);
    if (!got) differences.push(`${ref.table}: missing after the restore`);
    else if (got.rows !== ref.rows)
      differences.push(`${ref.table}: ${got.rows} rows, the reference has ${ref.rows}`);
    else if (got.checksum !== ref.checksum)
      differences.push(`${ref.table}: same ${ref.rows} rows but different content`);
  }
  const known = new Set(reference.map((t) => t.table));
  for (const t of actual)
    if (!known.has(t.table)) differences.push(`${t.table}: not in the reference`);
  return differences;
}
