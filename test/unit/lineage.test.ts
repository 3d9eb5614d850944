import { beforeAll, describe, expect, it } from 'vitest';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import { columnLineage, type InputField } from '../../lambdas/core/lineage/columns';
import { buildLineageGraph, type LineageGraph } from '../../lambdas/core/lineage/graph';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { lineageText } from '../../lambdas/core/lineage/render';

const schemas: Record<string, string[]> = {
  'silver.orders': [
    'order_id',
    'customer_id',
    'status',
    'amount',
    'currency',
    'order_date',
    'email',
  ],
  'silver.customers': ['customer_id', 'email', 'country'],
  'silver.rates': ['currency', 'rate_date', 'rate'],
};
const lineage = (sql: string, outputs: string[]) =>
  columnLineage(sql, (relation) => schemas[relation], outputs);
/** `relation.column TYPE/SUBTYPE[/masked]` per input, for compact expectations. */
const brief = (inputs: readonly InputField[]) =>
  inputs.flatMap((i) =>
    i.transformations.map(
      (t) => `${i.relation}.${i.column} ${t.type}/${t.subtype}${t.masking ? '/masked' : ''}`,
    ),
  );

describe('column lineage from SQL', () => {
  it('tells copies, computations and summaries apart', () => {
    const l = lineage(
      `select order_id, amount * 2 as doubled, sum(amount) as total from silver.orders group by order_id`,
      ['order_id', 'doubled', 'total'],
    );
    expect(brief(l.columns.order_id!)).toEqual(['silver.orders.order_id DIRECT/IDENTITY']);
    expect(brief(l.columns.doubled!)).toEqual(['silver.orders.amount DIRECT/TRANSFORMATION']);
    expect(brief(l.columns.total!)).toEqual(['silver.orders.amount DIRECT/AGGREGATION']);
    expect(brief(l.dataset)).toEqual(['silver.orders.order_id INDIRECT/GROUP_BY']);
    expect(l.unresolved).toEqual([]);
  });

  it('follows columns through CTEs, subqueries, aliases, joins and unions', () => {
    const l = lineage(
      `with o as (select order_id, customer_id, amount as value from silver.orders where status <> 'cancelled'),
            c as (select * from silver.customers)
       select x.order_id, x.value, c.country
       from (select * from o) x join c on c.customer_id = x.customer_id
       union all
       select order_id, amount, 'n/a' from silver.orders`,
      ['order_id', 'value', 'country'],
    );
    expect(brief(l.columns.value!)).toEqual(['silver.orders.amount DIRECT/IDENTITY']);
    expect(brief(l.columns.country!)).toEqual(['silver.customers.country DIRECT/IDENTITY']);
    expect(brief(l.dataset)).toEqual([
      'silver.customers.customer_id INDIRECT/JOIN',
      'silver.orders.customer_id INDIRECT/JOIN',
      'silver.orders.status INDIRECT/FILTER',
    ]);
    expect(l.inputs).toEqual(['silver.customers', 'silver.orders']);
  });

  it('marks CASE conditions as conditional, window partitions as window, hashes as masking', () => {
    const l = lineage(
      `select case when status = 'paid' then amount else 0 end as paid,
              row_number() over (partition by customer_id order by order_date) as n,
              to_hex(sha256(to_utf8(email))) as email_hash
       from silver.orders`,
      ['paid', 'n', 'email_hash'],
    );
    expect(brief(l.columns.paid!)).toEqual([
      'silver.orders.amount DIRECT/TRANSFORMATION',
      'silver.orders.status INDIRECT/CONDITIONAL',
    ]);
    expect(brief(l.columns.n!)).toEqual([
      'silver.orders.customer_id INDIRECT/WINDOW',
      'silver.orders.order_date INDIRECT/WINDOW',
    ]);
    expect(brief(l.columns.email_hash!)).toEqual([
      'silver.orders.email DIRECT/TRANSFORMATION/masked',
    ]);
  });

  it('reads a scalar subquery as a computation over its columns', () => {
    const l = lineage(
      `select order_id, (select max(rate) from silver.rates r where r.currency = o.currency) as rate from silver.orders o`,
      ['order_id', 'rate'],
    );
    expect(brief(l.columns.rate!)).toEqual([
      'silver.orders.currency INDIRECT/FILTER',
      'silver.rates.currency INDIRECT/FILTER',
      'silver.rates.rate DIRECT/AGGREGATION',
    ]);
  });

  it('reports what it cannot resolve instead of guessing', () => {
    const l = lineage(
      `select customer_id, nope, x.y from silver.orders o join silver.customers c on c.customer_id = o.customer_id join mystery.things x on true`,
      ['customer_id', 'missing'],
    );
    expect(l.unresolved).toEqual([
      'select: unknown relation mystery.things',
      'select customer_id: customer_id is ambiguous',
      'select nope: cannot tell where nope comes from',
      'select y: cannot tell where x.y comes from',
      'the query produces no column missing',
    ]);
    const broken = lineage('select from where', ['a']);
    expect(broken.unresolved[0]).toMatch(/^the SQL does not parse/);
  });
});

describe('the project’s lineage', () => {
  let project: Project;
  let graph: LineageGraph;
  beforeAll(async () => {
    project = await loadProject({ root: projectRoot });
    graph = buildLineageGraph(project);
  });

  it('resolves every column of every model, with nothing reported', () => {
    for (const [model, l] of graph.models) {
      expect(l.unresolved, model).toEqual([]);
      expect(Object.keys(l.columns).sort(), model).toEqual(
        project.contracts
          .get(model)
          .properties.map((p) => p.name)
          .sort(),
      );
    }
  });

  it('gold.fact_orders.amount_usd comes from the order’s quantity and unit price and the FX rate', () => {
    expect(brief(graph.models.get('gold.fact_orders')!.columns.amount_usd!)).toEqual([
      'silver.fx_rates.usd_rate DIRECT/TRANSFORMATION',
      'silver.orders.quantity DIRECT/TRANSFORMATION',
      'silver.orders.unit_price DIRECT/TRANSFORMATION',
    ]);
    const upstream = graph
      .upstream('gold.fact_orders.amount_usd')
      .nodes.map((n) => `${n.dataset}.${n.column}`);
    expect(upstream).toEqual(
      expect.arrayContaining([
        'snowflake.orders.quantity',
        'snowflake.orders.unit_price',
        'fx.rates.rate',
        'snowflake://local-simulator/orders.quantity',
        'http://local-simulator/fx/v1/rates.rate',
      ]),
    );
  });

  it('gold.fact_orders comes from the Snowflake orders, the Kafka events and the FX rates', () => {
    const sources = graph
      .upstream('gold.fact_orders')
      .nodes.filter((n) => n.layer === 'bronze' || n.layer === 'source')
      .map((n) => n.dataset)
      .sort();
    expect(sources).toEqual([
      'fx.rates',
      'http://local-simulator/fx/v1/rates',
      'kafka.order_events',
      'kafka://local-simulator/order_events',
      'snowflake.orders',
      'snowflake://local-simulator/orders',
    ]);
  });

  it('a change to snowflake.customers.email reaches gold.dim_customer and gold.customer_360', () => {
    expect(
      graph
        .impact('snowflake.customers.email')
        .map((n) => `${n.dataset}.${n.column} ${n.classification}`),
    ).toEqual([
      'silver.customers.email pii',
      'gold.dim_customer.email pii',
      'gold.customer_360.email pii',
    ]);
  });

  it('a change to a join key reaches every row of the models that join on it', () => {
    const impacted = graph.impact('silver.orders.customer_id');
    expect(impacted).toContainEqual(
      expect.objectContaining({
        dataset: 'gold.customer_360',
        how: expect.arrayContaining(['indirect join', 'which rows exist']),
      }),
    );
  });

  it('gives each gold model’s columns their inputs', () => {
    const columns = (model: string) =>
      Object.fromEntries(
        Object.entries(graph.models.get(model)!.columns).map(([c, inputs]) => [c, brief(inputs)]),
      );
    expect(columns('gold.dim_product')).toEqual(
      Object.fromEntries(
        ['product_id', 'sku', 'name', 'category', 'list_price_usd', 'created_at', 'updated_at'].map(
          (c) => [c, [`silver.products.${c} DIRECT/IDENTITY`]],
        ),
      ),
    );
    expect(columns('gold.revenue_daily')).toEqual({
      order_date: ['gold.fact_orders.order_date DIRECT/IDENTITY'],
      orders: [],
      cancelled_orders: ['gold.fact_orders.status INDIRECT/CONDITIONAL'],
      units: [
        'gold.fact_orders.quantity DIRECT/AGGREGATION',
        'gold.fact_orders.status INDIRECT/CONDITIONAL',
      ],
      customers: ['gold.fact_orders.customer_id DIRECT/AGGREGATION'],
      revenue_usd: [
        'gold.fact_orders.amount_usd DIRECT/AGGREGATION',
        'gold.fact_orders.status INDIRECT/CONDITIONAL',
      ],
      avg_order_value_usd: [
        'gold.fact_orders.amount_usd DIRECT/AGGREGATION',
        'gold.fact_orders.status INDIRECT/CONDITIONAL',
      ],
    });
    expect(brief(graph.models.get('gold.dim_customer')!.columns.valid_to!)).toEqual([
      'silver.customers.updated_at DIRECT/TRANSFORMATION',
    ]);
  });

  it('names a dataset or column it does not know, with suggestions', () => {
    expect(() => graph.upstream('gold.fact_order')).toThrow(
      /No dataset gold.fact_order in the lineage graph/,
    );
    expect(() => graph.upstream('gold.fact_orders.nope')).toThrow(
      /gold.fact_orders has no column nope \(columns: order_id/,
    );
  });
});

describe('lineage as text', () => {
  it('draws each node under its parent, and a node reached twice once with a back-reference', () => {
    const node = (dataset: string, depth: number, layer: 'silver' | 'bronze') => ({
      dataset,
      depth,
      layer,
    });
    const text = lineageText({
      root: { dataset: 'gold.fact_orders' },
      direction: 'upstream',
      nodes: [
        node('silver.orders', 1, 'silver'),
        node('silver.fx_rates', 1, 'silver'),
        node('snowflake.orders', 2, 'bronze'),
        node('silver.fx_rates_published', 2, 'silver'),
      ],
      edges: [
        { from: 'silver.orders', to: 'gold.fact_orders' },
        { from: 'silver.fx_rates', to: 'gold.fact_orders' },
        { from: 'snowflake.orders', to: 'silver.orders' },
        { from: 'silver.fx_rates_published', to: 'silver.fx_rates' },
        { from: 'silver.fx_rates_published', to: 'silver.orders' },
      ],
    });
    expect(text).toBe(
      [
        'gold.fact_orders (upstream)',
        '├─ silver.orders  (silver)',
        '│  ├─ snowflake.orders  (bronze)',
        '│  └─ silver.fx_rates_published  (silver)',
        '└─ silver.fx_rates  (silver)',
        '   └─ silver.fx_rates_published  (↑ shown above)',
        '',
      ].join('\n'),
    );
  });
});
