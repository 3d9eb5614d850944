import { describe, expect, it } from 'vitest';
import {
  breaksMode,
  checkEvolution,
  compatibilityModes,
  diffContracts,
  typeFit,
  type ChangeKind,
  type CompatibilityMode,
} from '../../lambdas/core/contracts/compatibility';
import { parseContract } from '../../lambdas/core/contracts/contract';
import type { ContractDocument } from '../../lambdas/core/contracts/schema';
import type { ConfigError } from '../../lambdas/core/errors';

/** silver.things: a key, a required amount with bounds, an optional status with accepted values. */
const base = `
apiVersion: v3.1.0
kind: DataContract
id: silver.things
name: things
version: 1.0.0
status: active
team: { name: data-platform }
description: { purpose: Things. }
schema:
  - name: things
    physicalName: silver.things
    properties:
      - { name: id, logicalType: integer, physicalType: BIGINT, required: true, primaryKey: true }
      - name: amount
        logicalType: number
        physicalType: DECIMAL(12,2)
        required: true
        logicalTypeOptions: { minimum: 0, maximum: 1000 }
      - name: status
        logicalType: string
        physicalType: VARCHAR
        logicalTypeOptions: { pattern: '^[a-z]+$' }
        quality:
          - { name: status_accepted, metric: invalidValues, arguments: { validValues: [new, done] } }
      - { name: note, logicalType: string, physicalType: VARCHAR }
      - { name: qty, logicalType: integer, physicalType: INTEGER }
`;

const parse = (text: string): ContractDocument =>
  parseContract(text, 'config/contracts/silver.things.yaml').document;

/** The base contract with one edit applied to a deep copy. */
function edited(edit: (d: ContractDocument) => void, version = '1.0.0'): ContractDocument {
  const document = structuredClone(parse(base));
  edit(document);
  document.version = version;
  return document;
}
const columns = (d: ContractDocument) => d.schema[0]!.properties;
const column = (d: ContractDocument, name: string) => columns(d).find((p) => p.name === name)!;

/** The compatibility table of the issue: change → [BACKWARD, FORWARD, FULL] allowed. */
const table: [string, ChangeKind, (d: ContractDocument) => void, [boolean, boolean, boolean]][] = [
  [
    'add optional (nullable) column',
    'add-optional-column',
    (d) =>
      columns(d).push({ ...column(d, 'note'), name: 'extra', required: false, description: '' }),
    [true, true, true],
  ],
  [
    'add required column',
    'add-required-column',
    (d) => columns(d).push({ ...column(d, 'note'), name: 'extra', required: true }),
    [false, true, false],
  ],
  [
    'remove optional column',
    'remove-optional-column',
    (d) => columns(d).splice(3, 1),
    [true, false, false],
  ],
  [
    'remove required column',
    'remove-required-column',
    (d) => columns(d).splice(1, 1),
    [true, false, false],
  ],
  [
    'rename column',
    'rename-column',
    (d) => (column(d, 'note').name = 'remark'),
    [false, false, false],
  ],
  [
    'widen type int → bigint',
    'widen-type',
    (d) => (column(d, 'qty').physicalType = 'BIGINT'),
    [true, false, false],
  ],
  [
    'widen type bigint → double',
    'widen-type',
    (d) => (column(d, 'id').physicalType = 'DOUBLE'),
    [true, false, false],
  ],
  [
    'widen decimal precision',
    'widen-type',
    (d) => (column(d, 'amount').physicalType = 'DECIMAL(18,2)'),
    [true, false, false],
  ],
  [
    'narrow type',
    'narrow-type',
    (d) => (column(d, 'qty').physicalType = 'SMALLINT'),
    [false, true, false],
  ],
  [
    'make nullable',
    'make-nullable',
    (d) => (column(d, 'amount').required = false),
    [true, false, false],
  ],
  [
    'make required',
    'make-required',
    (d) => (column(d, 'note').required = true),
    [false, true, false],
  ],
  [
    'add enum value',
    'add-enum-value',
    (d) => column(d, 'status').quality[0]!.arguments!.validValues!.push('lost'),
    [true, false, false],
  ],
  [
    'remove enum value',
    'remove-enum-value',
    (d) => column(d, 'status').quality[0]!.arguments!.validValues!.pop(),
    [false, true, false],
  ],
  [
    'tighten a constraint (minimum up)',
    'tighten-constraint',
    (d) => (column(d, 'amount').logicalTypeOptions!.minimum = 1),
    [false, true, false],
  ],
  [
    'tighten a constraint (length added)',
    'tighten-constraint',
    (d) => (column(d, 'note').logicalTypeOptions = { maxLength: 200 }),
    [false, true, false],
  ],
  [
    'loosen a constraint (maximum up)',
    'loosen-constraint',
    (d) => (column(d, 'amount').logicalTypeOptions!.maximum = 5000),
    [true, false, false],
  ],
  [
    'loosen a constraint (pattern removed)',
    'loosen-constraint',
    (d) => delete column(d, 'status').logicalTypeOptions!.pattern,
    [true, false, false],
  ],
];

describe('contract compatibility', () => {
  describe.each(table)('%s', (_name, kind, edit, [backward, forward, full]) => {
    const changes = diffContracts(parse(base), edited(edit));

    it(`is one ${kind} change`, () => {
      expect(changes.map((c) => c.kind)).toEqual([kind]);
    });

    it.each([
      ['BACKWARD', backward],
      ['FORWARD', forward],
      ['FULL', full],
      ['BACKWARD_TRANSITIVE', backward],
      ['FORWARD_TRANSITIVE', forward],
      ['FULL_TRANSITIVE', full],
      ['NONE', true],
    ] as [CompatibilityMode, boolean][])(`under %s is allowed: %s`, (mode, allowed) => {
      expect(breaksMode(changes[0]!, mode)).toBe(!allowed);
    });
  });

  it('an identical contract has no changes; metadata changes break nothing', () => {
    expect(diffContracts(parse(base), parse(base))).toEqual([]);
    const changes = diffContracts(
      parse(base),
      edited((d) => {
        column(d, 'note').description = 'Free text.';
        column(d, 'note').classification = 'pii';
      }),
    );
    expect(changes.map((c) => [c.kind, c.column, c.detail])).toEqual([
      ['change-metadata', 'note', 'classification: "internal" → "pii"'],
      ['change-metadata', 'note', 'description: "" → "Free text."'],
    ]);
    for (const mode of compatibilityModes)
      expect(changes.some((c) => breaksMode(c, mode))).toBe(false);
  });

  it('a changed pattern and an incompatible type break both directions', () => {
    const changes = diffContracts(
      parse(base),
      edited((d) => {
        column(d, 'status').logicalTypeOptions!.pattern = '^[A-Z]+$';
        column(d, 'note').physicalType = 'DATE';
      }),
    );
    expect(changes.map((c) => c.kind)).toEqual(['change-constraint', 'change-type']);
    for (const change of changes) {
      expect(breaksMode(change, 'BACKWARD')).toBe(true);
      expect(breaksMode(change, 'FORWARD')).toBe(true);
    }
  });

  it('a removed column and a new one at another position are a removal and an addition', () => {
    const changes = diffContracts(
      parse(base),
      edited((d) => {
        columns(d).splice(3, 1);
        columns(d).push({ ...column(d, 'status'), name: 'remark', quality: [] });
      }),
    );
    expect(changes.map((c) => [c.kind, c.column])).toEqual([
      ['add-optional-column', 'remark'],
      ['remove-optional-column', 'note'],
    ]);
  });

  it('judges type changes by whether every old value fits the new type', () => {
    expect(typeFit('INTEGER', 'BIGINT')).toBe('widen');
    expect(typeFit('BIGINT', 'DECIMAL(20,0)')).toBe('widen');
    expect(typeFit('BIGINT', 'DECIMAL(12,0)')).toBe('narrow');
    expect(typeFit('BIGINT', 'DECIMAL(12,2)')).toBe('change');
    expect(typeFit('DECIMAL(12,2)', 'DECIMAL(12,4)')).toBe('change');
    expect(typeFit('DECIMAL(12,2)', 'DECIMAL(14,4)')).toBe('widen');
    expect(typeFit('DECIMAL(12,2)', 'DOUBLE')).toBe('widen');
    expect(typeFit('VARCHAR(10)', 'VARCHAR')).toBe('widen');
    expect(typeFit('VARCHAR', 'VARCHAR(10)')).toBe('narrow');
    expect(typeFit('INT', 'INTEGER')).toBe('same');
    expect(typeFit('DATE', 'TIMESTAMP')).toBe('change');
  });
});

describe('contract evolution', () => {
  const v1 = parse(base);
  const dropAmount = (d: ContractDocument) => columns(d).splice(1, 1);

  it('a breaking change without a major bump is refused, naming the column and the rule', () => {
    const { problems } = checkEvolution([v1], edited(dropAmount, '1.1.0'), 'FORWARD');
    expect(problems).toEqual([
      expect.stringMatching(
        /^column amount: remove-required-column \(DECIMAL\(12,2\), required\) breaks FORWARD compatibility with 1\.0\.0: .*Bump the major version to 2\.0\.0/,
      ),
    ]);
  });

  it('the same change with a major bump passes; a compatible change needs only some bump', () => {
    expect(checkEvolution([v1], edited(dropAmount, '2.0.0'), 'FORWARD').problems).toEqual([]);
    const addOptional = (d: ContractDocument) =>
      columns(d).push({ ...column(d, 'note'), name: 'extra' });
    expect(checkEvolution([v1], edited(addOptional, '1.1.0'), 'FULL').problems).toEqual([]);
  });

  it('a changed contract must change its version, and a version may not go down', () => {
    const addOptional = (d: ContractDocument) =>
      columns(d).push({ ...column(d, 'note'), name: 'extra' });
    expect(checkEvolution([v1], edited(addOptional, '1.0.0'), 'FORWARD').problems).toEqual([
      'changed (1 change) but still version 1.0.0: bump it',
    ]);
    const v2 = edited(() => {}, '1.2.0');
    expect(
      checkEvolution(
        [v1, v2],
        edited(() => {}, '1.1.0'),
        'FORWARD',
      ).problems,
    ).toEqual(['version 1.1.0 is lower than the previous 1.2.0']);
    expect(
      checkEvolution(
        [v1],
        edited(() => {}, '1.0.0'),
        'FORWARD',
      ).problems,
    ).toEqual([]);
    expect(checkEvolution([], v1, 'FORWARD')).toEqual({ changes: [], problems: [] });
  });

  it('transitive modes check every earlier version of the same major, plain ones only the last', () => {
    // 1.1.0 drops the optional `note`, 1.2.0 brings it back as a DATE: each step is BACKWARD
    // compatible with the one before, but 1.2.0 cannot read what 1.0.0 wrote.
    const withoutNote = (d: ContractDocument) => columns(d).splice(3, 1);
    const noteAsDate = (d: ContractDocument) => (column(d, 'note').physicalType = 'DATE');
    const v2 = edited(withoutNote, '1.1.0');
    const v3 = edited(noteAsDate, '1.2.0');
    expect(checkEvolution([v1, v2], v3, 'BACKWARD').problems).toEqual([]);
    expect(checkEvolution([v1, v2], v3, 'BACKWARD_TRANSITIVE').problems).toEqual([
      expect.stringMatching(
        /^column note: change-type \(VARCHAR → DATE\) breaks BACKWARD_TRANSITIVE compatibility with 1\.0\.0/,
      ),
    ]);
    // A major version starts a new line: versions of earlier majors are not held against it.
    const w2 = edited(withoutNote, '2.0.0');
    const w3 = edited(noteAsDate, '2.1.0');
    expect(checkEvolution([v1, w2], w3, 'BACKWARD_TRANSITIVE').problems).toEqual([]);
  });

  it('a contract names its mode in customProperties, FORWARD by default, and a bad mode is refused', () => {
    expect(parseContract(base, 'x.yaml').compatibility).toBe('FORWARD');
    const full = `${base}customProperties:\n  - { property: compatibility, value: FULL_TRANSITIVE }\n`;
    expect(parseContract(full, 'x.yaml').compatibility).toBe('FULL_TRANSITIVE');
    const bad = `${base}customProperties:\n  - { property: compatibility, value: SIDEWAYS }\n`;
    try {
      parseContract(bad, 'config/contracts/silver.things.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        {
          path: 'customProperties.0.value',
          expected: expect.stringContaining('a compatibility mode: BACKWARD,'),
          found: '"SIDEWAYS"',
        },
      ]);
    }
  });
});
