/**
 * Orders. Ids ascend with `order_ts`, and everything about an order (customer, product, price,
 * lifecycle, dirt) is a pure function of its id and the state of customers, products and FX at
 * the time it was placed, all of which only grow forward. So 10M orders stream straight into
 * DuckDB, and a later day recomputes just the recent orders whose status moves that day, and the
 * Kafka log recomputes the orders whose events it carries, without holding any order in memory.
 */
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  dayOfWeek,
  startOfDay,
  timeOfDayForActivity,
} from './calendar';
import type { CustomerRegistry } from './customers';
import type { FxMarket } from './fx';
import type { ProductCatalog } from './products';
import { DirtSchedule, Random, WeightedChoice, sampleIds, streamId } from './random';
import {
  COUNTRIES,
  CURRENCIES,
  ORDER_CHANNELS,
  ORDER_STATUSES,
  UNKNOWN_CURRENCIES,
  type Currency,
  type OrderChannel,
  type OrderStatus,
} from './reference';
import type { StagedTable, StagedValue, TableSpec } from './warehouse';

/** Codes of the `currency` column: real currencies, then the unknown ones (dirt). */
const CURRENCY_CODES: readonly string[] = [...CURRENCIES, ...UNKNOWN_CURRENCIES];

export const ORDERS_TABLE: TableSpec = {
  database: 'snowflake',
  name: 'orders',
  columns: [
    { name: 'order_id', sqlType: 'BIGINT', encoding: { kind: 'integer' } },
    { name: 'customer_id', sqlType: 'BIGINT', encoding: { kind: 'optional_id' } },
    { name: 'product_id', sqlType: 'BIGINT', encoding: { kind: 'integer' } },
    { name: 'quantity', sqlType: 'INTEGER', encoding: { kind: 'integer' } },
    { name: 'unit_price', sqlType: 'DECIMAL(12,2)', encoding: { kind: 'number' } },
    { name: 'currency', sqlType: 'VARCHAR', encoding: { kind: 'code', values: CURRENCY_CODES } },
    { name: 'order_ts', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'status', sqlType: 'VARCHAR', encoding: { kind: 'code', values: ORDER_STATUSES } },
    { name: 'channel', sqlType: 'VARCHAR', encoding: { kind: 'code', values: ORDER_CHANNELS } },
    { name: 'updated_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'is_deleted', sqlType: 'BOOLEAN', encoding: { kind: 'boolean' } },
  ],
};

/** Days of order history in the initial load, ending with day 1. */
export const ORDER_HISTORY_DAYS = 365;
/** Longest time from placing an order to its last status change (pay, ship within 3 days, deliver within 5). */
export const ORDER_LIFECYCLE_MAX_MS = 9 * DAY_MS;
/** Share of `scale` placed on each later day. */
const NEW_ORDERS_PER_DAY = 0.006;
/** Share of `scale` deleted on each later day. */
const DELETED_ORDERS_PER_DAY = 0.0005;

/** Relative order volume by weekday, Sunday first: weekends sell more. */
const WEEKDAY_VOLUME = [1.15, 0.95, 0.93, 0.95, 1.0, 1.05, 1.2];

/** Relative order volume of a history day: the shop grows, and sells most from Black Friday to Christmas. */
function historyDayVolume(dayStart: number, daysAgo: number): number {
  const date = new Date(dayStart);
  const month = date.getUTCMonth();
  const dayOfMonth = date.getUTCDate();
  const holidaySeason = (month === 10 && dayOfMonth >= 20) || (month === 11 && dayOfMonth <= 23);
  const growth = Math.exp((-0.5 * daysAgo) / ORDER_HISTORY_DAYS);
  return growth * WEEKDAY_VOLUME[dayOfWeek(dayStart)]! * (holidaySeason ? 1.4 : 1);
}

/**
 * Which order ids were placed on which day. Ids are dense and ascend with time, so a day's
 * orders are one id range, and an order's time follows from its id.
 */
export class OrderCalendar {
  private readonly firstDay: number;
  private readonly firstIds: number[] = [];
  private readonly counts: number[] = [];

  constructor(seed: number, scale: number, startDay: number, days: number) {
    const random = new Random(streamId(seed, 'orders.calendar'));
    this.firstDay = startDay - (ORDER_HISTORY_DAYS - 1) * DAY_MS;
    const volumes = Array.from({ length: ORDER_HISTORY_DAYS }, (_, day) =>
      historyDayVolume(this.firstDay + day * DAY_MS, ORDER_HISTORY_DAYS - 1 - day),
    );
    const totalVolume = volumes.reduce((sum, volume) => sum + volume, 0);
    let cumulativeVolume = 0;
    let placed = 0;
    for (const volume of volumes) {
      cumulativeVolume += volume;
      const placedByEndOfDay = Math.round((scale * cumulativeVolume) / totalVolume);
      this.addDay(placedByEndOfDay - placed);
      placed = placedByEndOfDay;
    }
    for (let day = 2; day <= days; day++) {
      const weekday = dayOfWeek(startDay + (day - 1) * DAY_MS);
      const expected =
        scale * NEW_ORDERS_PER_DAY * WEEKDAY_VOLUME[weekday]! * random.between(0.9, 1.1);
      this.addDay(Math.max(1, Math.round(expected)));
    }
  }

  /** The highest order id. */
  get lastId(): number {
    return this.firstIds[this.firstIds.length - 1]! + this.counts[this.counts.length - 1]! - 1;
  }

  /** The first id placed on or after the day holding `ms` (one past the last id if none). */
  firstIdFromDayOf(ms: number): number {
    const day = Math.floor((startOfDay(ms) - this.firstDay) / DAY_MS);
    if (day <= 0) return 1;
    return this.firstIds[day] ?? this.lastId + 1;
  }

  /** When order `id` was placed; `u` in [0, 1) spreads orders inside their slot, keeping ids in time order. */
  placedAt(id: number, u: number): number {
    const day = this.dayOf(id);
    const fraction = (id - this.firstIds[day]! + u) / this.counts[day]!;
    const time = this.firstDay + day * DAY_MS + timeOfDayForActivity(fraction);
    return Math.floor(time / SECOND_MS) * SECOND_MS;
  }

  /** Whether `id` is the first order of its day. */
  isFirstOfDay(id: number): boolean {
    return this.firstIds[this.dayOf(id)] === id;
  }

  private addDay(count: number): void {
    const previous = this.firstIds.length - 1;
    this.firstIds.push(previous < 0 ? 1 : this.firstIds[previous]! + this.counts[previous]!);
    this.counts.push(count);
  }

  /** The last day whose first id is at most `id` (days without orders share the next day's first id). */
  private dayOf(id: number): number {
    let low = 0;
    let high = this.firstIds.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.firstIds[middle]! <= id) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}

export type OrderDirt = 'customer_missing' | 'quantity_invalid' | 'currency_unknown';

/** Everything about one order, recomputed in place (one instance is reused for millions of orders). */
export class OrderFacts {
  orderId = 0;
  placedAt = 0;
  customerId = 0;
  productId = 0;
  quantity = 0;
  unitPrice = 0;
  currency: Currency = 'USD';
  channel: OrderChannel = 'web';
  /** `NaN` when the order never reaches the status. */
  paidAt = NaN;
  shippedAt = NaN;
  deliveredAt = NaN;
  cancelledAt = NaN;
  /** What the warehouse row shows instead of the truth. */
  storedCustomerId: number | null = null;
  storedQuantity = 0;
  storedCurrency = 'USD';

  statusAt(ms: number): OrderStatus {
    if (this.cancelledAt <= ms) return 'cancelled';
    if (this.deliveredAt <= ms) return 'delivered';
    if (this.shippedAt <= ms) return 'shipped';
    if (this.paidAt <= ms) return 'paid';
    return 'placed';
  }

  /** Time of the last status change at or before `ms`. */
  lastChangeAt(ms: number): number {
    let last = this.placedAt;
    if (this.paidAt <= ms && this.paidAt > last) last = this.paidAt;
    if (this.shippedAt <= ms && this.shippedAt > last) last = this.shippedAt;
    if (this.deliveredAt <= ms && this.deliveredAt > last) last = this.deliveredAt;
    if (this.cancelledAt <= ms && this.cancelledAt > last) last = this.cancelledAt;
    return last;
  }
}

const BASE_QUANTITY = new WeightedChoice([
  [1, 62],
  [2, 22],
  [3, 9],
  [4, 4],
  [5, 3],
]);
const CHANNEL = new WeightedChoice<OrderChannel>([
  ['web', 55],
  ['mobile', 33],
  ['store', 12],
]);
const DISCOUNT = new WeightedChoice([
  [0, 75],
  [0.05, 10],
  [0.1, 8],
  [0.15, 5],
  [0.2, 2],
]);

/** A whole millisecond between `min` and `max` after `from`. */
function later(random: Random, from: number, min: number, max: number): number {
  return from + Math.round(random.between(min, max));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export class OrderBook {
  /** Orders deleted so far, with the time of deletion. */
  readonly deletedAt = new Map<number, number>();
  private readonly factsStream: number;
  private readonly scratch: Random;
  private readonly changes: Random;
  private readonly duplicates: Random;
  private readonly recordDirt: DirtSchedule<OrderDirt>;
  private readonly facts = new OrderFacts();
  private readonly row: StagedValue[] = [];

  constructor(
    seed: number,
    private readonly scale: number,
    readonly calendar: OrderCalendar,
    private readonly customers: CustomerRegistry,
    private readonly products: ProductCatalog,
    private readonly fx: FxMarket,
    private readonly table: StagedTable,
  ) {
    this.factsStream = streamId(seed, 'orders.facts');
    this.scratch = new Random(this.factsStream);
    this.changes = new Random(streamId(seed, 'orders.changes'));
    this.duplicates = new Random(streamId(seed, 'orders.duplicates'));
    this.recordDirt = new DirtSchedule<OrderDirt>(
      [
        ['customer_missing', 0.003],
        ['quantity_invalid', 0.003],
        ['currency_unknown', 0.003],
      ],
      { random: new Random(streamId(seed, 'orders.forced-dirt')), batchSize: scale },
    );
  }

  /** Fills `facts` with order `id`. */
  compute(id: number, facts: OrderFacts): OrderFacts {
    const random = this.scratch.reseed(this.factsStream, id);
    facts.orderId = id;
    facts.placedAt = this.calendar.placedAt(id, random.float());
    facts.customerId = this.customers.pickAt(random, facts.placedAt);
    facts.productId = this.products.pickFor(random, facts.placedAt);
    facts.currency = COUNTRIES[this.customers.countryIndex[facts.customerId - 1]!]!.currency;
    const baseQuantity = BASE_QUANTITY.pick(random);
    const segment = this.customers.initialSegment[facts.customerId - 1];
    facts.quantity =
      segment === 0
        ? baseQuantity
        : baseQuantity * (segment === 1 ? random.intBetween(1, 4) : random.intBetween(5, 20));
    facts.channel = CHANNEL.pick(random);
    const discount = DISCOUNT.pick(random);
    const listPriceUsd = this.products.priceAt(facts.productId, facts.placedAt);
    facts.unitPrice = round2(
      listPriceUsd * this.fx.rate(facts.currency, facts.placedAt) * (1 - discount),
    );
    this.drawLifecycle(random, facts);

    facts.storedCustomerId = facts.customerId;
    facts.storedQuantity = facts.quantity;
    facts.storedCurrency = facts.currency;
    switch (this.recordDirt.kindAt(id - 1, random)) {
      case 'customer_missing':
        facts.storedCustomerId = null;
        break;
      case 'quantity_invalid':
        facts.storedQuantity = random.chance(0.5) ? 0 : -facts.quantity;
        break;
      case 'currency_unknown':
        facts.storedCurrency = random.pick(UNKNOWN_CURRENCIES);
        break;
    }
    return facts;
  }

  /** Day 1: the whole history, each order as the source showed it at the end of the day. */
  writeInitial(dayEnd: number, onProgress: (done: number) => void): void {
    const duplicates = new DirtSchedule<'duplicate'>([['duplicate', 0.005]], {
      random: this.duplicates,
      batchSize: this.scale,
    });
    const facts = this.facts;
    for (let id = 1; id <= this.scale; id++) {
      this.compute(id, facts);
      this.writeVersion(
        facts,
        facts.statusAt(dayEnd - 1),
        facts.lastChangeAt(dayEnd - 1),
        false,
        duplicates.kindAt(id - 1, this.duplicates) !== undefined,
      );
      if (id % 65_536 === 0) onProgress(id);
    }
    onProgress(this.scale);
  }

  /** A later day: new orders, status changes of recent orders, and a few deletions. */
  writeDay(dayStart: number): void {
    const dayEnd = dayStart + DAY_MS;
    const firstNewId = this.calendar.firstIdFromDayOf(dayStart);
    const endId = this.calendar.firstIdFromDayOf(dayEnd);
    const deletions = sampleIds(
      this.changes,
      Math.max(1, Math.round(this.scale * DELETED_ORDERS_PER_DAY)),
      firstNewId - 1,
      (id) => !this.deletedAt.has(id),
    );
    for (const id of deletions) this.deletedAt.set(id, dayStart + this.changes.below(DAY_MS));

    const duplicates = new DirtSchedule<'duplicate'>([['duplicate', 0.005]]);
    const isDuplicated = () => duplicates.kindAt(-1, this.duplicates) !== undefined;
    const facts = this.facts;
    const recentFrom = this.calendar.firstIdFromDayOf(dayStart - ORDER_LIFECYCLE_MAX_MS);
    for (const id of deletions) {
      if (id >= recentFrom) continue;
      const deletedAt = this.deletedAt.get(id)!;
      this.compute(id, facts);
      this.writeVersion(facts, facts.statusAt(deletedAt), deletedAt, true, isDuplicated());
    }
    for (let id = recentFrom; id < endId; id++) {
      const deletedAt = this.deletedAt.get(id);
      if (deletedAt !== undefined && deletedAt < dayStart) continue;
      this.compute(id, facts);
      if (deletedAt !== undefined) {
        this.writeVersion(facts, facts.statusAt(deletedAt), deletedAt, true, isDuplicated());
      } else if (facts.lastChangeAt(dayEnd - 1) >= dayStart) {
        this.writeVersion(
          facts,
          facts.statusAt(dayEnd - 1),
          facts.lastChangeAt(dayEnd - 1),
          false,
          isDuplicated(),
        );
      }
    }
  }

  /**
   * Placed, then paid within minutes; shipped within 3 days and delivered within 5 more. Some
   * payments fail and some paid orders are cancelled before shipping. Store sales are handed
   * over on the spot.
   */
  private drawLifecycle(random: Random, facts: OrderFacts): void {
    facts.paidAt = NaN;
    facts.shippedAt = NaN;
    facts.deliveredAt = NaN;
    facts.cancelledAt = NaN;
    if (facts.channel === 'store') {
      facts.paidAt = later(random, facts.placedAt, 20 * SECOND_MS, 3 * MINUTE_MS);
      facts.deliveredAt = later(random, facts.paidAt, MINUTE_MS, 10 * MINUTE_MS);
      return;
    }
    if (random.chance(0.02)) {
      facts.cancelledAt = later(random, facts.placedAt, 30 * MINUTE_MS, 48 * HOUR_MS);
      return;
    }
    facts.paidAt = later(random, facts.placedAt, 5 * SECOND_MS, 20 * MINUTE_MS);
    if (random.chance(0.03)) {
      facts.cancelledAt = later(random, facts.paidAt, HOUR_MS, 36 * HOUR_MS);
      return;
    }
    facts.shippedAt = later(random, facts.paidAt, 3 * HOUR_MS, 72 * HOUR_MS);
    facts.deliveredAt = later(random, facts.shippedAt, 20 * HOUR_MS, 120 * HOUR_MS);
  }

  private writeVersion(
    facts: OrderFacts,
    status: OrderStatus,
    updatedAt: number,
    isDeleted: boolean,
    duplicated: boolean,
  ): void {
    const row = this.row;
    row[0] = facts.orderId;
    row[1] = facts.storedCustomerId ?? -1;
    row[2] = facts.productId;
    row[3] = facts.storedQuantity;
    row[4] = facts.unitPrice;
    row[5] = CURRENCY_CODES.indexOf(facts.storedCurrency);
    row[6] = facts.placedAt;
    row[7] = ORDER_STATUSES.indexOf(status);
    row[8] = ORDER_CHANNELS.indexOf(facts.channel);
    row[9] = updatedAt;
    row[10] = isDeleted;
    this.table.appendRow(row);
    if (duplicated) this.table.appendRow(row);
  }
}
