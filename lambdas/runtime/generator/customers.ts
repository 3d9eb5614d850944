/**
 * Customers of the shop. Ids ascend with `created_at`; a customer's attributes are a pure
 * function of `(seed, id, number of updates)`, so only a few bytes per customer are kept (country,
 * segment, timestamps, update count) and any version can be recomputed when an order, a CRM
 * contact or a later change needs it. Works the same for 20 customers and for 1M.
 */
import { DAY_MS } from './calendar';
import {
  CUSTOMER_COUNTRY,
  EMAIL_DIRT_RATES,
  PHONE_DIRT_RATES,
  UPDATED_EMAIL_DIRT,
  UPDATED_PHONE_DIRT,
  personName,
  personalEmail,
  phoneNumber,
  soilEmail,
  soilPhone,
  spellCountry,
  unknownCountry,
  type EmailDirt,
  type PhoneDirt,
} from './people';
import { DirtSchedule, Random, WeightedChoice, sampleIds, streamId } from './random';
import { COUNTRIES, CUSTOMER_SEGMENTS, LAST_NAMES, type CustomerSegment } from './reference';
import type { StagedTable, StagedValue, TableSpec } from './warehouse';

export const CUSTOMERS_TABLE: TableSpec = {
  database: 'snowflake',
  name: 'customers',
  columns: [
    { name: 'customer_id', sqlType: 'BIGINT', encoding: { kind: 'integer' } },
    { name: 'first_name', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'last_name', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'email', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'phone', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'country', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'city', sqlType: 'VARCHAR', encoding: { kind: 'text' } },
    { name: 'segment', sqlType: 'VARCHAR', encoding: { kind: 'code', values: CUSTOMER_SEGMENTS } },
    { name: 'created_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'updated_at', sqlType: 'TIMESTAMP', encoding: { kind: 'timestamp' } },
    { name: 'is_deleted', sqlType: 'BOOLEAN', encoding: { kind: 'boolean' } },
  ],
};

type CustomerDirt = EmailDirt | PhoneDirt | 'country_unknown';

const SEGMENT = new WeightedChoice<CustomerSegment>([
  ['consumer', 82],
  ['smb', 13],
  ['enterprise', 5],
]);

type UpdateKind = 'email' | 'phone' | 'city' | 'segment' | 'last_name';
const UPDATE_KIND = new WeightedChoice<UpdateKind>([
  ['email', 35],
  ['phone', 25],
  ['city', 20],
  ['segment', 10],
  ['last_name', 10],
]);

/** One version of a customer: clean values (for CRM contacts to copy) and the stored, dirty ones. */
export interface CustomerProfile {
  readonly countryIndex: number;
  firstName: string;
  lastName: string;
  cleanEmail: string;
  email: string | null;
  cleanPhone: string;
  phone: string;
  countryText: string;
  city: string;
  segment: CustomerSegment;
}

/** The first draws of a customer's stream: where they live and what kind of buyer they are. */
function drawOrigin(random: Random): { countryIndex: number; segmentIndex: number } {
  const countryIndex = CUSTOMER_COUNTRY.pick(random);
  return { countryIndex, segmentIndex: CUSTOMER_SEGMENTS.indexOf(SEGMENT.pick(random)) };
}

export class CustomerRegistry {
  count = 0;
  readonly createdAt: Float64Array;
  /** `Infinity` while the customer exists. */
  readonly deletedAt: Float64Array;
  readonly countryIndex: Uint8Array;
  /** The segment at creation: what sizes the customer's orders. */
  readonly initialSegment: Uint8Array;
  private readonly updateCount: Uint16Array;
  private readonly profileStream: number;
  private readonly updateStream: number;
  private readonly random: Random;
  private readonly dirt: DirtSchedule<CustomerDirt>;
  private readonly row: StagedValue[] = [];
  private readonly scratch: Random;

  constructor(
    seed: number,
    private readonly table: StagedTable,
    private readonly initialCount: number,
    capacity: number,
  ) {
    this.createdAt = new Float64Array(capacity);
    this.deletedAt = new Float64Array(capacity).fill(Infinity);
    this.countryIndex = new Uint8Array(capacity);
    this.initialSegment = new Uint8Array(capacity);
    this.updateCount = new Uint16Array(capacity);
    this.profileStream = streamId(seed, 'customers.profile');
    this.updateStream = streamId(seed, 'customers.update');
    this.random = new Random(streamId(seed, 'customers.changes'));
    this.scratch = new Random(this.profileStream);
    this.dirt = new DirtSchedule<CustomerDirt>(
      [...EMAIL_DIRT_RATES, ...PHONE_DIRT_RATES, ['country_unknown', 0.003]],
      { random: new Random(streamId(seed, 'customers.forced-dirt')), batchSize: initialCount },
    );
  }

  /** Day 1: customers who signed up over the two years up to `to`. */
  writeInitial(from: number, to: number): void {
    for (let i = 0; i < this.initialCount; i++) {
      const createdAt = Math.floor(
        from + ((i + this.random.float()) / this.initialCount) * (to - from),
      );
      const id = this.add(createdAt);
      // Some customers edited their profile before the initial load; only the latest version is there.
      const updatedAt = this.random.chance(0.3)
        ? Math.floor(this.random.between(createdAt, to))
        : createdAt;
      this.writeVersion(id, updatedAt, false);
    }
  }

  /** A later day: new sign-ups, profile updates and deletions, each as a new version. */
  writeDay(dayStart: number, newCount: number): void {
    const changes = this.planDay(dayStart);
    const deleted = new Set(changes.deleted);
    const changedIds = [...changes.updated, ...changes.deleted].sort((a, b) => a - b);
    for (const id of changedIds) {
      const at = dayStart + this.random.below(DAY_MS);
      if (deleted.has(id)) {
        this.deletedAt[id - 1] = at;
      } else {
        this.updateCount[id - 1]!++;
      }
      this.writeVersion(id, at, deleted.has(id));
    }
    for (let i = 0; i < newCount; i++) {
      const createdAt = Math.floor(dayStart + ((i + this.random.float()) / newCount) * DAY_MS);
      const id = this.add(createdAt);
      this.writeVersion(id, createdAt, false);
    }
  }

  /** Whether the customer had signed up and was not deleted at `ms`. */
  existsAt(id: number, ms: number): boolean {
    return this.createdAt[id - 1]! <= ms && this.deletedAt[id - 1]! > ms;
  }

  /** How many customers had signed up by `ms` (ids 1..n). */
  countCreatedBy(ms: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.createdAt[middle]! <= ms) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** A customer who existed at `ms`, uniformly among them. */
  pickAt(random: Random, ms: number): number {
    const available = Math.max(this.countCreatedBy(ms), 1);
    for (let attempt = 0; attempt < 8; attempt++) {
      const id = 1 + random.below(available);
      if (this.deletedAt[id - 1]! > ms) return id;
    }
    let id = available;
    while (id > 1 && this.deletedAt[id - 1]! <= ms) id--;
    return id;
  }

  /** The customer's current version. */
  profile(id: number): CustomerProfile {
    const random = this.scratch.reseed(this.profileStream, id);
    const origin = drawOrigin(random);
    const country = COUNTRIES[origin.countryIndex]!;
    const name = personName(random, country);
    const cleanEmail = personalEmail(random, name, country);
    const cleanPhone = phoneNumber(random, country);
    const profile: CustomerProfile = {
      countryIndex: origin.countryIndex,
      firstName: name.firstName,
      lastName: name.lastName,
      cleanEmail,
      email: cleanEmail,
      cleanPhone,
      phone: cleanPhone,
      countryText: spellCountry(random, country),
      city: random.pick(country.cities),
      segment: CUSTOMER_SEGMENTS[origin.segmentIndex]!,
    };
    const dirt = this.dirt.kindAt(id - 1, random);
    if (dirt === 'country_unknown') profile.countryText = unknownCountry(random);
    else if (dirt === 'phone_not_available' || dirt === 'phone_too_short')
      profile.phone = soilPhone(random, cleanPhone, dirt);
    else if (dirt !== undefined) profile.email = soilEmail(random, cleanEmail, dirt);

    for (let update = 1; update <= this.updateCount[id - 1]!; update++) {
      this.applyUpdate(profile, random.reseed(this.updateStream, id, update));
    }
    return profile;
  }

  private applyUpdate(profile: CustomerProfile, random: Random): void {
    const country = COUNTRIES[profile.countryIndex]!;
    switch (UPDATE_KIND.pick(random)) {
      case 'email': {
        profile.cleanEmail = personalEmail(
          random,
          { firstName: profile.firstName, lastName: profile.lastName },
          country,
        );
        const dirt = UPDATED_EMAIL_DIRT.kindAt(-1, random);
        profile.email = dirt ? soilEmail(random, profile.cleanEmail, dirt) : profile.cleanEmail;
        return;
      }
      case 'phone': {
        profile.cleanPhone = phoneNumber(random, country);
        const dirt = UPDATED_PHONE_DIRT.kindAt(-1, random);
        profile.phone = dirt ? soilPhone(random, profile.cleanPhone, dirt) : profile.cleanPhone;
        return;
      }
      case 'city':
        profile.city = random.pick(country.cities.filter((city) => city !== profile.city));
        return;
      case 'segment':
        profile.segment = random.pick(
          CUSTOMER_SEGMENTS.filter((segment) => segment !== profile.segment),
        );
        return;
      case 'last_name':
        profile.lastName = random.pick(
          LAST_NAMES[country.locale].filter((name) => name !== profile.lastName),
        );
        return;
    }
  }

  private add(createdAt: number): number {
    const id = ++this.count;
    const origin = drawOrigin(this.scratch.reseed(this.profileStream, id));
    this.countryIndex[id - 1] = origin.countryIndex;
    this.initialSegment[id - 1] = origin.segmentIndex;
    this.createdAt[id - 1] = createdAt;
    return id;
  }

  private planDay(dayStart: number): { updated: number[]; deleted: number[] } {
    const existing = this.count;
    const alive = (id: number) => this.existsAt(id, dayStart);
    const deleted = sampleIds(
      this.random,
      Math.max(1, Math.round(existing * 0.001)),
      existing,
      alive,
    );
    const deletedSet = new Set(deleted);
    const updated = sampleIds(
      this.random,
      Math.max(1, Math.round(existing * 0.01)),
      existing,
      (id) => alive(id) && !deletedSet.has(id),
    );
    return { updated, deleted };
  }

  private writeVersion(id: number, updatedAt: number, isDeleted: boolean): void {
    const profile = this.profile(id);
    const row = this.row;
    row[0] = id;
    row[1] = profile.firstName;
    row[2] = profile.lastName;
    row[3] = profile.email;
    row[4] = profile.phone;
    row[5] = profile.countryText;
    row[6] = profile.city;
    row[7] = CUSTOMER_SEGMENTS.indexOf(profile.segment);
    row[8] = this.createdAt[id - 1]!;
    row[9] = updatedAt;
    row[10] = isDeleted;
    this.table.appendRow(row);
  }
}
