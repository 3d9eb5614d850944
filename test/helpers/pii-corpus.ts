/**
 * The labelled corpus the PII scanner is measured on: columns of every entity in the formats
 * people type, next to the hard negatives a scanner gets wrong (order ids, SKUs, amounts, UUIDs,
 * ten-digit ids that parse as phones, SKUs with an `@`, misleadingly named columns, SSNs in the
 * ranges never issued, card numbers failing Luhn), with nulls and junk mixed in. Deterministic
 * for a seed, so the figures it yields can be quoted.
 */
import type { PiiEntity, QuasiIdentifier } from '../../lambdas/core/privacy/pii-scan';

export interface LabelledColumn {
  readonly name: string;
  /** What the column holds: an entity, a quasi-identifier, or `none`. */
  readonly label: PiiEntity | QuasiIdentifier | 'none';
  readonly values: readonly (string | null)[];
}

/** mulberry32: small, fast, and the same sequence on every platform. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  digits(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  letters(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }
}

const firstNames = [
  'James',
  'Mary',
  'Olivia',
  'Lukas',
  'Sophie',
  'Camille',
  'Hugo',
  'Lucía',
  'Giulia',
  'Piotr',
  'Emma',
  'Noah',
  'Jürgen',
  'Inès',
  'Daniel',
  'Sarah',
];
/** Given names the scanner's list does not have: a last-name-like first name column. */
const rareFirstNames = ['Zoltan', 'Bogdana', 'Tadeusz', 'Eowyn', 'Radomir', 'Ilse', 'Sigrun'];
const lastNames = [
  'Smith',
  'Müller',
  'Dubois',
  'García',
  "O'Brien",
  'Nowak',
  'Rossi',
  'van der Berg',
  'Schröder',
  'Kowalski',
  'Fernández',
  'Taylor',
];
const streets = ['Baker', 'Main', 'Oak', 'High', 'Church', 'Station', 'Mill', 'Park'];
const streetKinds = ['Street', 'St', 'Avenue', 'Ave', 'Road', 'Rd', 'Lane', 'Drive', 'Way'];
const germanStreets = ['Haupt', 'Bahnhof', 'Garten', 'Schiller', 'Goethe', 'Linden'];
const cities = ['London', 'Berlin', 'Paris', 'Madrid', 'Rome', 'Warsaw', 'Lyon', 'Munich'];
const domains = ['example.com', 'mail.co.uk', 'web.de', 'corp.example.org', 'gmail.com'];
const junk = ['n/a', 'N/A', '-', 'unknown', '0', 'none', 'TBD', '?'];

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

function luhnDigit(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const candidate = partial + d;
    let sum = 0;
    for (let i = 0; i < candidate.length; i++) {
      let x = Number(candidate[candidate.length - 1 - i]);
      if (i % 2 === 1) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
      sum += x;
    }
    if (sum % 10 === 0) return String(d);
  }
  throw new Error('unreachable');
}

function cardNumber(r: Random): string {
  const [prefix, length] = r.pick<[string, number]>([
    ['4', 16],
    ['4', 13],
    ['4', 19],
    [String(r.int(51, 55)), 16],
    [String(r.int(2221, 2720)), 16],
    [r.pick(['34', '37']), 15],
    ['6011', 16],
    ['65', 19],
    [String(r.int(3528, 3589)), 16],
  ]);
  const body = prefix + r.digits(length - prefix.length - 1);
  return body + luhnDigit(body);
}

function groupedCard(r: Random): string {
  const pan = cardNumber(r);
  const style = r.int(0, 2);
  if (style === 0) return pan;
  const separator = style === 1 ? ' ' : '-';
  return pan.match(/.{1,4}/g)!.join(separator);
}

const ibanLengths: Record<string, number> = {
  DE: 22,
  GB: 22,
  CH: 21,
  NL: 18,
  IE: 22,
  IT: 27,
  BE: 16,
  AT: 20,
};

/**
 * An IBAN with correct check digits, and the national check Belgium's BBAN carries (countries
 * whose national checks are longer to compute are left out, not generated wrong).
 */
function ibanNumber(r: Random): string {
  const country = r.pick(Object.keys(ibanLengths));
  const bbanLength = ibanLengths[country]! - 4;
  const bban =
    country === 'GB' || country === 'IE'
      ? `${r.letters(4)}${r.digits(bbanLength - 4)}`
      : country === 'BE'
        ? belgianBban(r)
        : country === 'NL'
          ? `${r.letters(4)}${r.digits(bbanLength - 4)}`
          : country === 'IT'
            ? `${r.letters(1)}${r.digits(bbanLength - 1)}`
            : r.digits(bbanLength);
  const numeric = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let remainder = 0;
  for (const digit of numeric) remainder = (remainder * 10 + Number(digit)) % 97;
  const check = String(98 - remainder).padStart(2, '0');
  const electronic = `${country}${check}${bban}`;
  return r.next() < 0.5 ? electronic : electronic.match(/.{1,4}/g)!.join(' ');
}

/** Three bank digits, seven account digits, and their remainder mod 97 (97 for 0). */
function belgianBban(r: Random): string {
  const first = `${r.int(100, 999)}${r.digits(7)}`;
  const check = Number(first) % 97 || 97;
  return `${first}${String(check).padStart(2, '0')}`;
}

function ssn(r: Random, separator = '-'): string {
  let area = r.int(1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}${separator}${String(r.int(1, 99)).padStart(2, '0')}${separator}${String(r.int(1, 9999)).padStart(4, '0')}`;
}

function nino(r: Random): string {
  const first = r.letters(1, 'ABCEGHJKLMNPRSTWXYZ');
  const second = r.letters(1, 'ABCEGHJKLMNPRSTWXYZ');
  const prefix = ['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ'].includes(first + second)
    ? 'AB'
    : first + second;
  const d = r.digits(6);
  const suffix = r.letters(1, 'ABCD');
  return r.next() < 0.5
    ? `${prefix}${d}${suffix}`
    : `${prefix} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${suffix}`;
}

function phoneNumber(r: Random): string {
  switch (r.int(0, 6)) {
    case 0:
      return `+44 20 ${r.int(7000, 8999)} ${r.digits(4)}`;
    case 1:
      return `(${r.int(201, 989)}) ${r.int(200, 989)}-${r.digits(4)}`;
    case 2:
      return `+1-${r.int(201, 989)}-${r.int(200, 989)}-${r.digits(4)}`;
    case 3:
      return `030 ${r.int(2, 9)}${r.digits(7)}`;
    case 4:
      return `0049 ${r.int(151, 179)} ${r.digits(7)}`;
    case 5:
      return `+33 6 ${r.digits(2)} ${r.digits(2)} ${r.digits(2)} ${r.digits(2)}`;
    default:
      return `${r.int(201, 989)}.${r.int(200, 989)}.${r.digits(4)}`;
  }
}

function emailAddress(r: Random): string {
  const first = slug(r.pick(firstNames));
  const last = slug(r.pick(lastNames));
  const local = r.pick([
    `${first}.${last}`,
    `${first}${r.int(1, 99)}`,
    `${first[0]}.${last}`,
    `${first}+news`,
    `${last}_${first}`,
  ]);
  const address = `${local}@${r.pick(domains)}`;
  return r.next() < 0.1 ? address.toUpperCase() : address;
}

function fullName(r: Random): string {
  const first = r.pick(firstNames);
  const last = r.pick(lastNames).replace('van der Berg', 'Berg');
  return r.next() < 0.2 ? `${last}, ${first}` : `${first} ${last}`;
}

function streetAddress(r: Random): string {
  switch (r.int(0, 3)) {
    case 0:
      return `${r.int(1, 999)} ${r.pick(streets)} ${r.pick(streetKinds)}`;
    case 1:
      return `${r.pick(germanStreets)}straße ${r.int(1, 120)}`;
    case 2:
      return `${r.int(1, 300)}${r.pick(['', 'B'])} ${r.pick(streets)} ${r.pick(streetKinds)}, ${r.pick(cities)}`;
    default:
      return `${r.int(1, 80)} rue de ${r.pick(['Rivoli', 'la Paix', 'Lyon'])}`;
  }
}

function birthDate(r: Random): string {
  const [y, m, d] = [r.int(1935, 2008), r.int(1, 12), r.int(1, 28)];
  const pad = (n: number) => String(n).padStart(2, '0');
  return r.pick([
    `${y}-${pad(m)}-${pad(d)}`,
    `${pad(d)}.${pad(m)}.${y}`,
    `${pad(m)}/${pad(d)}/${y}`,
  ]);
}

function ipAddress(r: Random): string {
  if (r.next() < 0.7) return `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
  const groups = Array.from({ length: 8 }, () => r.int(0, 65535).toString(16));
  return r.next() < 0.5 ? groups.join(':') : `2001:db8::${groups[6]}:${groups[7]}`;
}

function passport(r: Random): string {
  return r.pick([
    () => r.digits(9),
    () => `${r.letters(1, 'CFGHJK')}${r.letters(8, '0123456789CFGHJKLMNPRTVWXYZ')}`,
    () => `${r.letters(2)}${r.digits(7)}`,
  ])();
}

const sentences = [
  'Customer called about the late delivery',
  'Please update the billing details before the next invoice',
  'Left a voicemail, will try again tomorrow',
  'Asked for a refund of the damaged item',
  'Prefers contact in the afternoon',
];

function noteWithPii(r: Random): string {
  const base = r.pick(sentences);
  if (r.next() > 0.35) return `${base}.`;
  const pii = r.pick([emailAddress, phoneNumber, groupedCard, ibanNumber])(r);
  return `${base}; reach them at ${pii} if needed.`;
}

function uuid(r: Random): string {
  const hex = () => r.int(0, 15).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-${r.pick(['8', '9', 'a', 'b'])}${part(3)}-${part(12)}`;
}

interface ColumnSpec {
  readonly names: readonly string[];
  readonly label: LabelledColumn['label'];
  readonly value: (r: Random) => string;
  /** Share of values replaced by junk, and of NULLs. */
  readonly dirt?: number;
}

const positive: ColumnSpec[] = [
  { names: ['email', 'contact_email', 'c1', 'user_login'], label: 'email', value: emailAddress },
  { names: ['phone', 'mobile', 'c2', 'contact_no'], label: 'phone', value: phoneNumber },
  {
    names: ['full_name', 'customer', 'col7', 'display_name'],
    label: 'person_name',
    value: fullName,
  },
  { names: ['first_name', 'given_name'], label: 'person_name', value: (r) => r.pick(firstNames) },
  {
    names: ['first_name', 'forename'],
    label: 'person_name',
    value: (r) => r.pick(rareFirstNames),
  },
  { names: ['last_name', 'surname'], label: 'person_name', value: (r) => r.pick(lastNames) },
  {
    names: ['address', 'street', 'c5', 'ship_to'],
    label: 'street_address',
    value: streetAddress,
  },
  {
    names: ['dob', 'birth_date', 'date_of_birth', 'born_on'],
    label: 'date_of_birth',
    value: birthDate,
  },
  { names: ['ip', 'client_ip', 'c9', 'remote_addr'], label: 'ip_address', value: ipAddress },
  {
    names: ['card_number', 'pan', 'c3', 'payment_ref'],
    label: 'credit_card',
    value: groupedCard,
  },
  { names: ['iban', 'account', 'c4', 'payout_to'], label: 'iban', value: ibanNumber },
  { names: ['ssn', 'c6', 'tax_id'], label: 'us_ssn', value: (r) => ssn(r) },
  { names: ['ssn', 'social_security_no'], label: 'us_ssn', value: (r) => ssn(r, '') },
  { names: ['nino', 'c8', 'ni_ref'], label: 'uk_nino', value: nino },
  { names: ['passport_no', 'passport_number'], label: 'passport_number', value: passport },
  { names: ['notes', 'comment', 'c10'], label: 'free_text', value: noteWithPii },
];

const quasi: ColumnSpec[] = [
  {
    names: ['zip', 'postal_code', 'postcode'],
    label: 'postal_code',
    value: (r) =>
      r.pick([
        () => r.digits(5),
        () => `SW${r.int(1, 9)}A ${r.int(1, 9)}AA`,
        () => `${r.int(1000, 9999)} ${r.letters(2)}`,
      ])(),
  },
  { names: ['birth_year', 'yob'], label: 'birth_year', value: (r) => String(r.int(1940, 2008)) },
  {
    names: ['gender', 'sex'],
    label: 'gender',
    value: (r) => r.pick(['M', 'F', 'female', 'male', 'X']),
  },
];

const negative: ColumnSpec[] = [
  {
    names: ['order_id', 'email', 'id'],
    label: 'none',
    value: (r) => `ORD-${String(r.int(1, 999999)).padStart(6, '0')}`,
  },
  { names: ['order_number', 'c11'], label: 'none', value: (r) => String(r.int(1, 99_999_999)) },
  {
    names: ['sku', 'phone', 'c12'],
    label: 'none',
    value: (r) => `${r.letters(3)}-${r.digits(4)}-${r.pick(['RED', 'BLU', 'XL', 'S'])}`,
  },
  {
    names: ['email', 'bin_location'],
    label: 'none',
    value: (r) => `${r.letters(2).toLowerCase()}${r.digits(3)}@${r.pick(['shelf', 'bin', 'dock'])}`,
  },
  {
    names: ['amount', 'amount_usd', 'c13'],
    label: 'none',
    value: (r) => (r.int(100, 9_999_999) / 100).toFixed(2),
  },
  { names: ['uuid', 'request_id', 'ssn'], label: 'none', value: uuid },
  {
    names: ['created_at', 'dob', 'c14'],
    label: 'none',
    value: (r) =>
      `2025-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')} ${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:00`,
  },
  {
    names: ['order_date', 'shipped_on'],
    label: 'none',
    value: (r) =>
      `2025-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`,
  },
  {
    names: ['country', 'country_code', 'c15'],
    label: 'none',
    value: (r) => r.pick(['US', 'DE', 'FR', 'GB', 'ES', 'IT', 'NL', 'USA', 'DEU']),
  },
  {
    names: ['currency', 'iban'],
    label: 'none',
    value: (r) => r.pick(['EUR', 'USD', 'GBP', 'CHF', 'JPY']),
  },
  {
    names: ['tracking_number', 'c16', 'parcel_id'],
    label: 'none',
    value: (r) => `${r.int(2, 9)}${r.digits(9)}`,
  },
  {
    names: ['card_number', 'c17'],
    label: 'none',
    value: (r) => {
      const pan = cardNumber(r);
      const last = (Number(pan.at(-1)) + r.int(1, 9)) % 10;
      return pan.slice(0, -1) + String(last);
    },
  },
  {
    names: ['ssn', 'c18'],
    label: 'none',
    value: (r) =>
      r.pick([
        () => `000-${r.digits(2)}-${r.digits(4)}`,
        () => `666-${r.digits(2)}-${r.digits(4)}`,
        () => `${r.int(900, 999)}-${r.digits(2)}-${r.digits(4)}`,
        () => `${r.int(100, 899)}-00-${r.digits(4)}`,
      ])(),
  },
  {
    names: ['iban', 'c19'],
    label: 'none',
    value: (r) => {
      const valid = ibanNumber(r).replace(/ /g, '');
      const check = (Number(valid.slice(2, 4)) + r.int(1, 50)) % 100;
      return `${valid.slice(0, 2)}${String(check).padStart(2, '0')}${valid.slice(4)}`;
    },
  },
  {
    names: ['customer_name', 'account_name', 'company'],
    label: 'none',
    value: (r) =>
      `${r.pick(['Acme', 'Northwind', 'Globex', 'Initech', 'Umbrella'])} ${r.pick(['Systems', 'Trading', 'Foods'])} ${r.pick(['GmbH', 'Ltd', 'Inc.', 'S.A.', 'B.V.'])}`,
  },
  {
    names: ['product_name', 'title', 'c20'],
    label: 'none',
    value: (r) =>
      `${r.pick(['Classic', 'Ultra', 'Compact', 'Deluxe'])} ${r.pick(['Lamp', 'Desk', 'Chair', 'Kettle'])} ${r.pick(['Pro', 'Mini', 'Max'])}`,
  },
  { names: ['city', 'c21'], label: 'none', value: (r) => r.pick(cities) },
  {
    names: ['description', 'notes'],
    label: 'none',
    value: (r) =>
      `${r.pick(['Lightweight', 'Sturdy', 'Waterproof'])} ${r.pick(['jacket', 'table', 'bag'])} with ${r.int(2, 6)} pockets, ships in ${r.int(1, 5)} days, ref ${r.letters(2)}-${r.digits(5)}.`,
  },
  {
    names: ['status', 'c22'],
    label: 'none',
    value: (r) => r.pick(['pending', 'shipped', 'delivered', 'returned']),
  },
  {
    names: ['sha', 'checksum'],
    label: 'none',
    value: (r) => Array.from({ length: 40 }, () => r.int(0, 15).toString(16)).join(''),
  },
  {
    names: ['product_code', 'c23'],
    label: 'none',
    value: (r) => `${r.letters(2)}${r.digits(6)}`,
  },
  { names: ['quantity', 'c24'], label: 'none', value: (r) => String(r.int(1, 50)) },
  {
    names: ['payload', 'c25'],
    label: 'none',
    value: (r) =>
      JSON.stringify({
        order: r.int(1, 99999),
        sku: `${r.letters(3)}-${r.digits(4)}`,
        qty: r.int(1, 9),
      }),
  },
  {
    names: ['version', 'c26'],
    label: 'none',
    value: (r) => `${r.int(1, 9)}.${r.int(0, 20)}.${r.int(0, 99)}`,
  },
];

/**
 * The corpus: every spec under each of its names, in clean and dirty variants (junk values and
 * NULLs mixed in), `rows` values a column.
 */
export function piiCorpus(seed = 12, rows = 300): LabelledColumn[] {
  const r = new Random(seed);
  const columns: LabelledColumn[] = [];
  for (const spec of [...positive, ...quasi, ...negative])
    for (const name of spec.names)
      for (const dirt of [0, 0.15]) {
        const values = Array.from({ length: rows }, () => {
          const roll = r.next();
          if (roll < dirt / 2) return null;
          if (roll < dirt) return r.pick(junk);
          return spec.value(r);
        });
        columns.push({ name, label: spec.label, values });
      }
  return columns;
}
