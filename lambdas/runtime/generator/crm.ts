/**
 * The CRM behind the REST API: B2B accounts, their contacts (often the same people as shop
 * customers, linked by `customer_id` and sharing name, e-mail or phone) and sales opportunities
 * priced in the account's currency. Small enough to keep in memory at any scale; every change is
 * appended as a new JSON line.
 */
import { DAY_MS, isoDate, isoTimestamp } from './calendar';
import type { CustomerRegistry } from './customers';
import type { FxMarket } from './fx';
import type { JsonLinesFile } from './jsonl';
import {
  CUSTOMER_COUNTRY,
  EMAIL_DIRT_RATES,
  PHONE_DIRT_RATES,
  UPDATED_EMAIL_DIRT,
  UPDATED_PHONE_DIRT,
  asciiSlug,
  personName,
  phoneNumber,
  soilEmail,
  soilPhone,
  type EmailDirt,
  type PersonName,
  type PhoneDirt,
} from './people';
import { DirtSchedule, Random, WeightedChoice, streamId } from './random';
import {
  ACCOUNT_OWNERS,
  COMPANY_WORDS_FIRST,
  COMPANY_WORDS_SECOND,
  COMPANY_WORDS_THIRD,
  COUNTRIES,
  INDUSTRIES,
  JOB_TITLES,
  OPPORTUNITY_STAGES,
  type Country,
  type OpportunityStage,
} from './reference';

export interface AccountRecord {
  account_id: string;
  name: string;
  industry: string;
  country: string;
  owner_email: string;
  annual_revenue: number;
  created_at: string;
  updated_at: string;
  is_deleted: boolean;
}

export interface ContactRecord {
  contact_id: string;
  account_id: string;
  customer_id: number | null;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string;
  title: string;
  updated_at: string;
  is_deleted: boolean;
}

export interface OpportunityRecord {
  opportunity_id: string;
  account_id: string;
  stage: OpportunityStage;
  /** A number, except for the `amount_not_a_number` dirt. */
  amount: number | string;
  currency: string;
  close_date: string;
  updated_at: string;
  is_deleted: boolean;
}

export interface CrmFiles {
  readonly accounts: JsonLinesFile;
  readonly contacts: JsonLinesFile;
  readonly opportunities: JsonLinesFile;
}

/** Records of each collection on day 1. */
export interface CrmSizes {
  readonly accounts: number;
  readonly contacts: number;
  readonly opportunities: number;
}

interface Account {
  readonly record: AccountRecord;
  readonly country: Country;
  readonly domain: string;
  readonly createdAt: number;
}

type ContactDirt = EmailDirt | PhoneDirt;
type AmountDirt = 'amount_negative' | 'amount_not_a_number';
type ChangeKind = 'new' | 'update' | 'delete';

const AMOUNT_DIRT_RATES: readonly (readonly [AmountDirt, number])[] = [
  ['amount_negative', 0.01],
  ['amount_not_a_number', 0.01],
];
const CHANGE_KIND = new WeightedChoice<ChangeKind>([
  ['new', 25],
  ['update', 65],
  ['delete', 10],
]);
const INITIAL_STAGE = new WeightedChoice<OpportunityStage>([
  ['prospecting', 20],
  ['qualification', 18],
  ['proposal', 15],
  ['negotiation', 10],
  ['closed_won', 22],
  ['closed_lost', 15],
]);
/** Share of records changed on each later day. */
const DAILY_CHANGE_RATE = 0.01;
/** Years of CRM history before day 1. */
const HISTORY_MS = 3 * 365 * DAY_MS;

function crmId(prefix: string, number: number): string {
  return `${prefix}-${String(number).padStart(6, '0')}`;
}

function isClosed(stage: OpportunityStage): boolean {
  return stage === 'closed_won' || stage === 'closed_lost';
}

export class CrmSystem {
  private readonly accounts: Account[] = [];
  private readonly contacts: ContactRecord[] = [];
  private readonly opportunities: OpportunityRecord[] = [];
  private readonly random: Random;
  private readonly contactDirt: DirtSchedule<ContactDirt>;
  private readonly amountDirt: DirtSchedule<AmountDirt>;

  constructor(
    seed: number,
    private readonly sizes: CrmSizes,
    private readonly customers: CustomerRegistry,
    private readonly fx: FxMarket,
    private readonly files: CrmFiles,
  ) {
    this.random = new Random(streamId(seed, 'crm'));
    const forced = new Random(streamId(seed, 'crm.forced-dirt'));
    this.contactDirt = new DirtSchedule<ContactDirt>([...EMAIL_DIRT_RATES, ...PHONE_DIRT_RATES], {
      random: forced,
      batchSize: sizes.contacts,
    });
    this.amountDirt = new DirtSchedule<AmountDirt>(AMOUNT_DIRT_RATES, {
      random: forced,
      batchSize: sizes.opportunities,
    });
  }

  /** Day 1: three years of CRM history up to `dayEnd`. */
  async writeInitial(dayEnd: number): Promise<void> {
    const random = this.random;
    const from = dayEnd - HISTORY_MS;
    for (let i = 0; i < this.sizes.accounts; i++) {
      const createdAt = Math.floor(
        from + ((i + random.float()) / this.sizes.accounts) * HISTORY_MS,
      );
      const updatedAt = random.chance(0.4)
        ? Math.floor(random.between(createdAt, dayEnd))
        : createdAt;
      await this.files.accounts.write(this.addAccount(createdAt, updatedAt).record);
    }
    for (let i = 0; i < this.sizes.contacts; i++) {
      const account = random.pick(this.accounts);
      await this.files.contacts.write(
        this.addContact(account, Math.floor(random.between(account.createdAt, dayEnd))),
      );
    }
    for (let i = 0; i < this.sizes.opportunities; i++) {
      const account = random.pick(this.accounts);
      await this.files.opportunities.write(
        this.addOpportunity(account, Math.floor(random.between(account.createdAt, dayEnd))),
      );
    }
  }

  /** A later day: about 1% of each collection changes (new, updated or deleted records). */
  async writeDay(dayStart: number): Promise<void> {
    await this.writeChanges(
      dayStart,
      this.files.accounts,
      this.accounts.map((account) => account.record),
      {
        create: (at) => this.addAccount(at, at).record,
        update: (record, at) => this.updateAccount(record, at),
      },
    );
    await this.writeChanges(dayStart, this.files.contacts, this.contacts, {
      create: (at) => this.addContact(this.pickLiveAccount(at), at),
      update: (record, at) => this.updateContact(record, at),
    });
    await this.writeChanges(dayStart, this.files.opportunities, this.opportunities, {
      create: (at) => this.addOpportunity(this.pickLiveAccount(at), at),
      update: (record, at) => this.updateOpportunity(record, at),
    });
  }

  private async writeChanges<R extends { updated_at: string; is_deleted: boolean }>(
    dayStart: number,
    file: JsonLinesFile,
    records: readonly R[],
    change: { create: (at: number) => R; update: (record: R, at: number) => void },
  ): Promise<void> {
    const random = this.random;
    const alive = records.filter((record) => !record.is_deleted).length;
    const count = Math.max(1, Math.round(alive * DAILY_CHANGE_RATE));
    const times = Array.from({ length: count }, () => dayStart + random.below(DAY_MS)).sort(
      (a, b) => a - b,
    );
    const touched = new Set<R>();
    for (const at of times) {
      const kind = CHANGE_KIND.pick(random);
      const target = kind === 'new' ? undefined : this.pickUntouched(records, touched);
      if (target === undefined) {
        const created = change.create(at);
        touched.add(created);
        await file.write(created);
        continue;
      }
      touched.add(target);
      if (kind === 'delete') {
        target.is_deleted = true;
        target.updated_at = isoTimestamp(at);
      } else {
        change.update(target, at);
      }
      await file.write(target);
    }
  }

  /** A live record not changed yet today, or `undefined` if a few tries find none. */
  private pickUntouched<R extends { is_deleted: boolean }>(
    records: readonly R[],
    touched: Set<R>,
  ): R | undefined {
    for (let attempt = 0; attempt < 20; attempt++) {
      const record = this.random.pick(records);
      if (!record.is_deleted && !touched.has(record)) return record;
    }
    return undefined;
  }

  private pickLiveAccount(at: number): Account {
    for (let attempt = 0; attempt < 20; attempt++) {
      const account = this.random.pick(this.accounts);
      if (!account.record.is_deleted && account.createdAt <= at) return account;
    }
    return this.accounts[0]!;
  }

  private addAccount(createdAt: number, updatedAt: number): Account {
    const random = this.random;
    const country = COUNTRIES[CUSTOMER_COUNTRY.pick(random)]!;
    const words = [
      random.pick(COMPANY_WORDS_FIRST),
      random.pick(COMPANY_WORDS_SECOND),
      random.pick(COMPANY_WORDS_THIRD),
    ];
    const account: Account = {
      record: {
        account_id: crmId('ACC', this.accounts.length + 1),
        name: `${words[0]}${words[1]} ${words[2]} ${random.pick(country.companySuffixes)}`,
        industry: random.pick(INDUSTRIES),
        country: country.code,
        owner_email: random.pick(ACCOUNT_OWNERS),
        annual_revenue: Math.round(random.logBetween(2e5, 5e9) / 1000) * 1000,
        created_at: isoTimestamp(createdAt),
        updated_at: isoTimestamp(updatedAt),
        is_deleted: false,
      },
      country,
      domain: `${asciiSlug(words.join(''))}.${country.topLevelDomain}`,
      createdAt,
    };
    this.accounts.push(account);
    return account;
  }

  /** A revised revenue figure, or a new account owner. */
  private updateAccount(record: AccountRecord, at: number): void {
    if (this.random.chance(0.6)) {
      record.annual_revenue =
        Math.round((record.annual_revenue * this.random.between(0.9, 1.25)) / 1000) * 1000;
    } else {
      record.owner_email = this.random.pick(
        ACCOUNT_OWNERS.filter((owner) => owner !== record.owner_email),
      );
    }
    record.updated_at = isoTimestamp(at);
  }

  /** A contact, linked to a (preferably business) shop customer 60% of the time. */
  private addContact(account: Account, at: number): ContactRecord {
    const random = this.random;
    let name: PersonName;
    let customerId: number | null = null;
    let email: string;
    let phone: string;
    if (random.chance(0.6) && this.customers.countCreatedBy(at) > 0) {
      customerId = this.pickBusinessCustomer(at);
      const profile = this.customers.profile(customerId);
      name = { firstName: profile.firstName, lastName: profile.lastName };
      email = random.chance(0.7) ? profile.cleanEmail : this.workEmail(name, account);
      phone = random.chance(0.5) ? profile.cleanPhone : phoneNumber(random, account.country);
    } else {
      name = personName(random, account.country);
      email = this.workEmail(name, account);
      phone = phoneNumber(random, account.country);
    }
    const record: ContactRecord = {
      contact_id: crmId('CON', this.contacts.length + 1),
      account_id: account.record.account_id,
      customer_id: customerId,
      first_name: name.firstName,
      last_name: name.lastName,
      email,
      phone,
      title: random.pick(JOB_TITLES),
      updated_at: isoTimestamp(at),
      is_deleted: false,
    };
    const dirt = this.contactDirt.kindAt(this.contacts.length, random);
    if (dirt === 'phone_not_available' || dirt === 'phone_too_short')
      record.phone = soilPhone(random, phone, dirt);
    else if (dirt !== undefined) record.email = soilEmail(random, email, dirt);
    this.contacts.push(record);
    return record;
  }

  private updateContact(record: ContactRecord, at: number): void {
    const random = this.random;
    const account = this.accountOf(record.account_id);
    const field = random.pick(['title', 'phone', 'email'] as const);
    if (field === 'title') {
      record.title = random.pick(JOB_TITLES.filter((title) => title !== record.title));
    } else if (field === 'phone') {
      record.phone = phoneNumber(random, account.country);
      const dirt = UPDATED_PHONE_DIRT.kindAt(-1, random);
      if (dirt) record.phone = soilPhone(random, record.phone, dirt);
    } else {
      record.email = this.workEmail(
        { firstName: record.first_name, lastName: record.last_name },
        account,
      );
      const dirt = UPDATED_EMAIL_DIRT.kindAt(-1, random);
      if (dirt) record.email = soilEmail(random, record.email, dirt);
    }
    record.updated_at = isoTimestamp(at);
  }

  private addOpportunity(account: Account, at: number): OpportunityRecord {
    const random = this.random;
    const stage = INITIAL_STAGE.pick(random);
    const record: OpportunityRecord = {
      opportunity_id: crmId('OPP', this.opportunities.length + 1),
      account_id: account.record.account_id,
      stage,
      amount: this.dealAmount(account, at),
      currency: account.country.currency,
      close_date: isClosed(stage) ? isoDate(at) : isoDate(at + random.intBetween(7, 120) * DAY_MS),
      updated_at: isoTimestamp(at),
      is_deleted: false,
    };
    this.soilAmount(record, this.opportunities.length);
    this.opportunities.push(record);
    return record;
  }

  /** Open deals move one stage on (or are lost); closed ones only get their amount corrected. */
  private updateOpportunity(record: OpportunityRecord, at: number): void {
    const random = this.random;
    if (isClosed(record.stage)) {
      record.amount = this.dealAmount(this.accountOf(record.account_id), at);
      this.soilAmount(record, -1);
    } else {
      const next = OPPORTUNITY_STAGES[OPPORTUNITY_STAGES.indexOf(record.stage) + 1]!;
      const lost = random.chance(0.15) || (next === 'closed_won' && random.chance(0.4));
      record.stage = lost ? 'closed_lost' : next;
      if (isClosed(record.stage)) record.close_date = isoDate(at);
    }
    record.updated_at = isoTimestamp(at);
  }

  /** A deal worth 2k to 400k USD, quoted in round hundreds of the account's currency. */
  private dealAmount(account: Account, at: number): number {
    const amountUsd = this.random.logBetween(2_000, 400_000);
    return Math.round((amountUsd * this.fx.rate(account.country.currency, at)) / 100) * 100;
  }

  private soilAmount(record: OpportunityRecord, position: number): void {
    const dirt = this.amountDirt.kindAt(position, this.random);
    if (dirt === 'amount_negative') record.amount = -Number(record.amount);
    if (dirt === 'amount_not_a_number') record.amount = 'n/a';
  }

  /** Account ids are `ACC-<position>`. */
  private accountOf(accountId: string): Account {
    return this.accounts[Number(accountId.slice('ACC-'.length)) - 1]!;
  }

  private pickBusinessCustomer(at: number): number {
    let customerId = this.customers.pickAt(this.random, at);
    for (
      let attempt = 0;
      attempt < 4 && this.customers.initialSegment[customerId - 1] === 0;
      attempt++
    ) {
      customerId = this.customers.pickAt(this.random, at);
    }
    return customerId;
  }

  private workEmail(name: PersonName, account: Account): string {
    return `${asciiSlug(name.firstName)}.${asciiSlug(name.lastName)}@${account.domain}`;
  }
}
