/**
 * People as the sources spell them: names by country, e-mail addresses and phone numbers in the
 * local and international styles people really type, country written every which way, and the
 * dirt (broken e-mails, `n/a` phones, unknown countries) that silver has to clean or quarantine.
 * Customers (Snowflake) and contacts (CRM) share it, so both sources look alike.
 */
import { DirtSchedule, WeightedChoice, type Random } from './random';
import { COUNTRIES, FIRST_NAMES, LAST_NAMES, UNKNOWN_COUNTRIES, type Country } from './reference';

/** Index into {@link COUNTRIES}, weighted by where the shop's customers live. */
export const CUSTOMER_COUNTRY = new WeightedChoice(
  COUNTRIES.map((country, index) => [index, country.customerWeight] as const),
);

export type EmailDirt = 'email_mixed_case' | 'email_malformed' | 'email_missing';
export type PhoneDirt = 'phone_not_available' | 'phone_too_short';

/** Dirt rates of contact fields, shared by customers and CRM contacts. */
export const EMAIL_DIRT_RATES: readonly (readonly [EmailDirt, number])[] = [
  ['email_mixed_case', 0.02],
  ['email_malformed', 0.005],
  ['email_missing', 0.005],
];
export const PHONE_DIRT_RATES: readonly (readonly [PhoneDirt, number])[] = [
  ['phone_not_available', 0.005],
  ['phone_too_short', 0.005],
];

/** Dirt of a value re-entered by an update (no forced positions). */
export const UPDATED_EMAIL_DIRT = new DirtSchedule(EMAIL_DIRT_RATES);
export const UPDATED_PHONE_DIRT = new DirtSchedule(PHONE_DIRT_RATES);

export interface PersonName {
  readonly firstName: string;
  readonly lastName: string;
}

export function personName(random: Random, country: Country): PersonName {
  return {
    firstName: random.pick(FIRST_NAMES[country.locale]),
    lastName: random.pick(LAST_NAMES[country.locale]),
  };
}

/** Lower-case ASCII for e-mail local parts and domains: `Müller` → `muller`, `O'Brien` → `obrien`. */
export function asciiSlug(text: string): string {
  return text
    .replace(/ß/g, 'ss')
    .replace(/[øØ]/g, 'o')
    .replace(/[æÆ]/g, 'ae')
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}

const EMAIL_LOCAL_PART = new WeightedChoice<
  (first: string, last: string, random: Random) => string
>([
  [(first, last) => `${first}.${last}`, 45],
  [(first, last) => `${first}${last}`, 10],
  [(first, last) => `${first.charAt(0)}.${last}`, 10],
  [(first, last) => `${first}_${last}`, 5],
  [(first, last, random) => `${first}.${last}${random.intBetween(1, 99)}`, 15],
  [(first, last, random) => `${first}${last.charAt(0)}${random.intBetween(1960, 2005)}`, 10],
  [(first, last) => `${last}.${first}`, 5],
]);

/** A private e-mail address in a provider common in the person's country. */
export function personalEmail(random: Random, name: PersonName, country: Country): string {
  const local = EMAIL_LOCAL_PART.pick(random)(
    asciiSlug(name.firstName),
    asciiSlug(name.lastName),
    random,
  );
  return `${local}@${random.pick(country.emailDomains)}`;
}

type PhoneStyle = 'national' | 'plus' | 'double_zero' | 'compact';
const PHONE_STYLE = new WeightedChoice<PhoneStyle>([
  ['national', 60],
  ['plus', 25],
  ['double_zero', 10],
  ['compact', 5],
]);

/** A phone number of the country, spelled nationally (`020 7946 0958`) or internationally (`+44 20 7946 0958`). */
export function phoneNumber(random: Random, country: Country): string {
  const plan = country.phone;
  const area = random.pick(plan.areas);
  const groups = area.groups.map((length, index) => {
    let digits = index === 0 ? String(random.intBetween(2, 9)) : '';
    while (digits.length < length) digits += String(random.below(10));
    return digits;
  });
  const subscriber = groups.join(plan.groupSeparator);
  const style = PHONE_STYLE.pick(random);
  if (style === 'national') {
    const prefix = `${plan.trunkPrefix}${area.code}`;
    return plan.parenthesizedArea
      ? `(${prefix}) ${subscriber}`
      : `${prefix}${plan.areaSeparator}${subscriber}`;
  }
  const dialledArea = `${plan.keepsTrunkAbroad ? plan.trunkPrefix : ''}${area.code}`;
  if (style === 'compact') return `+${plan.callingCode}${dialledArea}${groups.join('')}`;
  const areaSeparator = plan.parenthesizedArea ? ' ' : plan.areaSeparator;
  const exitCode = style === 'plus' ? '+' : '00';
  return `${exitCode}${plan.callingCode} ${dialledArea}${areaSeparator}${subscriber}`;
}

/** The stored form of an e-mail address carrying `dirt`. */
export function soilEmail(random: Random, email: string, dirt: EmailDirt): string | null {
  const [local = '', domain = ''] = email.split('@');
  switch (dirt) {
    case 'email_missing':
      return null;
    case 'email_mixed_case': {
      const capitalized = `${local.replace(/(^|[._])([a-z])/g, (_m, separator: string, letter: string) => separator + letter.toUpperCase())}@${domain.charAt(0).toUpperCase()}${domain.slice(1)}`;
      return random.pick([
        ` ${capitalized}`,
        `${email.toUpperCase()} `,
        `  ${email}`,
        `${capitalized}\t`,
      ]);
    }
    case 'email_malformed':
      return random.pick([
        `${local}@`,
        `${local} at ${domain}`,
        `${local}@${domain.split('.')[0]}`,
        `${local}@@${domain}`,
      ]);
  }
}

/** The stored form of a phone number carrying `dirt`. */
export function soilPhone(random: Random, phone: string, dirt: PhoneDirt): string {
  if (dirt === 'phone_not_available') return random.pick(['n/a', 'N/A']);
  const digits = phone.replace(/\D/g, '');
  return digits.slice(digits.length - random.intBetween(3, 5));
}

type CountrySpelling =
  'code' | 'code_lower' | 'alpha3' | 'alpha3_lower' | 'name' | 'name_lower' | 'name_upper';
const COUNTRY_SPELLING = new WeightedChoice<CountrySpelling>([
  ['code', 80],
  ['code_lower', 4],
  ['alpha3', 5],
  ['alpha3_lower', 2],
  ['name', 6],
  ['name_lower', 1],
  ['name_upper', 2],
]);

/** The country as a person typed it: `US`, `usa`, `United States`, ... */
export function spellCountry(random: Random, country: Country): string {
  switch (COUNTRY_SPELLING.pick(random)) {
    case 'code':
      return country.code;
    case 'code_lower':
      return country.code.toLowerCase();
    case 'alpha3':
      return country.alpha3;
    case 'alpha3_lower':
      return country.alpha3.toLowerCase();
    case 'name':
      return country.name;
    case 'name_lower':
      return country.name.toLowerCase();
    case 'name_upper':
      return country.name.toUpperCase();
  }
}

/** A country that does not exist: the `country` dirt. */
export function unknownCountry(random: Random): string {
  return random.pick(UNKNOWN_COUNTRIES);
}
