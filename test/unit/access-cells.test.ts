import { beforeAll, describe, expect, it } from 'vitest';
import { cellsGrants, columnTags, rowFilterExpression } from '../../lambdas/core/access/cells';
import { accessMatrix, type AccessPolicy, type LakeTable } from '../../lambdas/core/access/policy';
import { classifyTables, declaredTables } from '../../lambdas/core/access/tables';
import { loadSources, loadAccessPolicy } from '../../lambdas/definitions/source-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

let policy: AccessPolicy;
let tables: LakeTable[];

beforeAll(async () => {
  const { contracts } = await loadSources({ root: projectRoot, env: 'dev' });
  policy = (await loadAccessPolicy(projectRoot, 'dev'))!;
  tables = classifyTables(declaredTables(contracts), contracts);
});

describe('Lake Formation data cells filters from the access policy', () => {
  it('grant each persona exactly the policy’s matrix, masked columns withheld', () => {
    const grants = cellsGrants(policy, tables, 'medallion');
    const onAws = accessMatrix(policy, tables).map((m) => {
      const filter = grants.find((g) => g.persona === m.persona && g.relation === m.relation);
      return { ...m, visibility: filter?.columnNames.includes(m.column) ? 'clear' : 'hidden' };
    });
    // Lake Formation cannot mask: what the local session serves masked is withheld on AWS,
    // never served in clear.
    const expected = accessMatrix(policy, tables).map((m) => ({
      ...m,
      visibility: m.visibility === 'clear' ? 'clear' : 'hidden',
    }));
    expect(onAws).toEqual(expected);
    expect(expected.some((m) => m.visibility === 'clear')).toBe(true);
  });

  it('one filter per persona and table, named for the project, filtering rows where the persona does', () => {
    const grants = cellsGrants(policy, tables, 'medallion');
    const keys = grants.map((g) => `${g.persona} ${g.relation}`);
    expect(new Set(keys).size).toBe(keys.length);
    const analyst = grants.find(
      (g) => g.persona === 'analyst' && g.relation === 'gold.customer_360',
    )!;
    expect(analyst).toMatchObject({
      name: 'medallion_analyst',
      rowFilter: "country_code IN ('US', 'CA')",
    });
    expect(analyst.columnNames).not.toContain('email');
    const engineer = grants.find(
      (g) => g.persona === 'engineer' && g.relation === 'gold.customer_360',
    )!;
    expect(engineer.rowFilter).toBeUndefined();
    // analyst reads no PII anywhere: no filter of theirs names a pii column.
    for (const g of grants.filter((x) => x.persona.startsWith('analyst')))
      for (const column of g.columnNames)
        expect(
          tables.find((t) => t.relation === g.relation)!.columns.find((c) => c.name === column)!
            .classification,
        ).not.toBe('pii');
  });

  it('spells row filters as PartiQL literals, quotes escaped', () => {
    expect(rowFilterExpression({ column: 'region', in: ["O'Hare", 3, true] })).toBe(
      "region IN ('O''Hare', 3, TRUE)",
    );
  });

  it('groups a table’s columns by classification for LF-tags', () => {
    expect(
      columnTags({
        relation: 'gold.x',
        columns: [
          { name: 'a', classification: 'pii' },
          { name: 'b', classification: 'public' },
          { name: 'c', classification: 'pii' },
        ],
      }),
    ).toEqual([
      { classification: 'pii', columns: ['a', 'c'] },
      { classification: 'public', columns: ['b'] },
    ]);
  });
});
