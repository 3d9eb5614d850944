import { describe, expect, it } from 'vitest';
import { keyOnlyContract } from '../helpers/contracts';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { ModelGraphError } from '../../lambdas/core/errors';
import {
  hasIncrementalForm,
  loadModelProject,
  type ModelFile,
} from '../../lambdas/core/models/project';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';

const contracts = new ContractRegistry(
  ['bronze.shop_orders', 'silver.a', 'silver.b', 'gold.c', 'gold.d'].map(keyOnlyContract),
);
const incremental = 'description: d\nmaterialization: incremental\nunique_key: [id]\n';
const table = 'description: d\nmaterialization: table\n';
const model = (path: string, sql: string, ...yml: [string | undefined] | []): ModelFile => ({
  sqlPath: path,
  sql,
  ymlPath: path.replace('.sql', '.yml'),
  yml: yml.length === 0 ? table : yml[0],
});
const load = (...files: ModelFile[]) => loadModelProject(files, [], contracts);

describe('the model graph', () => {
  it("orders the project's models so each comes after what it reads", async () => {
    const project = await loadProject({ root: projectRoot });
    const order = project.models.models.map((m) => m.name);
    for (const m of project.models.models) {
      for (const dependency of [...m.refs, ...m.changes].filter((d) => !d.startsWith('seeds.'))) {
        expect(order.indexOf(dependency), `${m.name} reads ${dependency}`).toBeLessThan(
          order.indexOf(m.name),
        );
      }
    }
    expect(project.models.layer('gold').map((m) => m.name)).toContain('gold.fact_orders');
    expect(project.models.get('gold.fact_orders').changes).toEqual([
      'silver.orders',
      'silver.order_events',
    ]);
    expect(project.models.get('silver.customers').sources).toEqual([['snowflake', 'customers']]);
  });

  it("groups a layer's models in levels: each level reads only the levels before it", async () => {
    const { models } = await loadProject({ root: projectRoot });
    for (const layer of ['silver', 'gold'] as const) {
      const levels = models.levels(layer);
      expect(
        levels
          .flat()
          .map((m) => m.name)
          .sort(),
      ).toEqual(
        models
          .layer(layer)
          .map((m) => m.name)
          .sort(),
      );
      levels.forEach((level, i) => {
        const earlier = new Set(
          levels
            .slice(0, i)
            .flat()
            .map((m) => m.name),
        );
        for (const m of level) {
          const upstream = [...m.refs, ...m.changes].filter((d) => d.startsWith(`${layer}.`));
          expect(
            upstream.filter((d) => !earlier.has(d)),
            m.name,
          ).toEqual([]);
        }
      });
    }
    // Levels are as few as the dependencies allow: a model waits only for a model it reads.
    for (const layer of ['silver', 'gold'] as const) {
      const levels = models.levels(layer);
      levels.slice(1).forEach((level, i) => {
        const previous = new Set(levels[i]!.map((m) => m.name));
        for (const m of level)
          expect(
            [...m.refs, ...m.changes].some((d) => previous.has(d)),
            m.name,
          ).toBe(true);
      });
    }
    expect(models.levels('gold').length).toBeGreaterThan(1);
  });

  it('finds dependencies in the template syntax, including inside conditionals', () => {
    const project = load(
      model('models/silver/a.sql', "select * from {{ source('shop', 'orders') }}", incremental),
      model(
        'models/gold/c.sql',
        "{% if is_incremental() %}select 1 from {{ ref('silver.a') }}{% endif %} select * from {{ changes('silver.a') }}",
      ),
    );
    expect(project.get('gold.c').refs).toEqual(['silver.a']);
    expect(project.get('gold.c').changes).toEqual(['silver.a']);
  });

  it('gives a table model an incremental form only when its template asks is_incremental()', () => {
    const project = load(
      model('models/silver/a.sql', "select * from {{ source('shop', 'orders') }}", incremental),
      model('models/gold/c.sql', "select * from {{ ref('silver.a') }}"),
      model(
        'models/gold/d.sql',
        "select * from {{ ref('silver.a') }}{% if is_incremental() %} union all select * from {{ this }}{% endif %}",
      ),
    );
    expect(['silver.a', 'gold.c', 'gold.d'].map((m) => hasIncrementalForm(project.get(m)))).toEqual(
      [true, false, true],
    );
  });

  it('accepts feed_columns only on an incremental model, which has a change feed', () => {
    expect(() =>
      load(model('models/silver/a.sql', 'select 1 as id', `${table}feed_columns: [id]\n`)),
    ).toThrow(/feed_columns.*only an incremental model has a change feed; this one is table/s);
    expect(
      load(
        model('models/silver/a.sql', 'select 1 as id', `${incremental}feed_columns: [id]\n`),
      ).get('silver.a').config.feed_columns,
    ).toEqual(['id']);
  });

  it('fails on an unknown ref, suggesting the closest name', () => {
    expect(() =>
      load(model('models/silver/a.sql', "select * from {{ ref('silver.bb') }}")),
    ).toThrow(
      new ModelGraphError(
        "models/silver/a.sql: ref('silver.bb') names no model or seed (did you mean silver.a?)",
      ),
    );
  });

  it('fails on a cycle, printing it', () => {
    expect(() =>
      load(
        model('models/gold/c.sql', "select * from {{ ref('gold.d') }}"),
        model('models/gold/d.sql', "select * from {{ ref('gold.c') }}"),
      ),
    ).toThrow(/Models form a cycle: gold\.c → gold\.d → gold\.c/);
  });

  it('fails when the sibling .yml is missing', () => {
    expect(() => load(model('models/silver/a.sql', 'select 1 as id', undefined))).toThrow(
      'models/silver/a.sql: the sibling models/silver/a.yml is missing',
    );
  });

  it('fails when a silver model reads gold', () => {
    expect(() =>
      load(
        model('models/silver/a.sql', "select * from {{ ref('gold.c') }}"),
        model('models/gold/c.sql', 'select 1 as id'),
      ),
    ).toThrow('a silver model cannot read gold.c from a later layer');
  });

  it('fails when changes() names a model without a change feed', () => {
    expect(() =>
      load(
        model('models/silver/a.sql', 'select 1 as id'),
        model('models/gold/c.sql', "select * from {{ changes('silver.a') }}"),
      ),
    ).toThrow("changes('silver.a') needs an incremental model; silver.a is table");
  });

  it('fails on a source without a bronze contract, and on a model without a contract', () => {
    expect(() =>
      load(model('models/silver/a.sql', "select * from {{ source('shop', 'order') }}")),
    ).toThrow(/has no bronze contract \(did you mean shop\.orders\?\)/);
    expect(() => load(model('models/silver/zz.sql', 'select 1 as id'))).toThrow(
      /a contract with id silver\.zz/,
    );
  });

  it('rejects a .yml that asks for an incremental model without a key', () => {
    expect(() =>
      load(
        model(
          'models/silver/a.sql',
          'select 1 as id',
          'description: d\nmaterialization: incremental\n',
        ),
      ),
    ).toThrow(/models\/silver\/a\.yml.*unique_key/s);
  });
});
