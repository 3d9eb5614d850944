/**
 * The deterministic sample-data generator behind `medallion generate`: writes the five sample
 * sources into `<lake>/_sim/` as docs/sample-domain.md specifies. Output depends only on
 * `(scale, days, seed, startDate)`. Everything is written into a scratch folder next to `_sim/`
 * and swapped in by rename, so a crash never leaves a half-written `_sim/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PipelineError } from '../../core/errors';
import { BehaviorLog, CUSTOMER_BEHAVIOR_TABLE } from './behavior';
import { DAY_MS, isoDate, parseIsoDate } from './calendar';
import { CrmSystem } from './crm';
import { CUSTOMERS_TABLE, CustomerRegistry } from './customers';
import { FxMarket } from './fx';
import { SAMPLE_FORMAT } from './format';
import { JsonLinesFile } from './jsonl';
import { ORDER_EVENT_PARTITIONS, OrderEventLog } from './kafka';
import { ORDERS_TABLE, ORDER_HISTORY_DAYS, OrderBook, OrderCalendar } from './orders';
import { PRODUCTS_TABLE, ProductCatalog } from './products';
import { Random, streamId } from './random';
import { WarehouseWriter } from './warehouse';

export interface GenerateOptions {
  /** The lake folder; output goes to `<lakeRoot>/_sim/`. */
  lakeRoot: string;
  /** Orders in the initial load. */
  scale: number;
  /** Generated days (>= 1): day 1 is the initial load, later days carry changes. */
  days: number;
  seed: number;
  /** Day 1, `YYYY-MM-DD`. */
  startDate: string;
  /** Called as work advances, for a CLI progress line. */
  onProgress?: (event: { step: string; done: number; total: number }) => void;
}

export interface GenerateSummary {
  /** Generated days, ISO dates, in order. */
  dates: string[];
  /** Rows written per dataset (all versions, duplicates included), e.g. `snowflake.orders`. */
  datasets: { dataset: string; rows: number }[];
  seconds: number;
}

/** Days of customer sign-ups before day 1's end. */
const CUSTOMER_HISTORY_MS = 730 * DAY_MS;
/** Share of the initial customers who sign up on each later day. */
const NEW_CUSTOMERS_PER_DAY = 0.005;

export async function generateSampleData(options: GenerateOptions): Promise<GenerateSummary> {
  const startedAt = performance.now();
  const startDay = validate(options);
  const lakeRoot = path.resolve(options.lakeRoot);
  await fs.promises.mkdir(lakeRoot, { recursive: true });
  const workDir = await fs.promises.mkdtemp(path.join(lakeRoot, '_sim.tmp-'));
  try {
    const { dates, datasets } = await generateInto(workDir, options, startDay);
    const manifest = {
      format: SAMPLE_FORMAT,
      seed: options.seed,
      scale: options.scale,
      days: options.days,
      startDate: options.startDate,
      dates,
      datasets: Object.fromEntries(datasets.map(({ dataset, rows }) => [dataset, rows])),
    };
    await fs.promises.writeFile(
      path.join(workDir, 'manifest.json'),
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
    await publish(workDir, path.join(lakeRoot, '_sim'));
    return { dates, datasets, seconds: (performance.now() - startedAt) / 1000 };
  } catch (error) {
    await fs.promises.rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** Epoch ms of day 1, after checking every option. */
function validate(options: GenerateOptions): number {
  const problems: string[] = [];
  if (!Number.isInteger(options.scale) || options.scale < 1)
    problems.push(`scale must be a positive integer, got ${options.scale}`);
  if (!Number.isInteger(options.days) || options.days < 1)
    problems.push(`days must be an integer >= 1, got ${options.days}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0)
    problems.push(`seed must be a non-negative integer, got ${options.seed}`);
  const startDay = parseIsoDate(options.startDate);
  if (startDay === undefined)
    problems.push(`startDate must be a date as YYYY-MM-DD, got '${options.startDate}'`);
  if (problems.length > 0 || startDay === undefined) {
    throw new PipelineError(`Cannot generate sample data: ${problems.join('; ')}`);
  }
  return startDay;
}

/** Replaces `target` with `workDir`; the old content is removed only once the new one is in place. */
async function publish(workDir: string, target: string): Promise<void> {
  const previous = `${workDir}.previous`;
  const hadPrevious = fs.existsSync(target);
  if (hadPrevious) await fs.promises.rename(target, previous);
  try {
    await fs.promises.rename(workDir, target);
  } catch (error) {
    if (hadPrevious) await fs.promises.rename(previous, target);
    throw error;
  }
  if (hadPrevious) await fs.promises.rm(previous, { recursive: true, force: true });
}

interface OpenFiles {
  readonly fxRates: JsonLinesFile;
  readonly accounts: JsonLinesFile;
  readonly contacts: JsonLinesFile;
  readonly opportunities: JsonLinesFile;
  readonly orderEvents: readonly JsonLinesFile[];
}

async function openFiles(directory: string): Promise<OpenFiles> {
  const file = (...parts: string[]) => JsonLinesFile.create(path.join(directory, ...parts));
  return {
    fxRates: await file('fx', 'rates.jsonl'),
    accounts: await file('crm', 'accounts.jsonl'),
    contacts: await file('crm', 'contacts.jsonl'),
    opportunities: await file('crm', 'opportunities.jsonl'),
    orderEvents: await Promise.all(
      Array.from({ length: ORDER_EVENT_PARTITIONS }, (_, partition) =>
        file('kafka', 'order_events', `partition-${partition}.jsonl`),
      ),
    ),
  };
}

/** Day-1 sizes, as docs/sample-domain.md lists them under Volumes. */
function initialSizes(scale: number) {
  return {
    customers: Math.max(20, Math.round(scale / 10)),
    products: Math.max(50, Math.round(scale / 1000)),
    activeCustomersPerDay: Math.max(20, Math.round(scale / 50)),
    accounts: Math.max(20, Math.round(scale / 1000)),
    contacts: Math.max(50, Math.round(scale / 200)),
    opportunities: Math.max(20, Math.round(scale / 500)),
  };
}

async function generateInto(
  directory: string,
  options: GenerateOptions,
  startDay: number,
): Promise<Pick<GenerateSummary, 'dates' | 'datasets'>> {
  const { seed, scale, days } = options;
  const report = (step: string, done: number, total: number) =>
    options.onProgress?.({ step, done, total });
  const dayStarts = Array.from({ length: days }, (_, index) => startDay + index * DAY_MS);
  const sizes = initialSizes(scale);
  const initialCustomers = sizes.customers;
  const growth = new Random(streamId(seed, 'customers.growth'));
  const newCustomersPerDay = dayStarts.map((_, index) =>
    index === 0
      ? 0
      : Math.max(
          1,
          Math.round(initialCustomers * NEW_CUSTOMERS_PER_DAY * growth.between(0.8, 1.2)),
        ),
  );

  const warehouse = await WarehouseWriter.open(directory, ['snowflake', 'redshift']);
  const openedFiles: JsonLinesFile[] = [];
  try {
    const files = await openFiles(directory);
    openedFiles.push(
      files.fxRates,
      files.accounts,
      files.contacts,
      files.opportunities,
      ...files.orderEvents,
    );
    const customersTable = await warehouse.createTable(CUSTOMERS_TABLE);
    const productsTable = await warehouse.createTable(PRODUCTS_TABLE);
    const ordersTable = await warehouse.createTable(ORDERS_TABLE);
    const behaviorTable = await warehouse.createTable(CUSTOMER_BEHAVIOR_TABLE);

    const fx = new FxMarket(seed, startDay, days);
    const products = new ProductCatalog(seed, productsTable, sizes.products);
    const customers = new CustomerRegistry(
      seed,
      customersTable,
      initialCustomers,
      initialCustomers + newCustomersPerDay.reduce((sum, count) => sum + count, 0),
    );
    const calendar = new OrderCalendar(seed, scale, startDay, days);
    const orders = new OrderBook(seed, scale, calendar, customers, products, fx, ordersTable);
    const behavior = new BehaviorLog(seed, customers, behaviorTable, sizes.activeCustomersPerDay);
    const crm = new CrmSystem(seed, sizes, customers, fx, files);
    const orderEvents = new OrderEventLog(seed, orders, files.orderEvents);

    for (const [index, dayStart] of dayStarts.entries()) {
      const day = index + 1;
      const label = `day ${day}/${days}`;
      const dayEnd = dayStart + DAY_MS;
      if (day === 1) {
        const historyStart = dayEnd - ORDER_HISTORY_DAYS * DAY_MS;
        products.writeInitial(historyStart - 365 * DAY_MS, historyStart);
        customers.writeInitial(dayEnd - CUSTOMER_HISTORY_MS, dayEnd);
        orders.writeInitial(dayEnd, (done) => report(`${label} snowflake.orders`, done, scale));
        behavior.writeInitial(dayStart);
        await crm.writeInitial(dayEnd);
        await orderEvents.writeInitial(dayStart, (done, total) =>
          report(`${label} kafka.order_events`, done, total),
        );
      } else {
        products.writeDay(dayStart);
        customers.writeDay(dayStart, newCustomersPerDay[index]!);
        orders.writeDay(dayStart);
        behavior.writeDay(dayStart);
        await crm.writeDay(dayStart);
        await orderEvents.writeDay(dayStart);
      }
      for (const record of fx.recordsOfDay(day)) await files.fxRates.write(record);
      report(label, day, days);
    }

    for (const file of openedFiles.splice(0)) await file.close();
    report('writing warehouse tables', 0, 1);
    await warehouse.finish();
    report('writing warehouse tables', 1, 1);
    return {
      dates: dayStarts.map(isoDate),
      datasets: [
        { dataset: 'snowflake.customers', rows: customersTable.rows },
        { dataset: 'snowflake.products', rows: productsTable.rows },
        { dataset: 'snowflake.orders', rows: ordersTable.rows },
        { dataset: 'redshift.customer_behavior', rows: behaviorTable.rows },
        { dataset: 'crm.accounts', rows: files.accounts.lines },
        { dataset: 'crm.contacts', rows: files.contacts.lines },
        { dataset: 'crm.opportunities', rows: files.opportunities.lines },
        { dataset: 'fx.rates', rows: files.fxRates.lines },
        {
          dataset: 'kafka.order_events',
          rows: files.orderEvents.reduce((sum, file) => sum + file.lines, 0),
        },
      ],
    };
  } catch (error) {
    warehouse.close();
    await Promise.allSettled(openedFiles.map((file) => file.close()));
    throw error;
  }
}
