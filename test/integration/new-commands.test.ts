import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ajv2019 } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { DuckDbLakehouse } from '../../lambdas/adapters/duckdb/engine';
import { kafkaBronzeColumns } from '../../lambdas/core/ingest/kafka';
import { parseContract } from '../../lambdas/core/contracts/contract';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { loadConfig } from '../../lambdas/definitions/source-files';
import { stateMachineDefinitions } from '../../lambdas/definitions/state-machine-files';
import { newCommand } from '../../lambdas/runtime/cli/new-commands';
import { validateProject } from '../../lambdas/runtime/validate';
import { copyDefinitions } from '../helpers/user-project';

const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));
const scratch = (prefix: string) => {
  const folder = mkdtempSync(path.join(os.tmpdir(), prefix));
  folders.push(folder);
  return folder;
};

/** A copy of the project's definitions (state machine templates too: validate builds them). */
function projectCopy(): string {
  const root = scratch('medallion-new-');
  copyDefinitions(root);
  return root;
}

/** `medallion new ...` over `root`, with what it printed. */
async function medallionNew(
  root: string,
  ...args: string[]
): Promise<{ stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err.push(String(chunk));
    return true;
  });
  try {
    await newCommand(root).exitOverride().parseAsync(args, { from: 'user' });
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return { stdout: out.join(''), stderr: err.join('') };
}

const returnsCsv = [
  'return_id,customer_email,amount,returned_at,reason,updated_at',
  '1,alice@example.com,12.50,2026-01-01T10:00:00Z,damaged,2026-01-01T10:00:00Z',
  '2,bob@example.org,3.99,2026-01-02T11:00:00Z,late,2026-01-02T11:00:00Z',
  '3,carol@example.net,7.00,2026-01-03T12:00:00Z,damaged,2026-01-03T12:00:00Z',
  '4,dan@example.com,1.25,2026-01-04T09:30:00Z,late,2026-01-04T09:30:00Z',
].join('\n');

describe('medallion new', () => {
  let root: string;
  let sample: string;
  beforeAll(() => {
    root = projectCopy();
    sample = path.join(scratch('medallion-sample-'), 'returns.csv');
    writeFileSync(sample, `${returnsCsv}\n`);
  });
  const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
  /** Files under `folder` of the copy (recursively) whose names end in `suffix`. */
  const files = (folder: string, suffix: string) =>
    readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith(suffix),
    ).length;

  it('contract: columns and types from a CSV, the e-mail column pii by its values, the key, rules from its profile', async () => {
    const { stderr } = await medallionNew(
      root,
      'contract',
      'uploads.returns',
      '--from-file',
      sample,
      '--key',
      'return_id',
      '--owner',
      'returns-team',
    );
    expect(stderr).toContain('Wrote config/contracts/uploads.returns.yaml');
    const contract = parseContract(read('config/contracts/uploads.returns.yaml'), 'x.yaml');
    expect(contract.relation).toBe('bronze.uploads_returns');
    expect(contract.owner).toBe('returns-team');
    expect(contract.columns).toEqual([
      { name: 'return_id', type: 'BIGINT' },
      { name: 'customer_email', type: 'VARCHAR' },
      { name: 'amount', type: 'DOUBLE' },
      { name: 'returned_at', type: 'TIMESTAMP' },
      { name: 'reason', type: 'VARCHAR' },
      { name: 'updated_at', type: 'TIMESTAMP' },
    ]);
    expect(contract.column('customer_email')?.classification).toBe('pii');
    expect(contract.column('reason')?.classification).toBe('internal');
    expect(contract.column('return_id')).toMatchObject({ primaryKey: true, required: true });
    expect(contract.column('reason')?.quality).toMatchObject([
      { metric: 'invalidValues', arguments: { validValues: ['damaged', 'late'] } },
    ]);
    expect(contract.column('amount')?.logicalTypeOptions).toMatchObject({ minimum: 0 });
  });

  it('refuses to overwrite a file without --force, and writes nothing with --dry-run', async () => {
    const file = 'config/contracts/uploads.returns.yaml';
    const before = read(file);
    await expect(
      medallionNew(root, 'contract', 'uploads.returns', '--from-file', sample),
    ).rejects.toThrow(`${file} exists already: nothing was written (--force overwrites)`);
    const { stdout } = await medallionNew(
      root,
      'contract',
      'uploads.returns',
      '--from-file',
      sample,
      '--force',
      '--dry-run',
    );
    expect(stdout).toContain(`# ${file}\n# Data contract for bronze.uploads_returns`);
    expect(read(file)).toBe(before);
    await medallionNew(root, 'contract', 'uploads.returns', '--from-file', sample, '--force');
    expect(read(file)).not.toBe(before);
  });

  it('model: a skeleton over an existing silver model, its contract from the skeleton’s output, pii kept', async () => {
    await medallionNew(
      root,
      'model',
      'gold.customer_orders',
      '--from',
      'silver.orders',
      'silver.customers',
      '--key',
      'customer_id',
    );
    expect(read('models/gold/customer_orders.sql')).toContain(
      "from {{ ref('silver.orders') }} i1\nleft join {{ ref('silver.customers') }} i2 using (customer_id)",
    );
    const contract = parseContract(read('config/contracts/gold.customer_orders.yaml'), 'x.yaml');
    expect(contract.column('email')?.classification).toBe('pii');
    expect(contract.column('order_id')?.physicalType).toBe('BIGINT');
  });

  it('source and dataset: config entries in every file with sources:, comments kept, and the bronze contract', async () => {
    const configs = ['config/local.yaml', 'config/dev.yaml', 'config/prod.yaml'];
    const before = Object.fromEntries(configs.map((f) => [f, read(f)]));
    const { stderr } = await medallionNew(root, 'source', 'shop', '--kind', 'rest');
    expect(stderr).toContain('npx medallion run --job shop_to_bronze');
    await medallionNew(
      root,
      'dataset',
      'shop.returns',
      '--from-file',
      sample,
      '--location',
      '/shop/v1/returns',
      '--key',
      'return_id',
    );
    for (const file of configs) {
      const after = read(file);
      const removed = before[file]!.split('\n').filter((line) => !after.includes(line));
      expect(removed, file).toEqual([]);
      expect(after, file).toContain(
        '  shop:\n    kind: rest\n    description: shop (rest).\n    datasets:\n      returns: { path: /shop/v1/returns, watermark: updated_at }\n',
      );
    }
    // No state machine to write: the new source's job and its daily branch come from the config.
    for (const env of ['local', 'dev', 'prod']) {
      const { config } = await loadConfig({ root, env });
      const definitions = stateMachineDefinitions(root, config);
      const daily = JSON.parse(definitions.get('daily')!) as {
        States: { IngestSources: { Branches: { StartAt: string }[] } };
      };
      expect(definitions.has('shop_to_bronze'), env).toBe(true);
      expect(
        daily.States.IngestSources.Branches.map((b) => b.StartAt),
        env,
      ).toContain('ShopToBronze');
    }
    const contract = parseContract(read('config/contracts/shop.returns.yaml'), 'x.yaml');
    // A rest source keeps JSON values as text in bronze; the scan still finds the e-mails.
    expect(new Set(contract.columns.map((c) => c.type))).toEqual(new Set(['VARCHAR']));
    expect(contract.column('customer_email')?.classification).toBe('pii');
  });

  it('a model over the new source, incremental with _ingested_at; then the whole project validates', async () => {
    await medallionNew(
      root,
      'model',
      'silver.returns',
      '--from',
      'shop.returns',
      '--materialization',
      'incremental',
      '--key',
      'return_id',
    );
    expect(read('models/silver/returns.sql')).toContain(
      "  i1._ingested_at\nfrom {{ source('shop', 'returns') }} i1",
    );
    const validation = await validateProject({ root });
    expect(validation.problems).toEqual([]);
    // Every model and contract of the copy, the scaffolded ones included.
    expect(validation.models).toBe(files('models', '.sql'));
    expect(validation.contracts).toBe(files('config/contracts', '.yaml'));
  });

  it('bronze contracts fit their source’s connector: a rest source’s as text, a kafka drain’s fixed columns', async () => {
    const { stdout } = await medallionNew(
      root,
      'contract',
      'crm.leads',
      '--from-file',
      sample,
      '--dry-run',
    );
    const text = stdout.slice(stdout.indexOf('\n') + 1);
    expect(new Set(parseContract(text, 'x.yaml').columns.map((c) => c.type))).toEqual(
      new Set(['VARCHAR']),
    );
    await medallionNew(root, 'dataset', 'kafka.returns', '--in', 'local');
    expect(read('config/local.yaml')).toContain('      returns: { topic: returns }\n');
    expect(parseContract(read('config/contracts/kafka.returns.yaml'), 'x.yaml').columns).toEqual(
      kafkaBronzeColumns,
    );
  });

  it('contract --from-query: columns of a query over the lake', async () => {
    const lakeRoot = scratch('medallion-new-lake-');
    const lake = await DuckDbLakehouse.open({
      lakeRoot,
      threads: 1,
      memoryLimit: '256MB',
      bronze: [],
    });
    await lake.execute(
      "create table silver.people as select * from (values (1, 'ann@example.com', date '2026-01-01'), (2, 'bo@example.com', date '2026-01-02')) t(person_id, mail, since)",
    );
    lake.close();
    const program = new Command('medallion')
      .option('--env <name>', 'env', 'local')
      .option('--lake <dir>', 'lake')
      .exitOverride()
      .addCommand(newCommand(root).exitOverride());
    const spy = vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    try {
      await program.parseAsync(
        [
          '--lake',
          lakeRoot,
          'new',
          'contract',
          'gold.people',
          '--from-query',
          'select person_id, mail, since from silver.people',
          '--key',
          'person_id',
        ],
        { from: 'user' },
      );
    } finally {
      spy.mockRestore();
    }
    const contract = parseContract(read('config/contracts/gold.people.yaml'), 'x.yaml');
    expect(contract.columns).toEqual([
      { name: 'person_id', type: 'INTEGER' },
      { name: 'mail', type: 'VARCHAR' },
      { name: 'since', type: 'DATE' },
    ]);
    expect(contract.column('mail')?.classification).toBe('pii');
    rmSync(path.join(root, 'config/contracts/gold.people.yaml'));
  });

  const odcsSchema = path.resolve(
    projectRoot,
    '../shared/schemas/odcs/odcs-json-schema-v3.1.0.json',
  );
  it.runIf(existsSync(odcsSchema))(
    'every contract written is a valid ODCS v3.1 document (the official JSON Schema)',
    () => {
      const ajv = new Ajv2019({ allErrors: true, strict: false });
      addFormats(ajv);
      const validate = ajv.compile(JSON.parse(readFileSync(odcsSchema, 'utf8')) as object);
      for (const id of [
        'uploads.returns',
        'gold.customer_orders',
        'shop.returns',
        'silver.returns',
      ]) {
        const file = `config/contracts/${id}.yaml`;
        const valid = validate(parseYaml(read(file)));
        expect(valid ? [] : validate.errors, file).toEqual([]);
      }
    },
  );

  it('errors name the file or the field', async () => {
    await expect(medallionNew(root, 'source', 'shop', '--kind', 'rest')).rejects.toThrow(
      'config/dev.yaml: sources.shop exists already',
    );
    await expect(
      medallionNew(
        root,
        'dataset',
        'crm.leads',
        '--from-file',
        sample,
        '--watermark',
        'modified_at',
      ),
    ).rejects.toThrow('crm.leads: the watermark modified_at is not a column of the sample');
    expect(existsSync(path.join(root, 'config/contracts/crm.leads.yaml'))).toBe(false);
    await expect(medallionNew(root, 'model', 'silver.x', '--from', 'silver.nope')).rejects.toThrow(
      '--from silver.nope: no contract names it',
    );
  });
});
