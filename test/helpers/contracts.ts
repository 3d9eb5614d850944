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
