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

describe('RPO targets against the backup schedule', () => {
  /** Backup of bronze plus `layers` lines, with `snapshots` lines. */
  const backupWith = (layers: string, snapshots = '') =>
    minimal.replace(
      '    bronze: { rpoHours: 1, rtoHours: 4 }\n',
      `    bronze: { rpoHours: 1, rtoHours: 4 }\n${layers}${snapshots ? `  snapshots:\n${snapshots}` : ''}`,
    );

  it('a layer nothing rebuilds has continuous backup: minutes, not less', () => {
    expect(() =>
      parseConfig(backupWith('    audit: { rpoHours: 0.25, rtoHours: 4 }\n'), 'x.yaml'),
    ).not.toThrow();
    const [problem, ...rest] = problemsOf(
      backupWith('    audit: { rpoHours: 0.1, rtoHours: 4 }\n'),
    );
    expect(rest).toEqual([]);
    expect(problem!.path).toBe('backup.layers.audit.rpoHours');
    expect(problem!.expected).toBe(
      'an RPO the backup rules can meet: audit targets 0.1 hours, but continuous backup keeps it to within 15 minutes at best',
    );
  });

  it('a rebuildable layer gets the most frequent snapshot rule that includes it, when bronze has no continuous backup', () => {
    const text = (rpo: number) =>
      minimal.replace(
        '    bronze: { rpoHours: 1, rtoHours: 4 }\n',
        `    silver: { rpoHours: ${rpo}, rtoHours: 12, rebuildableFromBronze: true }\n  snapshots:\n    daily: { schedule: 'cron(0 4 * * ? *)', retentionDays: 35, includeRebuildable: true }\n    hourly: { schedule: 'cron(0 * * * ? *)', retentionDays: 7 }\n    weekly: { schedule: 'cron(0 5 ? * SUN *)', retentionDays: 91, includeRebuildable: true }\n`,
      );
    expect(() => parseConfig(text(24), 'x.yaml')).not.toThrow();
    const problems = problemsOf(text(6));
    expect(problems.map((p) => [p.path, p.expected])).toEqual([
      [
        'backup.layers.silver.rpoHours',
        'an RPO the backup rules can meet: silver targets 6 hours, but its most frequent snapshot rule, daily (cron(0 4 * * ? *)), leaves up to 24 hours between recovery points',
      ],
    ]);
  });

  it('a rebuildable layer that no rule includes is replayed from bronze’s continuous backup, or refused', () => {
    expect(() =>
      parseConfig(
        backupWith('    gold: { rpoHours: 1, rtoHours: 12, rebuildableFromBronze: true }\n'),
        'x.yaml',
      ),
    ).not.toThrow();
    const alone = minimal.replace(
      '    bronze: { rpoHours: 1, rtoHours: 4 }\n',
      '    gold: { rpoHours: 48, rtoHours: 12, rebuildableFromBronze: true }\n',
    );
    expect(problemsOf(alone).map((p) => p.expected)).toEqual([
      'an RPO the backup rules can meet: gold targets 48 hours, but no snapshot rule includes it (includeRebuildable) and bronze has no continuous backup to replay from',
    ]);
  });

  it('reads the longest wait of a schedule: month ends, weekdays, lists and steps', () => {
    const gap = (schedule: string) =>
      problemsOf(
        minimal.replace(
          '    bronze: { rpoHours: 1, rtoHours: 4 }\n',
          `    silver: { rpoHours: 0.01, rtoHours: 12, rebuildableFromBronze: true }\n  snapshots:\n    only: { schedule: '${schedule}', retentionDays: 400, includeRebuildable: true }\n`,
        ),
      )[0]!.expected.replace(/.*leaves up to (\S+) hours.*/, '$1');
    expect(gap('cron(0 5 1 * ? *)')).toBe(String(31 * 24));
    expect(gap('cron(0 5 ? * MON-FRI *)')).toBe('72');
    expect(gap('cron(0/15 8,20 * * ? *)')).toBe('11.25');
    expect(gap('cron(30 */6 * * ? *)')).toBe('6');
  });

  it('names a schedule it cannot read rather than guess its RPO', () => {
    const problems = problemsOf(
      backupWith('', "    monthly: { schedule: 'cron(0 5 L * ? *)', retentionDays: 400 }\n"),
    );
    expect(problems.map((p) => [p.path, p.expected])).toEqual([
      [
        'backup.snapshots.monthly.schedule',
        expect.stringMatching(
          /^a schedule the RPO check can read: day-of-month field 'L': L is not a value from 1 to 31 \(L, W and # are not read here/,
        ),
      ],
    ]);
  });
});
