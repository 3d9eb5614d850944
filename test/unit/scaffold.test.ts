import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseContract } from '../../lambdas/core/contracts/contract';
import {
  portableType,
  renderContract,
  renderModel,
  withDataset,
  withSource,
} from '../../lambdas/core/scaffold';

describe('types inferred by DuckDB, as contracts declare them', () => {
  it.each([
    ['BIGINT', 'BIGINT'],
    ['SMALLINT', 'INTEGER'],
    ['UBIGINT', 'DECIMAL(20,0)'],
    ['HUGEINT', 'DECIMAL(38,0)'],
    ['DECIMAL(18, 3)', 'DECIMAL(18,3)'],
    ['FLOAT', 'DOUBLE'],
    ['TIMESTAMP WITH TIME ZONE', 'TIMESTAMP'],
    ['TIMESTAMP_NS', 'TIMESTAMP'],
    ['DATE', 'DATE'],
    ['BOOLEAN', 'BOOLEAN'],
    ['STRUCT(a INTEGER)', 'VARCHAR'],
    ['VARCHAR[]', 'VARCHAR'],
    ['UUID', 'VARCHAR'],
  ])('%s is stored as %s', (engine, portable) => {
    expect(portableType(engine)).toBe(portable);
  });
});

describe('a contract from inferred columns', () => {
  const draft = {
    id: 'shop.returns',
    layer: 'bronze' as const,
    relation: 'bronze.shop_returns',
    purpose: 'Returns as the shop exports them.',
    owner: 'shop-team',
    columns: [
      { name: 'return_id', type: 'BIGINT' },
      { name: 'email', type: 'VARCHAR' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: '_ingested_at', type: 'TIMESTAMP WITH TIME ZONE' },
    ],
    key: ['return_id'],
    pii: new Set(['email']),
    inferredFrom: 'returns.csv',
  };

  it('is a valid contract: key required and positioned, pii where found, metadata columns left out', () => {
    const contract = parseContract(renderContract(draft), 'shop.returns.yaml');
    expect(contract.relation).toBe('bronze.shop_returns');
    expect(contract.owner).toBe('shop-team');
    expect(contract.properties.map((p) => [p.name, p.physicalType, p.classification])).toEqual([
      ['return_id', 'BIGINT', 'internal'],
      ['email', 'VARCHAR', 'pii'],
      ['amount', 'DECIMAL(10,2)', 'internal'],
    ]);
    expect(contract.properties[0]).toMatchObject({
      primaryKey: true,
      primaryKeyPosition: 1,
      required: true,
      logicalType: 'integer',
    });
  });

  it('takes suggested rules, but no text rule on a column that is not text', () => {
    const text = renderContract({
      ...draft,
      suggestions: [
        { column: 'email', because: 'no NULL', add: { required: true } },
        {
          column: 'amount',
          because: 'one length',
          add: { logicalTypeOptions: { minLength: 4, maxLength: 4, minimum: 0 } },
        },
        {
          because: 'volume',
          add: { quality: [{ name: 'volume', metric: 'rowCount', mustBeGreaterThan: 0 }] },
        },
      ],
    });
    const contract = parseContract(text, 'shop.returns.yaml');
    expect(contract.column('email')?.required).toBe(true);
    expect(contract.column('amount')?.logicalTypeOptions).toEqual({ minimum: 0 });
    expect(contract.document.schema[0]!.quality).toMatchObject([{ metric: 'rowCount' }]);
  });

  it('keeps what an input contract says of a column the model passes on', () => {
    const contract = parseContract(
      renderContract({
        ...draft,
        pii: new Set(),
        inherited: new Map([['email', { classification: 'pii', description: 'E-mail.' }]]),
      }),
      'x.yaml',
    );
    expect(contract.column('email')).toMatchObject({
      classification: 'pii',
      description: 'E-mail.',
    });
  });

  it('names the key column that is not among the columns', () => {
    expect(() => renderContract({ ...draft, key: ['id'] })).toThrow(
      'shop.returns: key column(s) id not among the columns (return_id, email, amount)',
    );
  });
});

describe('a model skeleton', () => {
  const accounts = {
    kind: 'source' as const,
    source: 'crm',
    dataset: 'accounts',
    columns: [
      { name: 'account_id', type: 'VARCHAR' },
      { name: 'updated_at', type: 'VARCHAR' },
    ],
  };

  it('lists its input’s columns and keeps _ingested_at, saying why, when incremental over a source', () => {
    const files = renderModel({
      name: 'silver.accounts',
      description: 'Accounts.',
      materialization: 'incremental',
      inputs: [accounts],
      key: ['account_id'],
    });
    expect(files.sql).toBe(
      [
        '-- Accounts.',
        'select',
        '  i1.account_id,',
        '  i1.updated_at,',
        '  -- Kept so the merge picks the latest row of a key, and a run reads only new bronze rows.',
        '  i1._ingested_at',
        "from {{ source('crm', 'accounts') }} i1",
        '',
      ].join('\n'),
    );
    expect(files.plainSql).toContain('from bronze.crm_accounts i1');
    expect(parse(files.yml)).toEqual({
      description: 'Accounts.',
      materialization: 'incremental',
      unique_key: ['account_id'],
      latest_by: ['_ingested_at'],
    });
  });

  it('joins later inputs by the key, and refuses one without it', () => {
    const owners = {
      kind: 'ref' as const,
      name: 'silver.owners',
      columns: [
        { name: 'account_id', type: 'VARCHAR' },
        { name: 'owner', type: 'VARCHAR' },
      ],
    };
    const files = renderModel({
      name: 'gold.accounts',
      description: 'Accounts with owners.',
      materialization: 'table',
      inputs: [accounts, owners],
      key: ['account_id'],
    });
    expect(files.sql).toContain("left join {{ ref('silver.owners') }} i2 using (account_id)");
    expect(files.sql).toContain('  i2.owner\n');
    expect(files.sql).not.toContain('_ingested_at');
    expect(() =>
      renderModel({
        name: 'gold.accounts',
        description: 'x',
        materialization: 'table',
        inputs: [accounts, { ...owners, columns: [{ name: 'owner', type: 'VARCHAR' }] }],
        key: ['account_id'],
      }),
    ).toThrow(
      'silver.owners is joined to bronze.crm_accounts by --key, which it lacks (account_id)',
    );
  });

  it('needs a key to be incremental, and a timestamp to be scd2', () => {
    const draft = { name: 'silver.a', description: 'x', inputs: [accounts] };
    expect(() => renderModel({ ...draft, materialization: 'incremental' })).toThrow(
      'needs its unique key',
    );
    expect(() => renderModel({ ...draft, materialization: 'scd2', key: ['account_id'] })).toThrow(
      'its inputs have none',
    );
  });
});

describe('config entries', () => {
  const config = `# Local environment.
env: local
sources:
  # The CRM.
  crm:
    kind: rest
    pageSize: 500
    datasets:
      accounts: { path: /crm/v1/accounts, watermark: updated_at } # the first
  kafka: { kind: kafka, datasets: { e: { topic: e } } }

# Jobs.
pipelines:
  daily: { schedule: 'cron(0 2 * * ? *)' }
`;

  it('a source and its datasets are added, the rest of the file left byte for byte', () => {
    const withShop = withSource(config, 'local.yaml', {
      name: 'shop',
      kind: 'warehouse',
      engine: 'redshift',
      description: 'Shop: orders',
    });
    const withReturns = withDataset(withShop, 'local.yaml', 'shop', {
      name: 'returns',
      location: 'public.returns',
    });
    const withContacts = withDataset(withReturns, 'local.yaml', 'crm', {
      name: 'contacts',
      location: '/crm/v1/contacts',
    });
    expect(withContacts).toBe(
      config
        .replace(
          '# the first\n',
          '# the first\n      contacts: { path: /crm/v1/contacts, watermark: updated_at }\n',
        )
        .replace(
          'datasets: { e: { topic: e } } }\n',
          "datasets: { e: { topic: e } } }\n  shop:\n    kind: warehouse\n    engine: redshift\n    description: 'Shop: orders'\n    datasets:\n      returns: { table: public.returns, watermark: updated_at }\n",
        ),
    );
  });

  it('names the file and key of what cannot be added', () => {
    expect(() =>
      withSource(config, 'local.yaml', { name: 'crm', kind: 'rest', description: '' }),
    ).toThrow('local.yaml: sources.crm exists already');
    expect(() => withDataset(config, 'local.yaml', 'crm', { name: 'accounts' })).toThrow(
      'local.yaml: sources.crm.datasets.accounts exists already',
    );
    expect(() => withDataset(config, 'local.yaml', 'kafka', { name: 'f' })).toThrow(
      'local.yaml: sources.kafka.datasets is not a block map',
    );
    expect(() => withDataset(config, 'local.yaml', 'erp', { name: 'f' })).toThrow(
      'local.yaml: no source sources.erp',
    );
  });
});
