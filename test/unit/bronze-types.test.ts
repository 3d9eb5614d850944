import { describe, expect, it } from 'vitest';
import type { PlatformConfig } from '../../config/schema';
import { ContractRegistry, parseContract } from '../../lambdas/core/contracts/contract';
import type { ConfigError } from '../../lambdas/core/errors';
import { assertBronzeContractsFitSources } from '../../lambdas/core/ingest/bronze-types';
import { loadSources } from '../../lambdas/definitions/source-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

const bronze = (id: string, properties: [string, string][]) =>
  parseContract(
    `
apiVersion: v3.1.0
kind: DataContract
id: ${id}
name: ${id.split('.')[1]}
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: Things. }
schema:
  - name: ${id.split('.')[1]}
    physicalName: bronze.${id.replace('.', '_')}
    properties:
${properties.map(([name, type]) => `      - { name: ${name}, logicalType: string, physicalType: "${type}" }`).join('\n')}
`,
    `config/contracts/${id}.yaml`,
  );

const sources = {
  crm: { kind: 'rest' },
  kafka: { kind: 'kafka' },
  snowflake: { kind: 'warehouse' },
} as unknown as PlatformConfig['sources'];

const problemsOf = (...contracts: ReturnType<typeof bronze>[]) => {
  try {
    assertBronzeContractsFitSources({ sources }, new ContractRegistry(contracts));
  } catch (error) {
    return { file: (error as ConfigError).file, problems: (error as ConfigError).problems };
  }
  throw new Error('expected the contracts to be refused');
};

const kafkaColumns: [string, string][] = [
  ['topic', 'VARCHAR'],
  ['partition', 'INTEGER'],
  ['offset', 'BIGINT'],
  ['timestamp', 'TIMESTAMP'],
  ['key', 'VARCHAR'],
  ['value', 'VARCHAR'],
];

describe('bronze contracts against what their source writes', () => {
  it('refuses a typed column in a rest source’s contract: the connector writes JSON values as text', () => {
    expect(
      problemsOf(
        bronze('crm.accounts', [
          ['account_id', 'VARCHAR'],
          ['annual_revenue', 'DECIMAL(18,2)'],
        ]),
      ),
    ).toEqual({
      file: 'config/contracts/crm.accounts.yaml',
      problems: [
        {
          path: 'schema.0.properties.1.physicalType',
          expected: expect.stringContaining('VARCHAR: a rest source keeps JSON values as text'),
          found: 'DECIMAL(18,2)',
        },
      ],
    });
  });

  it('refuses a kafka contract whose columns or types differ from what the drain writes', () => {
    const retyped = kafkaColumns.map(([name, type]): [string, string] =>
      name === 'offset' ? [name, 'VARCHAR'] : [name, type],
    );
    expect(problemsOf(bronze('kafka.order_events', retyped))).toEqual({
      file: 'config/contracts/kafka.order_events.yaml',
      problems: [
        {
          path: 'schema.0.properties',
          expected:
            'the columns a Kafka drain writes: topic VARCHAR, partition INTEGER, offset BIGINT, timestamp TIMESTAMP, key VARCHAR, value VARCHAR',
          found:
            'topic VARCHAR, partition INTEGER, offset VARCHAR, timestamp TIMESTAMP, key VARCHAR, value VARCHAR',
        },
      ],
    });
  });

  it('accepts any types for a warehouse, the drain’s columns for kafka and text for rest', () => {
    expect(() =>
      assertBronzeContractsFitSources(
        { sources },
        new ContractRegistry([
          bronze('snowflake.orders', [
            ['order_id', 'BIGINT'],
            ['amount', 'DECIMAL(12,2)'],
          ]),
          bronze('kafka.order_events', kafkaColumns),
          bronze('crm.accounts', [['account_id', 'VARCHAR']]),
        ]),
      ),
    ).not.toThrow();
  });

  it('holds for the project’s own config and contracts, which load checked', async () => {
    await expect(loadSources({ root: projectRoot })).resolves.toMatchObject({
      config: expect.anything(),
    });
  });
});
