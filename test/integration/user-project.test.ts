/**
 * Issue 16: the repository's tests must survive a user's own definitions. A copy of the repository
 * gains a landing-only source, a silver and a gold model with their contracts
 * (`userFiles` in test/helpers/user-project.ts); the definition-level checks accept it, and the tests that enumerate the
 * project pass on the copy as they do here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLineageGraph } from '../../lambdas/core/lineage/graph';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { validateProject } from '../../lambdas/runtime/validate';
import { medallionIn } from '../helpers/cli';
import { userProject } from '../helpers/user-project';

/** Tests that read the whole project: contracts, models, lineage, docs, state machines, Glue tables. */
const enumerating = [
  'test/unit/contracts.test.ts',
  'test/unit/model-graph.test.ts',
  'test/unit/lineage.test.ts',
  'test/unit/docs-site.test.ts',
  'test/unit/model-compile.test.ts',
  'test/unit/bronze-types.test.ts',
  'test/unit/privacy-impact.test.ts',
  'test/unit/access-cells.test.ts',
  'test/unit/state-machines.test.ts',
  'test/unit/aws/athena-sql.test.ts',
  'test/unit/aws/dq-athena-sql.test.ts',
  'test/unit/openlineage.test.ts',
  'test/integration/model-tests.test.ts',
  'test/infra/catalog-stack.test.ts',
];

const count = (root: string, folder: string, suffix: string) =>
  readdirSync(path.join(root, folder), { recursive: true }).filter((f) =>
    String(f).endsWith(suffix),
  ).length;

describe("a user's project: the repository plus a landing source, models and contracts", () => {
  let root: string;
  beforeAll(() => {
    root = userProject();
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is valid, every model built on empty inputs, with the new contracts and models counted', async () => {
    const validation = await validateProject({ root });
    expect(validation.problems).toEqual([]);
    expect(validation).toMatchObject({
      contracts: count(projectRoot, 'config/contracts', '.yaml') + 3,
      models: count(projectRoot, 'models', '.sql') + 2,
    });
  });

  it('has lineage from the landing source to the gold model, column by column', async () => {
    const graph = buildLineageGraph(await loadProject({ root }));
    for (const model of ['silver.returns', 'gold.returns_daily'])
      expect(graph.models.get(model)?.unresolved, model).toEqual([]);
    expect(
      graph.upstream('gold.returns_daily.refunded').nodes.map((n) => `${n.dataset}.${n.column}`),
    ).toEqual(expect.arrayContaining(['silver.returns.amount', 'shop.returns.amount']));
  });

  it('the CLI validates, tests, catalogs and traces it', () => {
    const validate = medallionIn(root, 'validate');
    expect(validate.code, validate.stderr).toBe(0);
    const test = medallionIn(root, 'test', '--format', 'json');
    expect(test.code, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout)).toMatchObject({ failed: 0, errored: 0 });
    const search = medallionIn(root, 'catalog', 'search', 'returns', '--format', 'json');
    expect(search.code, search.stderr).toBe(0);
    for (const id of ['shop.returns', 'silver.returns', 'gold.returns_daily'])
      expect(search.stdout).toContain(id);
    const lineage = medallionIn(root, 'lineage', 'downstream', 'shop.returns');
    expect(lineage.code, lineage.stderr).toBe(0);
    expect(lineage.stdout).toContain('gold.returns_daily');
  }, 300_000);

  it('the tests that enumerate the project pass on it', () => {
    // Vitest's own variables would make the inner run think it is a worker of this one.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'),
    );
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', ...enumerating],
      { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...env, NO_COLOR: '1' } },
    );
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`Test Files\\s+${enumerating.length} passed`));
  }, 600_000);
});
