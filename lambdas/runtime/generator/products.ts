/**
 * The product catalog: SKUs with charm-priced USD list prices, ids ascending with `created_at`,
 * re-priced on later days. Every price version is kept, so an order is always priced with the
 * list price that was current when it was placed.
 */
import { DAY_MS } from './calendar';
import { Random, sampleIds, streamId } from './random';
import {
  PRODUCT_BRANDS,
  PRODUCT_CATEGORIES,
  PRODUCT_VARIANTS,
  type ProductCategory,
} from './reference';
import type { StagedTable, StagedValue, TableSpec } from './warehouse';

export const PRODUCTS_TABLE: TableSpec = {
  database: 'snowflake',
  name: 'products',
  columns: [
    { name: 'product_id', sqlType: 'BIGINT', encoding: { kind: 'integer' } },
    { name: 'sku', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'name', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    {
      name: 'category',
      sqlType: 'VARCHAR',
      encoding: { kind: 'code', values: PRODUCT_CATEGORIES.map((c) => c.name) },
    },
    { name: 'list_price_usd', sqlType: 'DECIMAL(10,2)', encoding: { kind: 'number' } },
    { name: 'created_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'updated_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'is_deleted', sqlType: 'BOOLEAN', encoding: { kind: 'boolean' } },
  ],
};

interface PriceVersion {
  readonly at: number;
  readonly priceUsd: number;
}

interface Product {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly categoryIndex: number;
  readonly createdAt: number;
  /** Ascending by `at`; the first is the product's creation. */
  readonly prices: PriceVersion[];
}

/** `12.99`, `249.99`: how shops price. */
function charmPrice(priceUsd: number): number {
  const rounded =
    priceUsd < 200 ? Math.floor(priceUsd) + 0.99 : Math.round(priceUsd / 10) * 10 - 0.01;
  return Math.round(Math.max(rounded, 0.99) * 100) / 100;
}

export class ProductCatalog {
  private readonly products: Product[] = [];
  private readonly random: Random;
  private readonly row: StagedValue[] = [];

  constructor(
    seed: number,
    private readonly table: StagedTable,
    private readonly initialCount: number,
  ) {
    this.random = new Random(streamId(seed, 'products'));
  }

  get count(): number {
    return this.products.length;
  }

  /** Day 1: the catalog built up over the year before the order history starts. */
  writeInitial(from: number, to: number): void {
    for (let i = 0; i < this.initialCount; i++) {
      const createdAt = Math.floor(
        from + ((i + this.random.float()) / this.initialCount) * (to - from),
      );
      this.writeVersion(this.create(createdAt), createdAt);
    }
  }

  /** A later day: about 2% of products re-priced, a few new ones. */
  writeDay(dayStart: number): void {
    const existing = this.products.length;
    const repriced = sampleIds(
      this.random,
      Math.max(1, Math.round(existing * 0.02)),
      existing,
      () => true,
    );
    const changes = repriced.map((id) => ({ id, at: dayStart + this.random.below(DAY_MS) }));
    for (const { id, at } of changes) {
      const product = this.products[id - 1]!;
      const current = product.prices[product.prices.length - 1]!.priceUsd;
      let priceUsd = charmPrice(current * this.random.between(0.85, 1.15));
      if (priceUsd === current) priceUsd = charmPrice(current * 1.1 + 1);
      product.prices.push({ at, priceUsd });
      this.writeVersion(product, at);
    }
    const added = Math.max(1, Math.round(this.initialCount * 0.002));
    for (let i = 0; i < added; i++) {
      const createdAt = Math.floor(dayStart + ((i + this.random.float()) / added) * DAY_MS);
      this.writeVersion(this.create(createdAt), createdAt);
    }
  }

  /**
   * A product for an order placed at `ms`: among products that existed then, older ones (the
   * established bestsellers) are picked more often.
   */
  pickFor(random: Random, ms: number): number {
    let low = 0;
    let high = this.products.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.products[middle]!.createdAt <= ms) low = middle + 1;
      else high = middle;
    }
    const available = Math.max(low, 1);
    const u = random.float();
    return 1 + Math.floor(available * (random.chance(0.6) ? u * u : u));
  }

  /** The list price in force at `ms`. */
  priceAt(productId: number, ms: number): number {
    const prices = this.products[productId - 1]!.prices;
    for (let i = prices.length - 1; i > 0; i--) {
      if (prices[i]!.at <= ms) return prices[i]!.priceUsd;
    }
    return prices[0]!.priceUsd;
  }

  private create(createdAt: number): Product {
    const category = this.random.pick(PRODUCT_CATEGORIES);
    const id = this.products.length + 1;
    const product: Product = {
      id,
      sku: `${category.skuPrefix}-${String(id).padStart(6, '0')}`,
      name: `${this.random.pick(PRODUCT_BRANDS)} ${this.random.pick(category.items)}${this.random.pick(PRODUCT_VARIANTS)}`,
      categoryIndex: PRODUCT_CATEGORIES.indexOf(category),
      createdAt,
      prices: [{ at: createdAt, priceUsd: this.listPrice(category) }],
    };
    this.products.push(product);
    return product;
  }

  private listPrice(category: ProductCategory): number {
    return charmPrice(this.random.logBetween(category.minPriceUsd, category.maxPriceUsd));
  }

  private writeVersion(product: Product, at: number): void {
    const row = this.row;
    row[0] = product.id;
    row[1] = product.sku;
    row[2] = product.name;
    row[3] = product.categoryIndex;
    row[4] = this.priceAt(product.id, at);
    row[5] = product.createdAt;
    row[6] = at;
    row[7] = false;
    this.table.appendRow(row);
  }
}
