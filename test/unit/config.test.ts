import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
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
});
