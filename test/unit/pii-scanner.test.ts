/**
 * The PII scanner's validators and column verdicts: each entity with a positive and the negative
 * a regex alone would get wrong, values deciding over names, and contract mismatches.
 */
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../lambdas/core/contracts/contract';
import {
  containsPii,
  creditCard,
  dateOfBirth,
  email,
  iban,
  ipv4,
  ipv6,
  luhnValid,
  personName,
  phone,
  streetAddress,
  ukNino,
  usSsn,
} from '../../lambdas/core/privacy/pii-detectors';
import { unclassifiedColumns } from '../../lambdas/core/privacy/pii-gate';
import { contractMismatches, scanColumn } from '../../lambdas/core/privacy/pii-scan';

const scan = (name: string, values: readonly (string | null)[]) =>
  scanColumn(name, values, { referenceYear: 2026 });
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('value validators', () => {
  it('cards need Luhn and a known issuer range and length, including Mastercard 2-series and 19-digit PANs', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(creditCard('4111 1111 1111 1111')).toBe('strong');
    expect(creditCard('2221-0000-0000-0009')).toBe('strong');
    expect(creditCard('2720990000000007')).toBe('strong');
    expect(creditCard('4000000000000000006')).toBe('strong');
    expect(creditCard('378282246310005')).toBe('strong');
    expect(creditCard('4111111111111112')).toBeUndefined();
    // Luhn-valid, but no scheme issues 16-digit numbers starting with 1 (an order id).
    expect(creditCard('1000000000000009')).toBeUndefined();
    expect(creditCard('2800000000000005')).toBeUndefined();
  });

  it('IBANs need mod-97 and their country’s length', () => {
    expect(iban('DE89370400440532013000')).toBe('strong');
    expect(iban('GB29 NWBK 6016 1331 9268 19')).toBe('strong');
    expect(iban('DE88370400440532013000')).toBeUndefined();
    expect(iban('DE8937040044053201300')).toBeUndefined();
  });

  it('SSNs outside the issued ranges (area 000, 666, 9xx; group 00; serial 0000) are not SSNs', () => {
    expect(usSsn('123-45-6789')).toBe('strong');
    expect(usSsn('123456789')).toBe('weak');
    for (const invalid of [
      '000-12-3456',
      '666-12-3456',
      '900-12-3456',
      '999-12-3456',
      '123-00-4567',
      '123-45-0000',
    ])
      expect(usSsn(invalid), invalid).toBeUndefined();
  });

  it('UK NINOs exclude the prefixes HMRC never allocates', () => {
    expect(ukNino('AB 12 34 56 C')).toBe('strong');
    expect(ukNino('ab123456c')).toBe('strong');
    expect(ukNino('GB123456A')).toBeUndefined();
    expect(ukNino('DA123456A')).toBeUndefined();
    expect(ukNino('AB123456E')).toBeUndefined();
  });

  it('IP addresses are parsed, not pattern-matched', () => {
    expect(ipv4('192.168.0.1')).toBe('strong');
    expect(ipv4('256.1.1.1')).toBeUndefined();
    expect(ipv4('1.2.3')).toBeUndefined();
    expect(ipv4('010.1.1.1')).toBeUndefined();
    expect(ipv6('2001:db8::1')).toBe('strong');
    expect(ipv6('fe80::1%eth0')).toBe('strong');
    expect(ipv6('::ffff:192.0.2.1')).toBe('strong');
    expect(ipv6('2001:db8:0:0:0:0:0:1')).toBe('strong');
    expect(ipv6('2001:db8::1::2')).toBeUndefined();
    expect(ipv6('12:30')).toBeUndefined();
    expect(ipv6('abcd')).toBeUndefined();
  });

  it('phones are read by libphonenumber; bare digits are only weak, dates and decimals never phones', () => {
    expect(phone('+44 20 7946 0958')).toBe('strong');
    expect(phone('(415) 555-0123')).toBe('strong');
    expect(phone('0049 151 1234567')).toBe('strong');
    expect(phone('4155550123')).toBe('weak');
    expect(phone('2026-01-01')).toBeUndefined();
    expect(phone('12345.67')).toBeUndefined();
    expect(phone('123-45-6789')).toBeUndefined();
    expect(phone('+99 123')).toBeUndefined();
  });

  it('e-mails need a domain with a top-level label', () => {
    expect(email('ann.lee+news@mail.example.co.uk')).toBe('strong');
    expect(email('ab123@shelf')).toBeUndefined();
    expect(email('ann at example.com')).toBeUndefined();
  });

  it('names: common given names are strong, the capitalised shape weak, companies nothing', () => {
    expect(personName('Olivia Smith')).toBe('strong');
    expect(personName('Smith, James')).toBe('strong');
    expect(personName('Kowalski')).toBe('weak');
    expect(personName('Acme Systems GmbH')).toBeUndefined();
    expect(personName('Globex S.p.A.')).toBeUndefined();
    expect(personName('ORD-001')).toBeUndefined();
  });

  it('addresses need a house number; a street type makes them strong', () => {
    expect(streetAddress('221B Baker Street, London')).toBe('strong');
    expect(streetAddress('Hauptstraße 5')).toBe('strong');
    expect(streetAddress('12 rue de Rivoli')).toBe('strong');
    expect(streetAddress('Lightweight jacket')).toBeUndefined();
  });

  it('birth dates are real days in a plausible range, and only weak: order dates look the same', () => {
    expect(dateOfBirth('1984-03-07', 2026)).toBe('weak');
    expect(dateOfBirth('07.03.1984', 2026)).toBe('weak');
    expect(dateOfBirth('1984-02-30', 2026)).toBeUndefined();
    expect(dateOfBirth('1850-01-01', 2026)).toBeUndefined();
    expect(dateOfBirth('1984-03-07 10:00:00', 2026)).toBeUndefined();
  });

  it('free text holds PII when an embedded value validates', () => {
    expect(containsPii('Call me on +44 20 7946 0958 after five')).toBe(true);
    expect(containsPii('Refund to DE89 3704 0044 0532 0130 00 please')).toBe(true);
    expect(containsPii('Order 1234567 ships in 3 days from bin 12-3456')).toBe(false);
  });
});

describe('column verdicts', () => {
  it('values decide over names: an email column of SKUs is not PII, an opaque c2 of card numbers is', () => {
    expect(
      scan(
        'email',
        times(50, (i) => `SKU-${1000 + i}-RED`),
      ).kind,
    ).toBe('none');
    const cards = scan(
      'c2',
      times(50, () => '4111 1111 1111 1111'),
    );
    expect(cards).toMatchObject({ kind: 'pii', entity: 'credit_card', confidence: 1 });
    expect(cards.evidence).toEqual({ sampled: 50, matching: 50, share: 1 });
  });

  it('a name hint supports weak evidence: nine digits are an SSN in an ssn column, nothing in c1', () => {
    const digits = times(50, (i) => `${100 + i}45${6789 + i}`);
    expect(scan('ssn', digits)).toMatchObject({
      kind: 'pii',
      entity: 'us_ssn',
      evidence: { nameHint: 'ssn' },
    });
    expect(scan('c1', digits).kind).toBe('none');
  });

  it('dates are birth dates only in a column that says so', () => {
    const dates = times(50, (i) => `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 9}`);
    expect(scan('date_of_birth', dates).entity).toBe('date_of_birth');
    expect(scan('order_date', dates).kind).toBe('none');
  });

  it('tolerates dirt: half the values junk or blank still make a PII column; nulls are not evidence', () => {
    const values = [
      ...times(30, () => 'ann@example.com'),
      ...times(20, () => 'n/a'),
      ...times(40, () => null),
      '  ',
    ];
    expect(scan('c7', values)).toMatchObject({
      entity: 'email',
      evidence: { sampled: 50, matching: 30, share: 0.6 },
    });
  });

  it('reports postal codes, birth years and gender as quasi-identifiers', () => {
    expect(
      scan(
        'zip',
        times(20, (i) => String(10000 + i)),
      ),
    ).toMatchObject({
      kind: 'quasi_identifier',
      entity: 'postal_code',
    });
    expect(
      scan(
        'birth_year',
        times(20, (i) => String(1950 + i)),
      ).entity,
    ).toBe('birth_year');
    expect(
      scan(
        'gender',
        times(20, (i) => (i % 2 ? 'F' : 'M')),
      ).entity,
    ).toBe('gender');
    expect(
      scan(
        'c3',
        times(20, (i) => String(10000 + i)),
      ).kind,
    ).toBe('none');
  });

  it('JSON documents are text too: rows kept as evidence with e-mails in them are PII', () => {
    const rows = times(10, (i) => JSON.stringify([{ order_id: i, email: `u${i}@example.com` }]));
    expect(scan('sample', rows)).toMatchObject({ kind: 'pii', entity: 'free_text' });
    expect(
      scan(
        'sample',
        times(10, (i) => JSON.stringify({ order_id: i, qty: 2 })),
      ).kind,
    ).toBe('none');
  });

  it('an empty or all-null column is no finding', () => {
    expect(scan('email', [null, null])).toMatchObject({ kind: 'none', evidence: { sampled: 0 } });
  });
});

describe('contract mismatches', () => {
  const contract = parseContract(
    `apiVersion: v3.1.0
kind: DataContract
id: silver.people
name: people
version: 1.0.0
status: active
team: { name: crm }
description: { purpose: people }
schema:
  - name: people
    physicalName: silver.people
    properties:
      - { name: email, logicalType: string, physicalType: VARCHAR, classification: pii }
      - { name: notes, logicalType: string, physicalType: VARCHAR, classification: internal }
      - { name: c2, logicalType: string, physicalType: VARCHAR }
`,
    'config/contracts/silver.people.yaml',
  );
  const finding = (column: string) =>
    scan(
      column,
      times(20, () => 'ann@example.com'),
    );

  it('flags PII in a column classified weaker, unclassified or undeclared, naming column, entity and file', () => {
    const found = contractMismatches(contract, ['email', 'notes', 'c2', 'extra'].map(finding));
    expect(found.map((m) => [m.column, m.declared])).toEqual([
      ['notes', 'internal'],
      ['c2', undefined],
      ['extra', undefined],
    ]);
    expect(found[0]!.message).toBe(
      'silver.people.notes holds email (100% of 20 sampled values) but is classified internal in config/contracts/silver.people.yaml: classify it pii',
    );
    expect(found[2]!.message).toContain('is not in the contract');
  });

  it('says nothing of columns without PII', () => {
    expect(contractMismatches(contract, [scan('notes', ['hello there'])])).toEqual([]);
  });

  it('the quality gate scans only what the contract leaves unclassified or does not declare', () => {
    const found = ['email', 'notes', 'c2', 'extra', '_run_id'].map((name) => ({
      name,
      type: 'VARCHAR',
    }));
    expect(unclassifiedColumns(contract, found).map((c) => c.name)).toEqual(['c2', 'extra']);
  });
});
