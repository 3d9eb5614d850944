import { cpSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../lambdas/definitions/project-root';

/**
 * What a user adds when porting a small project: a landing-only source (`shop`, files dropped in
 * `landing/shop/returns/`, so no `sources:` entry and no kind), its bronze contract, an
 * incremental silver model with its contract and a gold table with its contract. Tests that hold
 * for any project must hold on the repository plus these.
 */
export const userFiles: Record<string, string> = {
  'config/contracts/shop.returns.yaml': contract({
    id: 'shop.returns',
    physicalName: 'bronze.shop_returns',
    layer: 'bronze',
    purpose: 'Product returns, dropped as files in the landing zone.',
    columns: `
      - { name: return_id, logicalType: integer, physicalType: BIGINT, description: Return identifier., primaryKey: true, primaryKeyPosition: 1, required: true, classification: internal }
      - { name: order_id, logicalType: integer, physicalType: BIGINT, description: The returned order., classification: internal }
      - { name: amount, logicalType: number, physicalType: 'DECIMAL(12,2)', description: Refunded amount., classification: internal }
      - { name: returned_at, logicalType: timestamp, physicalType: TIMESTAMP, description: When the return was made., classification: internal }`,
  }),
  'config/contracts/silver.returns.yaml': contract({
    id: 'silver.returns',
    physicalName: 'silver.returns',
    layer: 'silver',
    purpose: 'Product returns, one row per return.',
    columns: `
      - { name: return_id, logicalType: integer, physicalType: BIGINT, description: Return identifier., primaryKey: true, primaryKeyPosition: 1, required: true, classification: internal }
      - { name: order_id, logicalType: integer, physicalType: BIGINT, description: The returned order., required: true, classification: internal }
      - { name: amount, logicalType: number, physicalType: 'DECIMAL(12,2)', description: Refunded amount., required: true, classification: internal, logicalTypeOptions: { minimum: 0 } }
      - { name: returned_at, logicalType: timestamp, physicalType: TIMESTAMP, description: When the return was made., required: true, classification: internal }`,
  }),
  'config/contracts/gold.returns_daily.yaml': contract({
    id: 'gold.returns_daily',
    physicalName: 'gold.returns_daily',
    layer: 'gold',
    purpose: 'Returns and refunded amount per day.',
    columns: `
      - { name: return_date, logicalType: date, physicalType: DATE, description: Day of the returns., primaryKey: true, primaryKeyPosition: 1, required: true, classification: internal }
      - { name: returns, logicalType: integer, physicalType: BIGINT, description: Returns that day., required: true, classification: internal }
      - { name: refunded, logicalType: number, physicalType: 'DECIMAL(18,2)', description: Refunded that day., required: true, classification: internal }`,
  }),
  'models/silver/returns.sql': `-- Returns from the landing zone, typed as the contract says.
select
  return_id,
  order_id,
  amount,
  returned_at,
  _ingested_at,
  _source_ref,
  _source_row
from {{ source('shop', 'returns') }}
`,
  'models/silver/returns.yml': `description: Product returns, merged by return_id.
materialization: incremental
unique_key: [return_id]
latest_by: [_ingested_at, _source_row]
quarantine: true
`,
  'models/gold/returns_daily.sql': `-- Returns per day.
select
  cast(returned_at as date) as return_date,
  count(*) as returns,
  cast(sum(amount) as decimal(18, 2)) as refunded
from {{ ref('silver.returns') }}
group by 1
`,
  'models/gold/returns_daily.yml': `description: Returns and refunded amount per day.
materialization: table
`,
};

function contract(c: {
  id: string;
  physicalName: string;
  layer: string;
  purpose: string;
  columns: string;
}): string {
  const name = c.physicalName.split('.')[1]!;
  return `apiVersion: v3.1.0
kind: DataContract
id: ${c.id}
name: ${name}
version: 1.0.0
status: active
domain: sales
dataProduct: ${c.layer}
team:
  name: sales-data
description:
  purpose: ${c.purpose}
schema:
  - name: ${name}
    physicalName: ${c.physicalName}
    physicalType: table
    logicalType: object
    description: ${c.purpose}
    properties:${c.columns}
`;
}

/** Everything a test run needs, so `projectRoot` (derived from the code's own path) is the copy. */
const copied = [
  'bin',
  'config',
  'lambdas',
  'lib',
  'models',
  'stepfunctions',
  'test',
  'fixtures',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'vitest.config.ts',
  'cdk.json',
];

/**
 * A copy of the repository in a temporary folder with {@link userFiles} added; its code, CLI and
 * tests resolve the project root to the copy. The caller removes the folder.
 */
export function userProject(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'medallion-user-project-'));
  for (const entry of copied)
    cpSync(path.join(projectRoot, entry), path.join(root, entry), { recursive: true });
  symlinkSync(
    realpathSync(path.join(projectRoot, 'node_modules')),
    path.join(root, 'node_modules'),
  );
  for (const [file, text] of Object.entries(userFiles)) writeFileSync(path.join(root, file), text);
  return root;
}

/**
 * The project's definitions (config, contracts, models and the state machine templates, which
 * `validate` builds) copied into `root`: what commands that take a project root read.
 */
export function copyDefinitions(root: string): void {
  for (const folder of ['config', 'models', 'stepfunctions'])
    cpSync(path.join(projectRoot, folder), path.join(root, folder), { recursive: true });
}
