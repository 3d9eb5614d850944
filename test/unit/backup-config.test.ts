import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import type { ConfigError } from '../../lambdas/core/errors';

const minimal = `
env: test
sources:
  crm:
    kind: rest
    datasets:
      accounts: { path: /crm/v1/accounts, watermark: updated_at }
backup:
  layers:
    bronze: { rpoHours: 1, rtoHours: 4 }
`;

const problemsOf = (text: string) => {
  try {
    parseConfig(text, 'config/broken.yaml');
  } catch (error) {
    return (error as ConfigError).problems;
  }
  throw new Error('expected the config to be rejected');
};

describe('backup config', () => {
  it('defaults continuous backup to the 35 days AWS Backup keeps at most, no snapshots, no lock, no copy', () => {
    const { backup } = parseConfig(minimal, 'config/test.yaml');
    expect(backup).toEqual({
      layers: { bronze: { rpoHours: 1, rtoHours: 4, rebuildableFromBronze: false } },
      continuousRetentionDays: 35,
      snapshots: {},
      recoveryPointAdmins: [],
    });
  });

  it('refuses continuous backup kept longer than 35 days', () => {
    expect(problemsOf(`${minimal}  continuousRetentionDays: 60\n`)[0]!.path).toBe(
      'backup.continuousRetentionDays',
    );
  });

  it('refuses a cold storage move with less than 90 days in cold storage before deletion', () => {
    expect(
      problemsOf(
        `${minimal}  snapshots:\n    monthly: { schedule: 'cron(0 5 1 * ? *)', retentionDays: 100, coldStorageAfterDays: 30 }\n`,
      ),
    ).toEqual([
      {
        path: 'backup.snapshots.monthly.retentionDays',
        expected: expect.stringMatching(/^at least coldStorageAfterDays \+ 90 \(120\)/),
        found: 'number 100',
      },
    ]);
  });

  it('refuses retentions outside the vault lock’s range, which the locked vault would refuse', () => {
    const lock =
      '  vaultLock: { minRetentionDays: 7, maxRetentionDays: 100, changeableForDays: 3 }\n';
    const problems = problemsOf(
      `${minimal}${lock}  snapshots:\n    monthly: { schedule: 'cron(0 5 1 * ? *)', retentionDays: 365 }\n`,
    );
    expect(problems.map((p) => p.path)).toEqual(['backup.snapshots.monthly.retentionDays']);
    expect(problems[0]!.expected).toMatch(/within the vault lock's retention \(7 to 100 days\)/);
  });

  it('refuses a vault lock open for less than AWS’s 3 days or with max not above min', () => {
    expect(
      problemsOf(
        `${minimal}  continuousRetentionDays: 10\n  vaultLock: { minRetentionDays: 10, maxRetentionDays: 20, changeableForDays: 1 }\n`,
      ).map((p) => p.path),
    ).toEqual(['backup.vaultLock.changeableForDays']);
    expect(
      problemsOf(
        `${minimal}  continuousRetentionDays: 10\n  vaultLock: { minRetentionDays: 10, maxRetentionDays: 10, changeableForDays: 3 }\n`,
      ).map((p) => p.path),
    ).toEqual(['backup.vaultLock.maxRetentionDays']);
  });

  it('backs up only the lake’s data and audit buckets, and copies only to a backup vault ARN', () => {
    expect(problemsOf(`${minimal}    reports: { rpoHours: 24, rtoHours: 24 }\n`)[0]!.path).toMatch(
      /^backup\.layers/,
    );
    expect(problemsOf(`${minimal}  copy: { vaultArn: 'arn:aws:s3:::somewhere' }\n`)[0]!.path).toBe(
      'backup.copy.vaultArn',
    );
  });

  it('exports the catalog only on a cron schedule, kept a whole number of days', () => {
    const { backup } = parseConfig(
      `${minimal}  catalogExport: { schedule: 'cron(30 3 * * ? *)', retentionDays: 30 }\n`,
      'config/test.yaml',
    );
    expect(backup!.catalogExport).toEqual({ schedule: 'cron(30 3 * * ? *)', retentionDays: 30 });
    expect(
      problemsOf(`${minimal}  catalogExport: { schedule: 'rate(1 day)', retentionDays: 30 }\n`).map(
        (p) => p.path,
      ),
    ).toEqual(['backup.catalogExport.schedule']);
    expect(
      problemsOf(
        `${minimal}  catalogExport: { schedule: 'cron(30 3 * * ? *)', retentionDays: 0 }\n`,
      ).map((p) => p.path),
    ).toEqual(['backup.catalogExport.retentionDays']);
  });
});
