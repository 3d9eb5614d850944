import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../lambdas/core/errors';
import { generateSampleData, type GenerateSummary } from '../../lambdas/runtime/generator/index';
import { SAMPLE_FORMAT } from '../../lambdas/runtime/generator/format';

const SCALE = 2000;
const DAYS = 3;
const START_DATE = '2026-01-01';
const DATES = ['2026-01-01', '2026-01-02', '2026-01-03'];
const DAY_MS = 86_400_000;

const COUNTRY_CURRENCY: Record<string, string> = {
  US: 'USD',
  GB: 'GBP',
  DE: 'EUR',
  FR: 'EUR',
  ES: 'EUR',
  IT: 'EUR',
  NL: 'EUR',
  JP: 'JPY',
  CA: 'CAD',
  AU: 'AUD',
  CH: 'CHF',
  SE: 'SEK',
  IN: 'INR',
};
const COUNTRY_SPELLINGS: Record<string, string> = {
  usa: 'US',
  'united states': 'US',
  gbr: 'GB',
  'united kingdom': 'GB',
  deu: 'DE',
  germany: 'DE',
  fra: 'FR',
  france: 'FR',
  esp: 'ES',
  spain: 'ES',
  ita: 'IT',
  italy: 'IT',
  nld: 'NL',
  netherlands: 'NL',
  jpn: 'JP',
  japan: 'JP',
  can: 'CA',
  canada: 'CA',
  aus: 'AU',
  australia: 'AU',
  che: 'CH',
  switzerland: 'CH',
  swe: 'SE',
  sweden: 'SE',
  ind: 'IN',
  india: 'IN',
};
const VALID_EMAIL = /^[a-z0-9._+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;

/** ISO code of a customer's `country` spelling, or undefined for the unknown-country dirt. */
function countryCode(spelling: string): string | undefined {
  const lower = spelling.trim().toLowerCase();
  const code = lower.toUpperCase();
  return code in COUNTRY_CURRENCY ? code : COUNTRY_SPELLINGS[lower];
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function readJsonLines(file: string): unknown[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as unknown);
}

/** One generated `_sim/` folder, its warehouse files opened read-only. */
class GeneratedLake {
  private constructor(
    readonly simDir: string,
    readonly summary: GenerateSummary,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async generate(seed: number): Promise<GeneratedLake> {
    const lakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-test-'));
    const summary = await generateSampleData({
      lakeRoot,
      scale: SCALE,
      days: DAYS,
      seed,
      startDate: START_DATE,
    });
    const simDir = path.join(lakeRoot, '_sim');
    const instance = await DuckDBInstance.create(':memory:', {
      threads: '2',
      autoinstall_known_extensions: 'false',
    });
    const connection = await instance.connect();
    await connection.run(
      `ATTACH '${path.join(simDir, 'snowflake.duckdb')}' AS snowflake (READ_ONLY)`,
    );
    await connection.run(
      `ATTACH '${path.join(simDir, 'redshift.duckdb')}' AS redshift (READ_ONLY)`,
    );
    return new GeneratedLake(simDir, summary, instance, connection);
  }

  async rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson() as T[];
  }

  async count(sql: string): Promise<number> {
    const [row] = await this.rows<{ n: string }>(`SELECT count(*) AS n FROM (${sql})`);
    return Number(row!.n);
  }

  /** Every row of a table in stored order, as text, for byte-for-byte comparison. */
  async tableContent(table: string): Promise<string[]> {
    const rows = await this.rows<{ line: string }>(
      `SELECT CAST(t AS VARCHAR) AS line FROM ${table} t ORDER BY rowid`,
    );
    return rows.map((row) => row.line);
  }

  jsonLines(...parts: string[]): unknown[] {
    return readJsonLines(path.join(this.simDir, ...parts));
  }

  fileText(...parts: string[]): string {
    return fs.readFileSync(path.join(this.simDir, ...parts), 'utf8');
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    fs.rmSync(path.dirname(this.simDir), { recursive: true, force: true });
  }
}

interface KafkaLine {
  offset: number;
  timestamp: number;
  key: string;
  value: string;
}

interface OrderEvent {
  event_id?: string;
  order_id?: number;
  customer_id?: number;
  event_type?: string;
  event_time?: string;
  amount?: number;
  currency?: string;
}

const WAREHOUSE_TABLES = [
  'snowflake.customers',
  'snowflake.products',
  'snowflake.orders',
  'redshift.customer_behavior',
];
const JSON_FILES = [
  ['crm', 'accounts.jsonl'],
  ['crm', 'contacts.jsonl'],
  ['crm', 'opportunities.jsonl'],
  ['fx', 'rates.jsonl'],
  ['kafka', 'order_events', 'partition-0.jsonl'],
  ['kafka', 'order_events', 'partition-1.jsonl'],
  ['kafka', 'order_events', 'partition-2.jsonl'],
];

describe('generateSampleData', () => {
  let lake: GeneratedLake;
  let sameSeed: GeneratedLake;
  let otherSeed: GeneratedLake;
  let kafka: KafkaLine[][];

  beforeAll(async () => {
    lake = await GeneratedLake.generate(7);
    sameSeed = await GeneratedLake.generate(7);
    otherSeed = await GeneratedLake.generate(8);
    // The log keeps keys and values as bytes (base64); these tests read their text.
    const text = (bytes: string) => Buffer.from(bytes, 'base64').toString('utf8');
    kafka = [0, 1, 2].map((partition) =>
      (lake.jsonLines('kafka', 'order_events', `partition-${partition}.jsonl`) as KafkaLine[]).map(
        (line) => ({ ...line, key: text(line.key), value: text(line.value) }),
      ),
    );
  });

  afterAll(() => {
    for (const generated of [lake, sameSeed, otherSeed]) generated?.close();
  });

  it('writes the documented files and a manifest that matches the summary', () => {
    expect(lake.summary.dates).toEqual(DATES);
    for (const file of [
      ['snowflake.duckdb'],
      ['redshift.duckdb'],
      ['manifest.json'],
      ...JSON_FILES,
    ]) {
      expect(fs.existsSync(path.join(lake.simDir, ...file)), file.join('/')).toBe(true);
    }
    const manifest = JSON.parse(lake.fileText('manifest.json')) as Record<string, unknown>;
    expect(manifest).toEqual({
      format: SAMPLE_FORMAT,
      seed: 7,
      scale: SCALE,
      days: DAYS,
      startDate: START_DATE,
      dates: DATES,
      datasets: Object.fromEntries(
        lake.summary.datasets.map(({ dataset, rows }) => [dataset, rows]),
      ),
    });
    expect(lake.summary.datasets.map(({ dataset }) => dataset)).toEqual([
      'snowflake.customers',
      'snowflake.products',
      'snowflake.orders',
      'redshift.customer_behavior',
      'crm.accounts',
      'crm.contacts',
      'crm.opportunities',
      'fx.rates',
      'kafka.order_events',
    ]);
    // Only the published folder is left in the lake: no scratch folder, no staging database.
    expect(fs.readdirSync(path.dirname(lake.simDir))).toEqual(['_sim']);
    expect(fs.readdirSync(lake.simDir).sort()).toEqual([
      'crm',
      'fx',
      'kafka',
      'manifest.json',
      'redshift.duckdb',
      'snowflake.duckdb',
    ]);
  });

  it('is deterministic: the same seed gives identical content, another seed different content', async () => {
    for (const table of WAREHOUSE_TABLES) {
      expect(await sameSeed.tableContent(table), table).toEqual(await lake.tableContent(table));
    }
    for (const file of [...JSON_FILES, ['manifest.json']]) {
      expect(sameSeed.fileText(...file), file.join('/')).toBe(lake.fileText(...file));
    }
    for (const table of WAREHOUSE_TABLES) {
      expect(await otherSeed.tableContent(table), table).not.toEqual(
        await lake.tableContent(table),
      );
    }
    for (const file of JSON_FILES) {
      expect(otherSeed.fileText(...file), file.join('/')).not.toBe(lake.fileText(...file));
    }
  });

  it('writes the documented volumes', async () => {
    const dayOne = `updated_at < TIMESTAMP '${DATES[1]}'`;
    expect(
      await lake.count(`SELECT DISTINCT customer_id FROM snowflake.customers WHERE ${dayOne}`),
    ).toBe(SCALE / 10);
    expect(
      await lake.count(`SELECT DISTINCT product_id FROM snowflake.products WHERE ${dayOne}`),
    ).toBe(50);
    expect(await lake.count(`SELECT DISTINCT order_id FROM snowflake.orders WHERE ${dayOne}`)).toBe(
      SCALE,
    );
    const [history] = await lake.rows<{ first: string; last: string }>(
      `SELECT min(order_ts)::VARCHAR AS first, max(order_ts)::VARCHAR AS last FROM snowflake.orders WHERE ${dayOne}`,
    );
    expect(Date.parse(`${history!.first}Z`)).toBeGreaterThanOrEqual(
      Date.parse(`${DATES[0]}T00:00:00Z`) - 364 * DAY_MS,
    );
    expect(history!.last < DATES[1]!).toBe(true);
    expect(
      await lake.count(
        `SELECT DISTINCT customer_id, activity_date FROM redshift.customer_behavior WHERE activity_date <= DATE '${DATES[0]}'`,
      ),
    ).toBeGreaterThanOrEqual(7 * (SCALE / 50) - 3);
    expect(await lake.count(`SELECT DISTINCT activity_date FROM redshift.customer_behavior`)).toBe(
      7 + DAYS - 1,
    );

    for (const day of DATES.slice(1)) {
      const inDay = `CAST(updated_at AS DATE) = DATE '${day}'`;
      const newOrders = await lake.count(
        `SELECT DISTINCT order_id FROM snowflake.orders WHERE ${inDay} AND CAST(order_ts AS DATE) = DATE '${day}'`,
      );
      expect(newOrders, `new orders on ${day}`).toBeGreaterThanOrEqual(SCALE * 0.006 * 0.8);
      expect(newOrders, `new orders on ${day}`).toBeLessThanOrEqual(SCALE * 0.006 * 1.4);
      const changed = await lake.count(
        `SELECT DISTINCT order_id FROM snowflake.orders WHERE ${inDay} AND CAST(order_ts AS DATE) < DATE '${day}' AND NOT is_deleted`,
      );
      expect(changed, `changed orders on ${day}`).toBeGreaterThanOrEqual(SCALE * 0.002);
      expect(changed, `changed orders on ${day}`).toBeLessThanOrEqual(SCALE * 0.02);
      expect(await lake.count(`SELECT * FROM snowflake.orders WHERE ${inDay} AND is_deleted`)).toBe(
        1,
      );
      expect(
        await lake.count(`SELECT DISTINCT customer_id FROM snowflake.customers WHERE ${inDay}`),
      ).toBeGreaterThanOrEqual(4);
      expect(
        await lake.count(
          `SELECT DISTINCT customer_id FROM redshift.customer_behavior WHERE activity_date = DATE '${day}'`,
        ),
      ).toBeGreaterThanOrEqual(SCALE / 50 - 2);
    }

    expect(lake.jsonLines('crm', 'accounts.jsonl').length).toBeGreaterThanOrEqual(20 + DAYS - 1);
    const contacts = lake.jsonLines('crm', 'contacts.jsonl') as { updated_at: string }[];
    expect(contacts.filter((contact) => contact.updated_at < DATES[1]!)).toHaveLength(50);
    const opportunities = lake.jsonLines('crm', 'opportunities.jsonl') as { updated_at: string }[];
    expect(opportunities.filter((opportunity) => opportunity.updated_at < DATES[1]!)).toHaveLength(
      20,
    );

    // About three events per order placed in the week up to day 1.
    const dayOneEnd = Date.parse(`${DATES[1]}T00:00:00Z`);
    const dayOneEvents = kafka.flat().filter((line) => line.timestamp < dayOneEnd).length;
    const lastWeekOrders = await lake.count(
      `SELECT DISTINCT order_id FROM snowflake.orders WHERE order_ts >= TIMESTAMP '${DATES[0]}' - INTERVAL 6 DAY AND order_ts < TIMESTAMP '${DATES[1]}'`,
    );
    expect(dayOneEvents / lastWeekOrders).toBeGreaterThan(2);
    expect(dayOneEvents / lastWeekOrders).toBeLessThan(5);
  });

  it('carries inserts, updates and deletes on later days as new versions', async () => {
    for (const day of DATES.slice(1)) {
      const inDay = `CAST(updated_at AS DATE) = DATE '${day}'`;
      const updatedOrders = await lake.count(
        `SELECT order_id FROM snowflake.orders WHERE ${inDay} AND NOT is_deleted
         AND order_id IN (SELECT order_id FROM snowflake.orders WHERE updated_at < TIMESTAMP '${day}')`,
      );
      expect(updatedOrders, `order updates on ${day}`).toBeGreaterThan(0);
      const updatedCustomers = await lake.count(
        `SELECT customer_id FROM snowflake.customers WHERE ${inDay} AND NOT is_deleted
         AND customer_id IN (SELECT customer_id FROM snowflake.customers WHERE updated_at < TIMESTAMP '${day}')`,
      );
      expect(updatedCustomers, `customer updates on ${day}`).toBeGreaterThan(0);
      expect(
        await lake.count(`SELECT * FROM snowflake.customers WHERE ${inDay} AND is_deleted`),
      ).toBeGreaterThan(0);
      expect(
        await lake.count(
          `SELECT * FROM snowflake.customers WHERE ${inDay} AND CAST(created_at AS DATE) = DATE '${day}'`,
        ),
      ).toBeGreaterThan(0);
      expect(await lake.count(`SELECT * FROM snowflake.products WHERE ${inDay}`)).toBeGreaterThan(
        0,
      );
      for (const file of ['accounts.jsonl', 'contacts.jsonl', 'opportunities.jsonl']) {
        const changes = (lake.jsonLines('crm', file) as { updated_at: string }[]).filter((record) =>
          record.updated_at.startsWith(day),
        );
        expect(changes.length, `${file} on ${day}`).toBeGreaterThan(0);
      }
      expect(
        lake
          .jsonLines('fx', 'rates.jsonl')
          .some((rate) => (rate as { rate_date: string }).rate_date === DATES[1]),
      ).toBe(true);
    }
    // A version never goes back in time, and a deleted record stays deleted.
    expect(
      await lake.count(`
        SELECT * FROM (
          SELECT is_deleted, lag(is_deleted) OVER (PARTITION BY order_id ORDER BY updated_at, rowid) AS was_deleted
          FROM snowflake.orders)
        WHERE was_deleted AND NOT is_deleted`),
    ).toBe(0);
    // Status moves forward: each version's status is at least as far along as the previous one.
    expect(
      await lake.count(`
        SELECT * FROM (
          SELECT list_position(['placed', 'paid', 'shipped', 'delivered', 'cancelled'], status) AS step,
                 lag(list_position(['placed', 'paid', 'shipped', 'delivered', 'cancelled'], status))
                   OVER (PARTITION BY order_id ORDER BY updated_at, rowid) AS previous_step
          FROM snowflake.orders)
        WHERE step < previous_step`),
    ).toBe(0);
  });

  it('puts every documented kind of dirt in, at small rates', async () => {
    const customers = await lake.rows<{ email: string | null; phone: string; country: string }>(
      `SELECT email, phone, country FROM snowflake.customers`,
    );
    const emails = customers.map((customer) => customer.email);
    expect(emails).toContain(null);
    const fixable = emails.filter(
      (email) =>
        email !== null &&
        email !== email.trim().toLowerCase() &&
        VALID_EMAIL.test(email.trim().toLowerCase()),
    );
    const malformed = emails.filter(
      (email) => email !== null && !VALID_EMAIL.test(email.trim().toLowerCase()),
    );
    expect(fixable.length).toBeGreaterThan(0);
    expect(malformed.length).toBeGreaterThan(0);
    expect(fixable.length + malformed.length).toBeLessThan(customers.length * 0.1);
    const phones = customers.map((customer) => customer.phone);
    expect(phones.filter((phone) => phone.toLowerCase() === 'n/a').length).toBeGreaterThan(0);
    expect(phones.filter((phone) => /^\d{1,5}$/.test(phone)).length).toBeGreaterThan(0);
    expect(phones.some((phone) => /^\+\d{1,2} /.test(phone))).toBe(true);
    expect(phones.some((phone) => /^00\d{1,2} /.test(phone))).toBe(true);
    expect(phones.some((phone) => /^\(\d{3}\) \d{3}-\d{4}$/.test(phone))).toBe(true);
    const countries = customers.map((customer) => customer.country);
    const unknownCountries = countries.filter((country) => countryCode(country) === undefined);
    expect(unknownCountries.length).toBeGreaterThan(0);
    expect(unknownCountries.length).toBeLessThan(customers.length * 0.05);
    expect(countries.some((country) => /^[A-Z]{3}$/.test(country) && countryCode(country))).toBe(
      true,
    );
    expect(countries.some((country) => country.length > 3 && countryCode(country))).toBe(true);

    expect(
      await lake.count(`SELECT * FROM snowflake.orders WHERE customer_id IS NULL`),
    ).toBeGreaterThan(0);
    expect(await lake.count(`SELECT * FROM snowflake.orders WHERE quantity <= 0`)).toBeGreaterThan(
      0,
    );
    expect(
      await lake.count(`SELECT * FROM snowflake.orders WHERE currency IN ('XXX', 'ZZZ')`),
    ).toBeGreaterThan(0);
    expect(
      await lake.count(`SELECT * FROM snowflake.orders GROUP BY ALL HAVING count(*) > 1`),
    ).toBeGreaterThan(0);
    const dirtyOrders = await lake.count(
      `SELECT DISTINCT order_id FROM snowflake.orders WHERE customer_id IS NULL OR quantity <= 0 OR currency IN ('XXX', 'ZZZ')`,
    );
    expect(dirtyOrders).toBeLessThan(SCALE * 0.05);

    expect(
      await lake.count(`SELECT * FROM redshift.customer_behavior WHERE customer_id IS NULL`),
    ).toBeGreaterThan(0);
    expect(
      await lake.count(`SELECT * FROM redshift.customer_behavior WHERE page_views < 0`),
    ).toBeGreaterThan(0);
    expect(
      await lake.count(`SELECT * FROM redshift.customer_behavior GROUP BY ALL HAVING count(*) > 1`),
    ).toBeGreaterThan(0);

    const contacts = lake.jsonLines('crm', 'contacts.jsonl') as {
      email: string | null;
      phone: string;
      customer_id: number | null;
    }[];
    expect(contacts.some((contact) => contact.email === null)).toBe(true);
    expect(
      contacts.some(
        (contact) => contact.email !== null && contact.email !== contact.email.trim().toLowerCase(),
      ),
    ).toBe(true);
    expect(
      contacts.some(
        (contact) =>
          contact.email !== null && !VALID_EMAIL.test(contact.email.trim().toLowerCase()),
      ),
    ).toBe(true);
    expect(contacts.some((contact) => contact.phone.toLowerCase() === 'n/a')).toBe(true);
    expect(contacts.some((contact) => /^\d{1,5}$/.test(contact.phone))).toBe(true);

    const opportunities = lake.jsonLines('crm', 'opportunities.jsonl') as { amount: unknown }[];
    expect(opportunities.some((opportunity) => opportunity.amount === 'n/a')).toBe(true);
    expect(
      opportunities.some(
        (opportunity) => typeof opportunity.amount === 'number' && opportunity.amount < 0,
      ),
    ).toBe(true);

    const rates = lake.jsonLines('fx', 'rates.jsonl') as { rate_date: string; rate: number }[];
    expect(rates.some((rate) => rate.rate === 0)).toBe(true);
    const rateDates = new Set(rates.map((rate) => rate.rate_date));
    expect(
      [...rateDates].some((date) => [0, 6].includes(new Date(`${date}T00:00:00Z`).getUTCDay())),
    ).toBe(false);
    const firstRateDay = Date.parse(`${[...rateDates].sort()[0]}T00:00:00Z`);
    const missingBusinessDays = Array.from(
      { length: 399 },
      (_, index) => firstRateDay + index * DAY_MS,
    ).filter(
      (day) =>
        ![0, 6].includes(new Date(day).getUTCDay()) &&
        day < Date.parse(`${DATES[0]}T00:00:00Z`) &&
        !rateDates.has(dayOf(day)),
    );
    expect(missingBusinessDays.length).toBeGreaterThan(0);
    expect(missingBusinessDays.length).toBeLessThan(20);
  });

  it('keeps orders consistent with customers, products and FX rates', async () => {
    expect(
      await lake.count(`
        SELECT o.order_id FROM snowflake.orders o
        WHERE o.customer_id IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM snowflake.customers c WHERE c.customer_id = o.customer_id AND c.created_at <= o.order_ts)`),
    ).toBe(0);
    expect(
      await lake.count(`
        SELECT o.order_id FROM snowflake.orders o
        WHERE NOT EXISTS (
          SELECT 1 FROM snowflake.products p WHERE p.product_id = o.product_id AND p.created_at <= o.order_ts)`),
    ).toBe(0);

    // The customer's country decides the currency (its first version; `country` is never changed).
    const orders = await lake.rows<{
      order_id: string;
      currency: string;
      country: string;
      order_ms: string;
      unit_price: string;
      list_price_usd: string;
    }>(`
      SELECT o.order_id, o.currency, c.country, epoch_ms(o.order_ts)::VARCHAR AS order_ms, o.unit_price::VARCHAR AS unit_price,
             (SELECT p.list_price_usd FROM snowflake.products p
              WHERE p.product_id = o.product_id AND p.updated_at <= o.order_ts
              ORDER BY p.updated_at DESC LIMIT 1)::VARCHAR AS list_price_usd
      FROM snowflake.orders o
      JOIN (SELECT customer_id, arg_min(country, updated_at) AS country FROM snowflake.customers GROUP BY customer_id) c USING (customer_id)
      WHERE o.quantity > 0 AND o.currency NOT IN ('XXX', 'ZZZ')
      QUALIFY row_number() OVER (PARTITION BY o.order_id ORDER BY o.updated_at) = 1`);
    const resolvable = orders.filter((order) => countryCode(order.country) !== undefined);
    expect(resolvable.length).toBeGreaterThan(SCALE * 0.9);
    for (const order of resolvable) {
      expect(order.currency, `order ${order.order_id}`).toBe(
        COUNTRY_CURRENCY[countryCode(order.country)!],
      );
    }

    // unit_price = list price then in force × the rate published on or before the order date × (1 - discount).
    const rates = (
      lake.jsonLines('fx', 'rates.jsonl') as {
        rate_date: string;
        quote_currency: string;
        rate: number;
      }[]
    )
      .filter((rate) => rate.rate > 0)
      .sort((a, b) => a.rate_date.localeCompare(b.rate_date));
    const rateOn = (currency: string, date: string): number => {
      if (currency === 'USD') return 1;
      const candidates = rates.filter(
        (rate) => rate.quote_currency === currency && rate.rate_date <= date,
      );
      return candidates[candidates.length - 1]!.rate;
    };
    const multiCurrency = resolvable.filter((order) => order.currency !== 'USD');
    expect(new Set(multiCurrency.map((order) => order.currency)).size).toBeGreaterThan(5);
    for (const order of resolvable.slice(0, 400)) {
      const undiscounted =
        Number(order.list_price_usd) * rateOn(order.currency, dayOf(Number(order.order_ms)));
      const candidates = [0, 0.05, 0.1, 0.15, 0.2].map(
        (discount) => Math.round(undiscounted * (1 - discount) * 100) / 100,
      );
      expect(candidates, `order ${order.order_id}`).toContain(Number(order.unit_price));
    }
  });

  it('writes Kafka logs with contiguous offsets, real orders, late, duplicate and malformed events', async () => {
    const dayStarts = DATES.map((date) => Date.parse(`${date}T00:00:00Z`));
    for (const [partition, lines] of kafka.entries()) {
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.map((line) => line.offset)).toEqual(lines.map((_, index) => index));
      for (const line of lines) expect(Number(line.key) % 3).toBe(partition);
      // Produce timestamps ascend within a partition and stay inside the generated days.
      expect(
        lines.every((line, index) => index === 0 || line.timestamp >= lines[index - 1]!.timestamp),
      ).toBe(true);
      expect(lines[lines.length - 1]!.timestamp).toBeLessThan(dayStarts[DAYS - 1]! + DAY_MS);
    }
    const lines = kafka.flat();
    // Every later day appends.
    for (const dayStart of dayStarts.slice(1)) {
      expect(
        lines.some((line) => line.timestamp >= dayStart && line.timestamp < dayStart + DAY_MS),
      ).toBe(true);
    }

    const parsed = lines.map((line) => {
      try {
        return { line, event: JSON.parse(line.value) as OrderEvent };
      } catch {
        return { line, event: undefined };
      }
    });
    const malformed = parsed.filter(({ event }) => event === undefined);
    expect(malformed.length).toBeGreaterThan(0);
    expect(malformed.length).toBeLessThan(lines.length * 0.05);
    const required = ['event_id', 'order_id', 'event_type', 'event_time'] as const;
    const complete = parsed.filter(
      ({ event }) => event !== undefined && required.every((field) => event[field] !== undefined),
    );
    expect(
      parsed.length - malformed.length - complete.length,
      'events missing a required field',
    ).toBeGreaterThan(0);

    const offsetsById = new Map<string, number>();
    for (const { event } of complete)
      offsetsById.set(event!.event_id!, (offsetsById.get(event!.event_id!) ?? 0) + 1);
    const resent = [...offsetsById.values()].filter((count) => count > 1).length;
    expect(resent).toBeGreaterThan(0);
    expect(resent).toBeLessThan(complete.length * 0.05);

    const late = complete.filter(({ line, event }) => {
      const eventTime = Date.parse(event!.event_time!);
      return line.timestamp - eventTime >= 3_600_000 && dayOf(eventTime) < dayOf(line.timestamp);
    });
    expect(late.length).toBeGreaterThan(0);
    expect(
      complete.every(({ line, event }) => Date.parse(event!.event_time!) <= line.timestamp),
    ).toBe(true);

    // Out of order: some order's events are produced in a different order than they happened.
    const byOrder = new Map<number, { produced: number; happened: number }[]>();
    for (const { line, event } of complete) {
      const events = byOrder.get(event!.order_id!) ?? [];
      events.push({ produced: line.timestamp, happened: Date.parse(event!.event_time!) });
      byOrder.set(event!.order_id!, events);
    }
    const outOfOrder = [...byOrder.values()].filter((events) =>
      events.some((a) => events.some((b) => a.produced < b.produced && a.happened > b.happened)),
    );
    expect(outOfOrder.length).toBeGreaterThan(0);

    // Events belong to real orders: same customer and currency, amount = quantity × unit_price.
    const orders = new Map(
      (
        await lake.rows<{
          order_id: string;
          customer_id: string | null;
          quantity: number;
          unit_price: string;
          currency: string;
          order_ms: string;
        }>(`
          SELECT order_id, customer_id, quantity, unit_price::VARCHAR AS unit_price, currency, epoch_ms(order_ts)::VARCHAR AS order_ms
          FROM snowflake.orders QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at) = 1`)
      ).map((order) => [Number(order.order_id), order]),
    );
    let checked = 0;
    for (const { event } of complete) {
      const order = orders.get(event!.order_id!);
      expect(order, `order of event ${event!.event_id}`).toBeDefined();
      expect(Date.parse(event!.event_time!)).toBeGreaterThanOrEqual(Number(order!.order_ms));
      if (event!.event_type === 'order_placed')
        expect(Date.parse(event!.event_time!)).toBe(Number(order!.order_ms));
      if (
        order!.customer_id === null ||
        order!.quantity <= 0 ||
        ['XXX', 'ZZZ'].includes(order!.currency)
      )
        continue;
      expect(event!.customer_id).toBe(Number(order!.customer_id));
      expect(event!.currency).toBe(order!.currency);
      expect(event!.amount).toBe(
        Math.round(order!.quantity * Number(order!.unit_price) * 100) / 100,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(complete.length * 0.9);
  });

  it('links CRM contacts to existing customers and accounts', async () => {
    const contacts = lake.jsonLines('crm', 'contacts.jsonl') as {
      account_id: string;
      customer_id: number | null;
      last_name: string;
    }[];
    const accountIds = new Set(
      (lake.jsonLines('crm', 'accounts.jsonl') as { account_id: string }[]).map(
        (account) => account.account_id,
      ),
    );
    expect(contacts.every((contact) => accountIds.has(contact.account_id))).toBe(true);
    const linked = contacts.filter((contact) => contact.customer_id !== null);
    expect(linked.length).toBeGreaterThan(contacts.length * 0.3);
    const customerIds = new Set(
      (
        await lake.rows<{ customer_id: string }>(
          `SELECT DISTINCT customer_id FROM snowflake.customers`,
        )
      ).map((row) => Number(row.customer_id)),
    );
    expect(linked.every((contact) => customerIds.has(contact.customer_id!))).toBe(true);
  });
});

describe('generateSampleData publishing', () => {
  it('replaces the previous _sim content and refuses invalid options without touching it', async () => {
    const lakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'generator-publish-'));
    try {
      const simDir = path.join(lakeRoot, '_sim');
      fs.mkdirSync(simDir);
      fs.writeFileSync(path.join(simDir, 'stale.txt'), 'from an older run');
      await generateSampleData({ lakeRoot, scale: 200, days: 1, seed: 1, startDate: START_DATE });
      expect(fs.existsSync(path.join(simDir, 'stale.txt'))).toBe(false);
      expect(fs.readdirSync(lakeRoot)).toEqual(['_sim']);
      const manifest = fs.readFileSync(path.join(simDir, 'manifest.json'), 'utf8');

      for (const invalid of [
        { scale: 0 },
        { days: 0 },
        { startDate: '2026-02-30' },
        { seed: -1 },
      ]) {
        await expect(
          generateSampleData({
            lakeRoot,
            scale: 200,
            days: 1,
            seed: 1,
            startDate: START_DATE,
            ...invalid,
          }),
        ).rejects.toThrow(PipelineError);
      }
      expect(fs.readFileSync(path.join(simDir, 'manifest.json'), 'utf8')).toBe(manifest);
      expect(fs.readdirSync(lakeRoot)).toEqual(['_sim']);
    } finally {
      fs.rmSync(lakeRoot, { recursive: true, force: true });
    }
  });
});
