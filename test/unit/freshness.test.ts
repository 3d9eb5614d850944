/**
 * A gold table's freshness SLO, declared the ODCS way (`slaProperties` freshness): the minutes its
 * freshness alarm allows between publishes.
 */
import { describe, expect, it } from 'vitest';
import { parseContract, type Contract } from '../../lambdas/core/contracts/contract';
import { freshnessMinutes } from '../../lambdas/core/contracts/freshness';

/** A gold contract with the given `slaProperties` entries (YAML flow mappings). */
function contract(...slas: string[]): Contract {
  return parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: gold.t
name: t
version: 1.0.0
status: active
team: { name: test }
description: { purpose: test }
${slas.length > 0 ? `slaProperties:\n${slas.map((s) => `  - ${s}\n`).join('')}` : ''}schema:
  - name: t
    physicalName: gold.t
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT }
`,
    'config/contracts/gold.t.yaml',
  );
}

describe('freshnessMinutes', () => {
  it('reads the freshness entry in days, hours or minutes', () => {
    expect(freshnessMinutes(contract('{ property: freshness, value: 1, unit: d }'))).toBe(1440);
    expect(freshnessMinutes(contract('{ property: freshness, value: 6, unit: h }'))).toBe(360);
    expect(freshnessMinutes(contract('{ property: freshness, value: 90, unit: m }'))).toBe(90);
  });

  it('takes days when the unit is left out, and skips the other SLA entries', () => {
    expect(
      freshnessMinutes(
        contract(
          '{ property: retention, value: 400, unit: d, element: t.id }',
          '{ property: freshness, value: 2 }',
        ),
      ),
    ).toBe(2880);
  });

  it('is undefined for a contract that declares no freshness', () => {
    expect(freshnessMinutes(contract())).toBeUndefined();
  });

  it('refuses an unknown unit or a value that is not positive, naming the file and entry', () => {
    expect(() =>
      freshnessMinutes(contract('{ property: freshness, value: 1, unit: weeks }')),
    ).toThrow(/config\/contracts\/gold\.t\.yaml[\s\S]*slaProperties\.0[\s\S]*unit "weeks"/);
    expect(() => freshnessMinutes(contract('{ property: freshness, value: 0, unit: h }'))).toThrow(
      /slaProperties\.0.*value 0/,
    );
  });
});
