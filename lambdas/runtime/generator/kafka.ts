/**
 * The `order_events` topic: one event per order status change, produced moments after it
 * happens, except for late ones (hours to days), re-sent duplicates, malformed values and values
 * missing a required field. Each day's log holds the events *produced* that day, so a late event
 * lands on a later day than its `event_time`, exactly as a consumer would see it. A broker keeps
 * a message's key and value as bytes, and so does the log: base64 of their UTF-8 text, which MSK
 * delivers as it is.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, isoTimestamp, startOfDay } from './calendar';
import type { JsonLinesFile } from './jsonl';
import { ORDER_LIFECYCLE_MAX_MS, OrderFacts, type OrderBook } from './orders';
import { DirtSchedule, Random, streamId } from './random';

export const ORDER_EVENT_TYPES = [
  'order_placed',
  'payment_captured',
  'order_shipped',
  'order_delivered',
  'order_cancelled',
] as const;
export const ORDER_EVENT_PARTITIONS = 3;
/** Days of log on day 1 (the topic's retention), ending with day 1. */
const INITIAL_LOG_DAYS = 7;
/** The longest delay between an event and its production. */
const MAX_LATENESS_MS = 3 * DAY_MS;
/** Fields a consumer needs to accept an event; the `missing_field` dirt drops one. */
const REQUIRED_FIELDS = ['event_id', 'order_id', 'event_type', 'event_time'] as const;

type EventDirt = 'duplicate' | 'malformed_json' | 'missing_field';

interface OrderEventValue {
  event_id?: string;
  order_id?: number;
  customer_id: number;
  event_type?: string;
  event_time?: string;
  amount: number;
  currency: string;
}

interface ProducedEvent {
  produceAt: number;
  orderId: number;
  /** Orders events of one order produced in the same millisecond: status order, re-sends last. */
  sequence: number;
  value: OrderEventValue;
  /** The message text when it is not the JSON of `value` (malformed). */
  text?: string;
}

function compareProduced(a: ProducedEvent, b: ProducedEvent): number {
  return a.produceAt - b.produceAt || a.orderId - b.orderId || a.sequence - b.sequence;
}

/** A key's or value's bytes as the log keeps them. */
function bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/** A version-4-shaped UUID from four draws. */
function uuid(random: Random): string {
  const a = hex32(random.uint32());
  const b = hex32(((random.uint32() & 0xffff0fff) | 0x00004000) >>> 0);
  const c = hex32(((random.uint32() & 0x3fffffff) | 0x80000000) >>> 0);
  const d = hex32(random.uint32());
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

export class OrderEventLog {
  private readonly nextOffsets: number[];
  private readonly eventStream: number;
  private readonly dirtStream: number;
  private readonly scratch: Random;
  private readonly facts = new OrderFacts();

  constructor(
    seed: number,
    private readonly orders: OrderBook,
    private readonly partitions: readonly JsonLinesFile[],
  ) {
    this.nextOffsets = partitions.map(() => 0);
    this.eventStream = streamId(seed, 'kafka.events');
    this.dirtStream = streamId(seed, 'kafka.dirt');
    this.scratch = new Random(this.eventStream);
  }

  /** Day 1: the events produced in the week ending with `startDay`, one day at a time. */
  async writeInitial(
    startDay: number,
    onProgress: (done: number, total: number) => void,
  ): Promise<void> {
    for (let daysBefore = INITIAL_LOG_DAYS - 1; daysBefore >= 0; daysBefore--) {
      await this.writeDay(startDay - daysBefore * DAY_MS);
      onProgress(INITIAL_LOG_DAYS - daysBefore, INITIAL_LOG_DAYS);
    }
  }

  /** Appends the events produced on the UTC day starting at `from` to their partitions. */
  async writeDay(from: number): Promise<void> {
    const to = from + DAY_MS;
    const events = this.soil(this.eventsProducedIn(from, to), from, to);
    for (const event of events) {
      const partition = event.orderId % ORDER_EVENT_PARTITIONS;
      await this.partitions[partition]!.write({
        offset: this.nextOffsets[partition]!++,
        timestamp: event.produceAt,
        key: bytes(String(event.orderId)),
        value: bytes(event.text ?? JSON.stringify(event.value)),
      });
    }
  }

  private eventsProducedIn(from: number, to: number): ProducedEvent[] {
    const { calendar } = this.orders;
    const firstId = calendar.firstIdFromDayOf(from - ORDER_LIFECYCLE_MAX_MS - MAX_LATENESS_MS);
    const endId = calendar.firstIdFromDayOf(to);
    const events: ProducedEvent[] = [];
    const facts = this.facts;
    for (let id = firstId; id < endId; id++) {
      const deletedAt = this.orders.deletedAt.get(id) ?? Infinity;
      this.orders.compute(id, facts);
      const times = [
        facts.placedAt,
        facts.paidAt,
        facts.shippedAt,
        facts.deliveredAt,
        facts.cancelledAt,
      ];
      for (let typeIndex = 0; typeIndex < times.length; typeIndex++) {
        const eventTime = times[typeIndex]!;
        // A deleted order emits nothing after its deletion; NaN marks a status never reached.
        if (!(eventTime <= deletedAt) || eventTime >= to || eventTime < from - MAX_LATENESS_MS)
          continue;
        const random = this.scratch.reseed(this.eventStream, id, typeIndex);
        const produceAt = eventTime + this.latency(random, id, typeIndex, eventTime);
        if (produceAt < from || produceAt >= to) continue;
        events.push({
          produceAt,
          orderId: id,
          sequence: typeIndex,
          value: {
            event_id: uuid(random),
            order_id: id,
            customer_id: facts.customerId,
            event_type: ORDER_EVENT_TYPES[typeIndex]!,
            event_time: isoTimestamp(eventTime),
            amount: Math.round(facts.quantity * facts.unitPrice * 100) / 100,
            currency: facts.currency,
          },
        });
      }
    }
    return events.sort(compareProduced);
  }

  /**
   * Milliseconds from an event to its production: usually well under a second, sometimes
   * minutes (which reorders events), 1% hours to days late. The first order of every day has its
   * `order_placed` event produced late on the next day, so every day's log has a late event.
   */
  private latency(random: Random, orderId: number, typeIndex: number, eventTime: number): number {
    if (typeIndex === 0 && this.orders.calendar.isFirstOfDay(orderId)) {
      return (
        startOfDay(eventTime) +
        DAY_MS -
        eventTime +
        Math.round(random.between(HOUR_MS, 20 * HOUR_MS))
      );
    }
    const u = random.float();
    if (u < 0.01) return Math.round(random.between(HOUR_MS, MAX_LATENESS_MS));
    if (u < 0.04) return Math.round(random.between(5_000, 30 * MINUTE_MS));
    return 20 + Math.round(-Math.log(1 - random.float()) * 400);
  }

  /** Adds re-sent duplicates and breaks a few values; the result is in production order. */
  private soil(events: ProducedEvent[], from: number, to: number): ProducedEvent[] {
    const random = new Random(this.dirtStream, Math.floor(from / DAY_MS));
    const schedule = new DirtSchedule<EventDirt>(
      [
        ['duplicate', 0.01],
        ['malformed_json', 0.003],
        ['missing_field', 0.003],
      ],
      { random, batchSize: events.length },
    );
    const resent: ProducedEvent[] = [];
    events.forEach((event, position) => {
      switch (schedule.kindAt(position, random)) {
        case 'duplicate': {
          const produceAt = Math.min(
            event.produceAt + Math.round(random.between(500, 10 * MINUTE_MS)),
            to - 1,
          );
          resent.push({ ...event, produceAt, sequence: event.sequence + ORDER_EVENT_TYPES.length });
          break;
        }
        case 'malformed_json': {
          const text = JSON.stringify(event.value);
          event.text = random.chance(0.5)
            ? text.slice(0, random.intBetween(8, text.length - 8))
            : text.replace(/"/g, "'");
          break;
        }
        case 'missing_field': {
          const value = { ...event.value };
          delete value[random.pick(REQUIRED_FIELDS)];
          event.value = value;
          break;
        }
      }
    });
    return resent.length === 0 ? events : [...events, ...resent].sort(compareProduced);
  }
}
