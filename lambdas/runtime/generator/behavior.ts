/**
 * Redshift's `customer_behavior`: one row per active customer and day, loaded by a nightly job
 * late on the same day. Active customers are an exact-size random sample (selection sampling) of
 * those who existed that day, drawn in id order so no list of customers is ever built.
 */
import { DAY_MS, HOUR_MS } from './calendar';
import type { CustomerRegistry } from './customers';
import { DirtSchedule, Random, WeightedChoice, streamId } from './random';
import { DEVICES } from './reference';
import type { StagedTable, StagedValue, TableSpec } from './warehouse';

export const CUSTOMER_BEHAVIOR_TABLE: TableSpec = {
  database: 'redshift',
  name: 'customer_behavior',
  columns: [
    { name: 'customer_id', sqlType: 'BIGINT', encoding: { kind: 'optional_id' } },
    { name: 'activity_date', sqlType: 'DATE', encoding: { kind: 'date' } },
    { name: 'sessions', sqlType: 'INTEGER', encoding: { kind: 'integer' } },
    { name: 'page_views', sqlType: 'INTEGER', encoding: { kind: 'integer' } },
    { name: 'cart_adds', sqlType: 'INTEGER', encoding: { kind: 'integer' } },
    { name: 'minutes_on_site', sqlType: 'DOUBLE', encoding: { kind: 'number' } },
    { name: 'device', sqlType: 'VARCHAR', encoding: { kind: 'code', values: DEVICES } },
    { name: 'updated_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
  ],
};

/** Days of activity in the initial load, ending with day 1. */
export const BEHAVIOR_HISTORY_DAYS = 7;

type BehaviorDirt = 'customer_missing' | 'page_views_negative';

const PREFERRED_DEVICE = new WeightedChoice([
  [0, 45],
  [1, 45],
  [2, 10],
]);

export class BehaviorLog {
  private readonly stream: number;
  private readonly deviceStream: number;
  private readonly scratch: Random;
  private readonly row: StagedValue[] = [];
  private readonly dirt: DirtSchedule<BehaviorDirt>;
  private readonly duplicates: DirtSchedule<'duplicate'>;
  /** Rows written under the current dirt schedules (their positions). */
  private position = 0;

  constructor(
    seed: number,
    private readonly customers: CustomerRegistry,
    private readonly table: StagedTable,
    private readonly rowsPerDay: number,
  ) {
    this.stream = streamId(seed, 'behavior');
    this.deviceStream = streamId(seed, 'behavior.device');
    this.scratch = new Random(this.deviceStream);
    const forced = new Random(streamId(seed, 'behavior.forced-dirt'));
    const batchSize = BEHAVIOR_HISTORY_DAYS * rowsPerDay;
    this.dirt = new DirtSchedule<BehaviorDirt>(
      [
        ['customer_missing', 0.003],
        ['page_views_negative', 0.003],
      ],
      { random: forced, batchSize },
    );
    this.duplicates = new DirtSchedule<'duplicate'>([['duplicate', 0.005]], {
      random: forced,
      batchSize,
    });
  }

  /** Day 1: the week ending with `startDay`. */
  writeInitial(startDay: number): void {
    for (let day = BEHAVIOR_HISTORY_DAYS - 1; day >= 0; day--)
      this.writeDay(startDay - day * DAY_MS);
  }

  /** One activity day. */
  writeDay(dayStart: number): void {
    const dayEnd = dayStart + DAY_MS;
    const random = new Random(this.stream, Math.floor(dayStart / DAY_MS));
    let eligible = 0;
    for (let id = 1; id <= this.customers.count; id++) {
      if (this.customers.existsAt(id, dayEnd - 1)) eligible++;
    }
    let needed = Math.min(this.rowsPerDay, eligible);
    for (let id = 1; id <= this.customers.count && needed > 0; id++) {
      if (!this.customers.existsAt(id, dayEnd - 1)) continue;
      if (random.float() * eligible-- >= needed) continue;
      needed--;
      this.writeActivity(random, id, dayStart);
    }
  }

  private writeActivity(random: Random, customerId: number, dayStart: number): void {
    const preferred = PREFERRED_DEVICE.pick(this.scratch.reseed(this.deviceStream, customerId));
    const sessions = Math.min(20, 1 + Math.floor(-Math.log(1 - random.float()) * 1.5));
    const pageViews = sessions * random.intBetween(2, 12);
    const row = this.row;
    row[0] = customerId;
    row[1] = Math.floor(dayStart / DAY_MS);
    row[2] = sessions;
    row[3] = pageViews;
    row[4] = Math.floor(pageViews * random.between(0, 0.25));
    row[5] = Math.round(sessions * random.between(1.5, 14) * 10) / 10;
    row[6] = random.chance(0.75) ? preferred : random.below(DEVICES.length);
    row[7] = dayStart + 23 * HOUR_MS + random.below(HOUR_MS);
    const position = this.position++;
    const dirt = this.dirt.kindAt(position, random);
    if (dirt === 'customer_missing') row[0] = -1;
    if (dirt === 'page_views_negative') row[3] = -pageViews;
    this.table.appendRow(row);
    if (this.duplicates.kindAt(position, random) !== undefined) this.table.appendRow(row);
  }
}
