import { describe, expect, it } from 'vitest';
import { keyOnlyContract } from '../helpers/contracts';
import { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { ModelGraphError } from '../../lambdas/core/errors';
import { loadModelProject, type ModelFile } from '../../lambdas/core/models/project';
import { parseSelector, selectModels, type Selection } from '../../lambdas/core/models/selection';

const relations = [
  'bronze.shop_orders',
  'bronze.crm_accounts',
  'silver.orders',
  'silver.accounts',
  'silver.order_lines',
  'gold.revenue',
  'gold.orders',
  'gold.account_360',
];
const contracts = new ContractRegistry(relations.map(keyOnlyContract));
const model = (path: string, sql: string, tags: string[] = []): ModelFile => ({
  sqlPath: path,
  sql,
  ymlPath: path.replace('.sql', '.yml'),
  yml: `description: d\nmaterialization: table\ntags: [${tags.join(', ')}]\n`,
});

/**
 * shop.orders → silver.orders → silver.order_lines → gold.revenue
 *                            ↘ gold.orders
 * crm.accounts → silver.accounts ─────────────────→ gold.account_360 (also reads silver.orders)
 */
const project = loadModelProject(
  [
    model('models/silver/orders.sql', "select * from {{ source('shop', 'orders') }}", ['sales']),
    model('models/silver/accounts.sql', "select * from {{ source('crm', 'accounts') }}"),
    model('models/silver/order_lines.sql', "select * from {{ ref('silver.orders') }}", ['sales']),
    model('models/gold/revenue.sql', "select * from {{ ref('silver.order_lines') }}", ['finance']),
    model('models/gold/orders.sql', "select * from {{ ref('silver.orders') }}"),
    model(
      'models/gold/account_360.sql',
      "select * from {{ ref('silver.accounts') }} join {{ ref('silver.orders') }} using (id)",
      ['finance'],
    ),
  ],
  [],
  contracts,
);
/** The selected models' names, sorted: the order is checked once, in the first test. */
const select = (selection: Selection) =>
  selectModels(project, selection)
    .map((m) => m.name)
    .sort();

describe('model selection', () => {
  it('selects every model, in dependency order, when nothing is selected', () => {
    const order = selectModels(project, { select: ['silver.orders+'] }).map((m) => m.name);
    expect(order).toEqual(
      project.models.map((m) => m.name).filter((name) => name !== 'silver.accounts'),
    );
    expect(order.indexOf('silver.order_lines')).toBeLessThan(order.indexOf('gold.revenue'));
    expect(select({})).toEqual(project.models.map((m) => m.name).sort());
    expect(select({ select: [] })).toHaveLength(6);
  });

  it('selects a model by its full name or, in every layer, by its short name', () => {
    expect(select({ select: ['silver.orders'] })).toEqual(['silver.orders']);
    expect(select({ select: ['orders'] })).toEqual(['gold.orders', 'silver.orders']);
  });

  it('adds everything upstream with a leading + and downstream with a trailing +', () => {
    expect(select({ select: ['+gold.revenue'] })).toEqual([
      'gold.revenue',
      'silver.order_lines',
      'silver.orders',
    ]);
    expect(select({ select: ['silver.orders+'] })).toEqual([
      'gold.account_360',
      'gold.orders',
      'gold.revenue',
      'silver.order_lines',
      'silver.orders',
    ]);
    expect(select({ select: ['+silver.order_lines+'] })).toEqual([
      'gold.revenue',
      'silver.order_lines',
      'silver.orders',
    ]);
  });

  it('bounds the depth with a number beside the +', () => {
    expect(select({ select: ['1+gold.revenue'] })).toEqual(['gold.revenue', 'silver.order_lines']);
    expect(select({ select: ['silver.orders+1'] })).toEqual([
      'gold.account_360',
      'gold.orders',
      'silver.order_lines',
      'silver.orders',
    ]);
  });

  it('selects by tag, layer, source and glob', () => {
    expect(select({ select: ['tag:finance'] })).toEqual(['gold.account_360', 'gold.revenue']);
    expect(select({ select: ['layer:silver'] })).toEqual([
      'silver.accounts',
      'silver.order_lines',
      'silver.orders',
    ]);
    expect(select({ select: ['source:crm'] })).toEqual(['silver.accounts']);
    expect(select({ select: ['source:shop.orders+'] })).toHaveLength(5);
    expect(select({ select: ['gold.*'] })).toEqual([
      'gold.account_360',
      'gold.orders',
      'gold.revenue',
    ]);
  });

  it('takes the union of separate selectors and the intersection of comma-joined ones', () => {
    expect(select({ select: ['tag:sales', 'gold.orders'] })).toEqual([
      'gold.orders',
      'silver.order_lines',
      'silver.orders',
    ]);
    expect(select({ select: ['tag:sales gold.orders'] })).toHaveLength(3);
    expect(select({ select: ['silver.orders+,layer:gold'] })).toEqual([
      'gold.account_360',
      'gold.orders',
      'gold.revenue',
    ]);
  });

  it('removes what --exclude names after selecting', () => {
    expect(select({ select: ['silver.orders+'], exclude: ['tag:finance'] })).toEqual([
      'gold.orders',
      'silver.order_lines',
      'silver.orders',
    ]);
    expect(select({ exclude: ['layer:gold'] })).toHaveLength(3);
  });

  it('names a selector that matches nothing, with the nearest name or the known values', () => {
    expect(() => select({ select: ['silver.ordrs'] })).toThrow(
      'No model matches "silver.ordrs" (did you mean silver.orders?)',
    );
    expect(() => select({ select: ['tag:nope'] })).toThrow(
      'No model has tag:nope (known: finance, sales)',
    );
    expect(() => select({ select: ['layer:bronze'] })).toThrow(ModelGraphError);
  });

  it('rejects a malformed selector with what it accepts', () => {
    expect(() => parseSelector('owner:me')).toThrow(/Selector "owner:me" is not understood/);
    expect(() => parseSelector('a++')).toThrow(ModelGraphError);
    expect(parseSelector('2+tag:x+')).toEqual({ method: 'tag', value: 'x', up: 2, down: Infinity });
  });
});
