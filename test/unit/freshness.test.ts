/**
 * A gold table's freshness SLO, declared the ODCS way (`slaProperties` freshness): the minutes its
 * freshness alarm allows between publishes; and the freshness probe's minutes since each gold
 * table's last publish.
 */
import { describe, expect, it } from 'vitest';
import { parseContract, type Contract } from '../../lambdas/core/contracts/contract';
import { freshnessMinutes, freshnessSloMinutes } from '../../lambdas/core/contracts/freshness';
import { measureFreshness } from '../../lambdas/core/freshness-probe';

/** A gold contract with the given `slaProperties` entries (YAML flow mappings). */
function contract(...slas: string[]): Contract {
  return named('t', ...slas);
}

/** The gold contract `gold.<name>` with the given `slaProperties` entries. */
function named(name: string, ...slas: string[]): Contract {
  return parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: gold.${name}
name: ${name}
version: 1.0.0
status: active
team: { name: test }
description: { purpose: test }
${slas.length > 0 ? `slaProperties:\n${slas.map((s) => `  - ${s}\n`).join('')}` : ''}schema:
  - name: ${name}
    physicalName: gold.${name}
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT }
`,
    `config/contracts/gold.${name}.yaml`,
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

describe('freshnessSloMinutes', () => {
  it("is the contract's freshness, or the environment's default hours when it declares none", () => {
    expect(freshnessSloMinutes(contract('{ property: freshness, value: 6, unit: h }'), 26)).toBe(
      360,
    );
    expect(freshnessSloMinutes(contract(), 26)).toBe(1560);
  });
});

describe('measureFreshness', () => {
  const now = new Date('2026-12-06T12:00:00.000Z');
  const daily = named('daily', '{ property: freshness, value: 1, unit: d }');
  const hourly = named('hourly', '{ property: freshness, value: 90, unit: m }');
  const plain = named('plain');

  it('gives each published table its whole minutes since the publish, with its SLO', () => {
    const published = new Map([
      ['gold.daily', '2026-12-05T02:00:30.000Z'],
      ['gold.hourly', '2026-12-06T11:15:59.999Z'],
      ['gold.plain', '2026-12-06T12:00:00.000Z'],
    ]);
    expect(measureFreshness([daily, hourly, plain], published, now, 26)).toEqual({
      measured: [
        { dataset: 'gold.daily', minutesSincePublish: 33 * 60 + 59, sloMinutes: 1440 },
        { dataset: 'gold.hourly', minutesSincePublish: 44, sloMinutes: 90 },
        { dataset: 'gold.plain', minutesSincePublish: 0, sloMinutes: 26 * 60 },
      ],
      unpublished: [],
    });
  });

  it('leaves out, as unpublished, a table with no publish time or one that is not a time', () => {
    const published = new Map([['gold.hourly', 'yesterday-ish']]);
    expect(measureFreshness([daily, hourly], published, now, 26)).toEqual({
      measured: [],
      unpublished: ['gold.daily', 'gold.hourly'],
    });
  });

  it('counts a publish stamped after now (clock skew) as zero minutes', () => {
    const published = new Map([['gold.daily', '2026-12-06T12:05:00.000Z']]);
    expect(measureFreshness([daily], published, now, 26).measured[0]!.minutesSincePublish).toBe(0);
  });
});
