/**
 * Restore testing proves a backup is usable, not only that AWS Backup wrote it: the restored
 * bucket must hold objects, and every Iceberg table in it must have its metadata file, without
 * which Athena cannot read the table's data files. The restore validation function checks the
 * restored bucket's keys with these rules and reports the verdict to AWS Backup.
 */

/** The verdict AWS Backup records on the restore job (`PutRestoreValidationResult`). */
export interface RestoreValidation {
  readonly status: 'SUCCESSFUL' | 'FAILED';
  readonly message: string;
}

/** Where the validation reads the restored bucket and reports its verdict. */
export interface RestoreValidationPorts {
  /** Every object key of the restored bucket. */
  listKeys(bucket: string): Promise<string[]>;
  report(restoreJobId: string, validation: RestoreValidation): Promise<void>;
}

/** AWS Backup keeps a validation message of at most this many characters. */
export const maxValidationMessage = 2048;

/** The folder a table's `data/` and `metadata/` folders sit in: `crm/accounts/` of `crm/accounts/data/x.parquet`. */
function tableRoot(key: string): { root: string; part: 'data' | 'metadata' } | undefined {
  const match = /^(.*?)(?:^|\/)(data|metadata)\//.exec(key);
  if (!match) return undefined;
  return { root: match[1] ?? '', part: match[2] as 'data' | 'metadata' };
}

/**
 * The verdict on a restored lake bucket from its keys: FAILED when it is empty or when a table
 * has data files but no `*.metadata.json` (an Iceberg table nothing can read), naming the tables.
 */
export function validateRestoredKeys(keys: readonly string[]): RestoreValidation {
  if (keys.length === 0) return { status: 'FAILED', message: 'The restored bucket is empty.' };
  const tables = new Map<string, { data: number; metadataFiles: number }>();
  for (const key of keys) {
    const found = tableRoot(key);
    if (!found) continue;
    const table = tables.get(found.root) ?? { data: 0, metadataFiles: 0 };
    if (found.part === 'data') table.data += 1;
    else if (key.endsWith('.metadata.json')) table.metadataFiles += 1;
    tables.set(found.root, table);
  }
  const unreadable = [...tables]
    .filter(([, t]) => t.data > 0 && t.metadataFiles === 0)
    .map(([root]) => root || '(bucket root)')
    .sort();
  const counted = `${keys.length} objects, ${tables.size} tables`;
  if (unreadable.length > 0)
    return {
      status: 'FAILED',
      message: truncate(
        `${counted}; ${unreadable.length} tables have data files but no metadata.json: ${unreadable.join(', ')}`,
      ),
    };
  return { status: 'SUCCESSFUL', message: `${counted}, each with its metadata.json.` };
}

function truncate(message: string): string {
  return message.length <= maxValidationMessage
    ? message
    : `${message.slice(0, maxValidationMessage - 1)}…`;
}

/** Validates the bucket a restore job created and reports the verdict on the job. */
export async function validateRestore(
  ports: RestoreValidationPorts,
  job: { readonly restoreJobId: string; readonly bucket: string },
): Promise<RestoreValidation> {
  const validation = validateRestoredKeys(await ports.listKeys(job.bucket));
  await ports.report(job.restoreJobId, validation);
  return validation;
}
