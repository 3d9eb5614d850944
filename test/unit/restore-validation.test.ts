import { describe, expect, it } from 'vitest';
import {
  maxValidationMessage,
  validateRestore,
  validateRestoredKeys,
  type RestoreValidation,
} from '../../lambdas/core/backup/restore-validation';

describe('restore validation', () => {
  it('fails an empty restored bucket', () => {
    expect(validateRestoredKeys([])).toEqual({
      status: 'FAILED',
      message: 'The restored bucket is empty.',
    });
  });

  it('passes a bucket whose every table has its metadata.json, counting objects and tables', () => {
    expect(
      validateRestoredKeys([
        'crm/accounts/data/part-0.parquet',
        'crm/accounts/metadata/00001-a.metadata.json',
        'crm/accounts/metadata/snap-1.avro',
        'fx/rates/metadata/00000-b.metadata.json',
        '_manifests/run.json',
      ]),
    ).toEqual({
      status: 'SUCCESSFUL',
      message: '5 objects, 2 tables, each with its metadata.json.',
    });
  });

  it('fails a bucket where a table has data files but no metadata.json, naming the tables', () => {
    expect(
      validateRestoredKeys([
        'crm/accounts/data/part-0.parquet',
        'crm/accounts/metadata/snap-1.avro',
        'fx/rates/data/part-0.parquet',
        'fx/rates/metadata/00000-b.metadata.json',
        'tables/runs/data/x.parquet',
      ]),
    ).toEqual({
      status: 'FAILED',
      message:
        '5 objects, 3 tables; 2 tables have data files but no metadata.json: crm/accounts, tables/runs',
    });
  });

  it('keeps the message within what AWS Backup stores', () => {
    const keys = Array.from({ length: 500 }, (_, i) => `schema/table_${i}/data/part-0.parquet`);
    const { message } = validateRestoredKeys(keys);
    expect(message.length).toBe(maxValidationMessage);
    expect(message.endsWith('…')).toBe(true);
  });

  it('reports the verdict on the restore job it validated', async () => {
    const reported: [string, RestoreValidation][] = [];
    const verdict = await validateRestore(
      {
        listKeys: async (bucket) => (bucket === 'restored' ? ['a/data/x.parquet'] : []),
        report: async (job, validation) => void reported.push([job, validation]),
      },
      { restoreJobId: 'job-1', bucket: 'restored' },
    );
    expect(verdict.status).toBe('FAILED');
    expect(reported).toEqual([['job-1', verdict]]);
  });
});
