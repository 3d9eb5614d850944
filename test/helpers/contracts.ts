import { parseContract, type Contract } from '../../lambdas/core/contracts/contract';

/**
 * A contract for a test's own small domain: `properties` is the YAML list of its columns, indented
 * under `properties:` (six spaces), e.g. `      - { name: id, logicalType: integer, physicalType: BIGINT }`.
 */
export function testContract(id: string, relation: string, properties: string): Contract {
  return parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: ${id}
name: ${id.split('.')[1]}
version: 1.0.0
status: active
team: { name: test }
description: { purpose: test }
schema:
  - name: t
    physicalName: ${relation}
    properties:
${properties}`,
    `${id}.yaml`,
  );
}

/**
 * A contract of one key column (`id`) for `relation`, with the id the project gives it: a bronze
 * relation `bronze.shop_orders` is the dataset `shop.orders`. For tests of the model graph, where
 * only names and keys matter.
 */
export function keyOnlyContract(relation: string): Contract {
  const id = relation.startsWith('bronze.') ? relation.slice(7).replace('_', '.') : relation;
  return testContract(
    id,
    relation,
    '      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }',
  );
}
