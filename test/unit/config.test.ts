import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deliverySchema } from '../../config/schema';
import { parseConfig } from '../../lambdas/core/config';
import { parseYamlWith } from '../../lambdas/core/validation';
import { ConfigError } from '../../lambdas/core/errors';

const errorOf = (text: string) => {
  try {
    parseConfig(text, 'config/broken.yaml');
  } catch (error) {
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
};

const minimal = `
env: test
sources:
  crm:
    kind: rest
    datasets:
      accounts: { path: /crm/v1/accounts, watermark: updated_at }
`;

describe('config', () => {
  it.each(['local', 'dev', 'prod'])('config/%s.yaml is valid', (env) => {
    const config = parseConfig(readFileSync(`config/${env}.yaml`, 'utf8'), `config/${env}.yaml`);
    expect(config.env).toBe(env);
    expect(Object.keys(config.sources).sort()).toEqual([
      'crm',
      'fx',
      'kafka',
      'redshift',
      'snowflake',
    ]);
  });

  it('fills every optional setting with its documented default', () => {
    const config = parseConfig(minimal, 'minimal.yaml');
    expect(config.lake.root).toBe('.lake');
    expect(config.sample).toEqual({ scale: 100_000, days: 2, seed: 42, startDate: '2026-01-01' });
    expect(config.sources.crm).toMatchObject({
      pageSize: 500,
      retry: { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 8000 },
    });
  });

  it('bounds the dates silver parses from text: 1900 to a year after the run date unless set', () => {
    expect(parseConfig(minimal, 'minimal.yaml').transform.plausibleDates).toEqual({
      earliest: '1900-01-01',
      daysAhead: 366,
    });
    const set = parseConfig(
      `${minimal}transform: { plausibleDates: { daysAhead: 30 } }\n`,
      'set.yaml',
    );
    expect(set.transform).toEqual({
      concurrency: 4,
      plausibleDates: { earliest: '1900-01-01', daysAhead: 30 },
    });
  });

  it('gives the alarms default thresholds, and refuses a share above 1 naming its key', () => {
    expect(parseConfig(minimal, 'minimal.yaml').monitoring).toEqual({
      qualityScoreMin: 95,
      quarantineRateMax: 0.05,
      rowsInBandWidth: 2,
      durationShareOfTimeout: 0.8,
      athenaBytesPerDayMax: 100 * 1024 ** 3,
      defaultFreshnessHours: 26,
      freshnessProbeMinutes: 15,
      memoryNearLimit: 0.9,
    });
    const error = errorOf(`${minimal}monitoring: { quarantineRateMax: 1.5 }\n`);
    expect(error.problems).toContainEqual(
      expect.objectContaining({ path: 'monitoring.quarantineRateMax', found: 'number 1.5' }),
    );
    const memory = errorOf(`${minimal}monitoring: { memoryNearLimit: 1.2 }\n`);
    expect(memory.problems).toContainEqual(
      expect.objectContaining({ path: 'monitoring.memoryNearLimit', found: 'number 1.2' }),
    );
  });

  it('names the file, the key path, what was expected and what was found', () => {
    const error = errorOf(minimal.replace('kind: rest', 'kind: rest\n    pageSize: -5'));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('config/broken.yaml');
    expect(error.problems).toContainEqual(
      expect.objectContaining({ path: 'sources.crm.pageSize', found: 'number -5' }),
    );
    expect(error.message).toMatch(/sources\.crm\.pageSize: expected .*>0.*, found number -5/);
  });

  it('rejects unknown keys, so a typo never passes silently', () => {
    const error = errorOf(minimal.replace('env: test', 'env: test\nsampel: { scale: 5 }'));
    expect(error.problems).toEqual([
      { path: '', expected: 'only known keys', found: "unknown key(s) 'sampel'" },
    ]);
  });

  it('reports a missing key as missing', () => {
    const error = errorOf(minimal.replace('env: test\n', ''));
    expect(error.problems).toContainEqual({
      path: 'env',
      expected: 'string',
      found: 'nothing (the key is missing)',
    });
  });

  it('reports an unknown source kind with the kinds it accepts', () => {
    const error = errorOf(minimal.replace('kind: rest', 'kind: soap'));
    expect(error.problems[0]).toMatchObject({ path: 'sources.crm.kind', found: 'string "soap"' });
    expect(error.problems[0]!.expected).toContain('"rest"');
  });

  it('reports broken YAML with its line', () => {
    const error = errorOf('env: test\nsources: [unclosed\n');
    expect(error.problems[0]).toMatchObject({ expected: 'valid YAML' });
    expect(error.problems[0]!.path).toMatch(/^line \d+, column \d+$/);
  });

  describe('storage lifecycle never works under a live table', () => {
    const lifecycle = (rules: string) =>
      errorOf(`${minimal}storage:\n  lifecycle:\n${rules}`).problems;

    it('refuses S3 expiry on a bucket holding tables, naming the key and the way that works', () => {
      expect(lifecycle('    quarantine: { expirationDays: 90 }\n')).toEqual([
        {
          path: 'storage.lifecycle.quarantine.expirationDays',
          expected: expect.stringMatching(
            /^no S3 expiry over live tables \(quarantine holds tables under the bucket root\): table rows age out through retention \(a contract's slaProperties or maintenance\.retention/,
          ),
          found: 'number 90',
        },
      ]);
      expect(lifecycle('    bronze: { expirationDays: 3650 }\n')[0]!.path).toBe(
        'storage.lifecycle.bronze.expirationDays',
      );
    });

    it('refuses expiry of the whole results bucket or a prefix over its scratch tables', () => {
      expect(lifecycle('    athenaResults: { expirationDays: 7 }\n')[0]!.expected).toContain(
        'athenaResults holds tables under scratch/',
      );
      expect(
        lifecycle(
          '    athenaResults: { expirationDays: 7, expirationPrefixes: [scratch/old/] }\n',
        )[0],
      ).toMatchObject({
        path: 'storage.lifecycle.athenaResults.expirationPrefixes',
        found: 'a list (["scratch/old/"])',
      });
    });

    it('refuses tiering into classes Athena skips wherever queries or replays read', () => {
      expect(
        lifecycle(
          '    bronze: { transitions: [{ storageClass: GLACIER_IR, days: 90 }, { storageClass: DEEP_ARCHIVE, days: 365 }] }\n',
        ),
      ).toEqual([
        {
          path: 'storage.lifecycle.bronze.transitions.1.storageClass',
          expected:
            'a class Athena reads (STANDARD_IA, INTELLIGENT_TIERING or GLACIER_IR): Athena silently skips DEEP_ARCHIVE objects, and bronze is read by queries or replays',
          found: 'string "DEEP_ARCHIVE"',
        },
      ]);
    });

    it('keeps what is safe: expiry where no table lives, deep archive where nothing queries', () => {
      const config = parseConfig(
        `${minimal}storage:\n  lifecycle:\n    landing: { expirationDays: 10 }\n    reports: { transitions: [{ storageClass: DEEP_ARCHIVE, days: 365 }] }\n    audit: { expirationDays: 400, expirationPrefixes: [exports/] }\n`,
        'x.yaml',
      );
      expect(config.storage.lifecycle.athenaResults).toMatchObject({
        expirationDays: 7,
        expirationPrefixes: ['engineering/', 'auditors/'],
      });
      expect(config.storage.lifecycle.quarantine.expirationDays).toBeUndefined();
      expect(config.maintenance.retention).toEqual({ quarantine: { days: 90 } });
    });
  });
});

describe('config/delivery.yaml', () => {
  const parse = (text: string) => parseYamlWith(deliverySchema, text, 'config/delivery.yaml');
  const minimalDelivery = `
aws: { account: '333333333333', region: eu-west-1 }
connectionArn: arn:aws:codeconnections:eu-west-1:333333333333:connection/0f5a7c2e-0000-4000-8000-000000000000
repository: acme/medallion-platform
stages:
  - env: dev
    smoke: { source: fx, dataset: rates, file: fixtures/smoke/fx-rates.csv }
  - env: prod
    approval: true
`;

  it('is valid, and fills in the branch, the approvals and the smoke defaults', () => {
    expect(parse(readFileSync('config/delivery.yaml', 'utf8')).stages.map((s) => s.env)).toEqual([
      'dev',
      'prod',
    ]);
    const delivery = parse(minimalDelivery);
    expect(delivery).toMatchObject({ project: 'medallion', branch: 'main' });
    expect(delivery.stages).toEqual([
      {
        env: 'dev',
        approval: false,
        smoke: {
          source: 'fx',
          dataset: 'rates',
          file: 'fixtures/smoke/fx-rates.csv',
          pipeline: 'daily',
          timeoutMinutes: 90,
        },
      },
      { env: 'prod', approval: true },
    ]);
  });

  it.each([
    [
      'an environment deployed twice',
      minimalDelivery.replace('env: prod', 'env: dev'),
      'stages.1.env',
    ],
    [
      'a connection ARN of another service',
      minimalDelivery.replace('codeconnections', 'codecommit'),
      'connectionArn',
    ],
    ['a repository without its owner', minimalDelivery.replace('acme/', ''), 'repository'],
    [
      'a smoke file of another format',
      minimalDelivery.replace('fx-rates.csv', 'fx-rates.xlsx'),
      'stages.0.smoke.file',
    ],
    ['no stage', minimalDelivery.replace(/stages:[\s\S]*/, 'stages: []'), 'stages'],
  ])('refuses %s', (_, text, key) => {
    expect(() => parse(text)).toThrow(key);
  });
});
