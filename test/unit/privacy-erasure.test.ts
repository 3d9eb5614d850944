/**
 * The erase on Athena, planned from the same subject search as the local erase: which statements
 * erase each table, the residue query, and the row test a bronze rewrite applies.
 */
import { describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../helpers/athena';
import { residueQuery, rowMatcher, tableErasure } from '../../lambdas/core/privacy/erasure';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { landingSubject, withoutSubjectLines } from '../../lambdas/core/privacy/landing-erasure';
import type { Identifiers, SearchTable } from '../../lambdas/core/privacy/subjects';
import { testContract } from '../helpers/contracts';

const d = testAthenaDialect();
const ids: Identifiers = new Map([
  ['email', new Set(['ann@example.com'])],
  ['customer_id', new Set(['21'])],
]);
const jsonKeys = new Map([
  ['email', ['email']],
  ['customer_id', ['customer_id']],
]);
const compact = (relation: string) => [`-- compact ${relation}`];
const orders: SearchTable = {
  relation: 'gold.orders__v20260102030000123_3fa9c1d2',
  role: 'rows',
  subjectColumns: [{ name: 'customer_id', kind: 'customer_id' }],
  textColumns: ['note'],
};

describe('erase statements on Athena', () => {
  it('deletes the rows of a table version, then compacts it', () => {
    const { statements } = tableErasure(orders, ids, d, jsonKeys, ['email'], compact);
    expect(statements).toHaveLength(2);
    expect(statements[0]).toMatch(
      /^delete from "medallion_dev_gold"\."orders__v20260102030000123_3fa9c1d2" where \(lower\(trim\(cast\("customer_id" as varchar\)\)\) in \('21'\) or regexp_like\(lower\(cast\("note" as varchar\)\), /,
    );
    expect(statements[1]).toBe('-- compact gold.orders__v20260102030000123_3fa9c1d2');
  });

  it('blanks the failing-row samples that mention the subject', () => {
    const samples: SearchTable = {
      relation: 'audit.dq_results',
      role: 'samples',
      subjectColumns: [],
      textColumns: ['sample'],
    };
    const [update, compacted] = tableErasure(samples, ids, d, jsonKeys, [], compact).statements;
    expect(update).toMatch(
      /^update "medallion_dev_audit"\."dq_results" set "sample" = null where \(regexp_like\(lower\(cast\("sample" as varchar\)\), '.*ann@example\\\.com/,
    );
    expect(compacted).toBe('-- compact audit.dq_results');
  });

  it('blanks the profiles of subject columns and those that mention the subject', () => {
    const profiles: SearchTable = {
      relation: 'audit.dq_profiles',
      role: 'profiles',
      subjectColumns: [],
      textColumns: ['min_value', 'max_value', 'top_values'],
    };
    const [update] = tableErasure(
      profiles,
      ids,
      d,
      jsonKeys,
      ['email', 'customer_id'],
      compact,
    ).statements;
    expect(update).toMatch(
      /^update "medallion_dev_audit"\."dq_profiles" set "min_value" = null, "max_value" = null, "top_values" = null where "column_name" in \('email', 'customer_id'\) or \(/,
    );
    expect(residueQuery(profiles, ids, d, jsonKeys, ['email'])).toMatch(
      /^select count\(\*\) as n from "medallion_dev_audit"\."dq_profiles" where \(\(.*\) or \("column_name" in \('email'\) and coalesce\("min_value", "max_value", "top_values"\) is not null\)\)$/,
    );
  });

  it('leaves run history alone and a table with nowhere to hold the subject out', () => {
    const runs: SearchTable = {
      relation: 'audit.runs',
      role: 'verify',
      subjectColumns: [],
      textColumns: ['error'],
    };
    expect(tableErasure(runs, ids, d, jsonKeys, [], compact).statements).toEqual([]);
    expect(residueQuery(runs, ids, d, jsonKeys, [])).toMatch(
      /^select count\(\*\) as n from "medallion_dev_audit"\."runs" where /,
    );
    const rates: SearchTable = {
      relation: 'silver.fx_rates',
      role: 'rows',
      subjectColumns: [],
      textColumns: [],
    };
    expect(tableErasure(rates, ids, d, jsonKeys, [], compact).statements).toEqual([]);
    expect(residueQuery(rates, ids, d, jsonKeys, [])).toBeUndefined();
  });
});

describe('the row test of a bronze rewrite', () => {
  const isSubject = rowMatcher(
    { subjectColumns: [{ name: 'customer_id', kind: 'customer_id' }], textColumns: ['_extra'] },
    ids,
    jsonKeys,
  );

  it('matches a subject column by its normalized value, whatever its type', () => {
    expect(isSubject({ customer_id: 21n })).toBe(true);
    expect(isSubject({ customer_id: ' 21 ' })).toBe(true);
    expect(isSubject({ customer_id: 210n })).toBe(false);
    expect(isSubject({ customer_id: null })).toBe(false);
  });

  it('matches text holding the email anywhere, a short id only as a JSON field of its kind', () => {
    expect(isSubject({ _extra: '{"contact": "Ann@Example.com"}' })).toBe(true);
    expect(isSubject({ _extra: '{"customer_id": 21, "x": 1}' })).toBe(true);
    expect(isSubject({ _extra: '{"amount": 21}' })).toBe(false);
    expect(isSubject({ _extra: 'joann@example.com.au' })).toBe(false);
  });
});

describe('landing files, searched with the rules of both runtimes', () => {
  const contracts = new ContractRegistry([
    testContract(
      'crm.contacts',
      'bronze.crm_contacts',
      `      - { name: contact_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }
      - { name: note, logicalType: string, physicalType: VARCHAR }`,
    ),
  ]);
  const subject = landingSubject('bronze.crm_contacts', ids, contracts);

  it('reads text for any identifier value, a short number too, before parsing anything', () => {
    expect(subject.mayMention('contact_id\n21\n')).toBe(true);
    expect(subject.mayMention('…ANN@EXAMPLE.COM…')).toBe(true);
    expect(subject.mayMention('contact_id\n20\n22\n')).toBe(false);
  });

  it("tests rows by the dataset's contract columns and every other column as text", () => {
    const test = subject.rowTest(['contact_id', 'note', 'payload']);
    expect(test({ contact_id: ' 21 ', note: null, payload: null })).toBe(true);
    expect(test({ contact_id: '20', note: 'to ann@example.com', payload: null })).toBe(true);
    // A short id as a JSON field named as the contracts name its kind's columns.
    expect(test({ contact_id: '20', note: null, payload: '{"contact_id": 21}' })).toBe(true);
    // A number that is not in a subject column, or in a JSON field of another kind, is no one.
    expect(test({ contact_id: '20', note: '21', payload: '{"customer_id": 21}' })).toBe(false);
  });

  it('takes out the lines of unreadable text that mention the subject', () => {
    expect(
      withoutSubjectLines(
        'a,ANN@example.com\nb,bob@example.com\n{"customer_id":21}\n21',
        ids,
        jsonKeys,
      ),
    ).toEqual({ text: 'b,bob@example.com\n21', removed: 2 });
  });
});
