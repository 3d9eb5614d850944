/**
 * Value-level PII detectors: each says whether one text is an instance of an entity, with a
 * validator wherever one exists (Luhn, IBAN mod-97, SSN ranges, phone metadata), because a regex
 * alone flags every 16-digit order id. A detector answers `strong` when the value alone is
 * convincing, `weak` when it only has the shape (a nine-digit number could be an SSN or a
 * product code) and needs a column name hint to count. Pure functions over strings; the column
 * verdict is `pii-scan.ts`'s.
 */
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/min';

export type Evidence = 'strong' | 'weak' | undefined;

/** Luhn checksum over a string of digits (card numbers, IMEIs). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Issuer ranges and lengths of the card schemes, so that Luhn's one-in-ten chance passes fewer
 * numeric ids: Visa, Mastercard (51–55 and the 2-series 2221–2720), Amex, Discover, JCB,
 * Diners, UnionPay and Maestro, up to 19-digit PANs.
 */
function issuerKnown(pan: string): boolean {
  const n = pan.length;
  const p2 = Number(pan.slice(0, 2));
  const p3 = Number(pan.slice(0, 3));
  const p4 = Number(pan.slice(0, 4));
  const p6 = Number(pan.slice(0, 6));
  if (pan[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38) return n >= 14 && n <= 19;
  if (p2 === 62) return n >= 16 && n <= 19;
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19;
  return false;
}

/** A payment card number, digits optionally grouped by spaces or dashes. */
export function creditCard(value: string): Evidence {
  if (!/^\d[\d -]{10,22}\d$/.test(value)) return undefined;
  const digits = value.replace(/[ -]/g, '');
  if (digits.length < 12 || digits.length > 19) return undefined;
  return luhnValid(digits) && issuerKnown(digits) ? 'strong' : undefined;
}

/** An IBAN, electronic (`DE89370400440532013000`) or printed in groups of four. */
export function iban(value: string): Evidence {
  if (!/^[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{10,36}$/.test(value)) return undefined;
  const electronic = electronicFormatIBAN(value);
  return electronic && isValidIBAN(electronic) ? 'strong' : undefined;
}

/** The SSA never issues area 000, 666 or 900–999, group 00 or serial 0000. */
function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a !== 0 && a !== 666 && a < 900 && group !== '00' && serial !== '0000';
}

/** A US social security number: `123-45-6789` is convincing, nine bare digits only the shape. */
export function usSsn(value: string): Evidence {
  const dashed = /^(\d{3})[- ](\d{2})[- ](\d{4})$/.exec(value);
  if (dashed) return ssnValid(dashed[1]!, dashed[2]!, dashed[3]!) ? 'strong' : undefined;
  const bare = /^(\d{3})(\d{2})(\d{4})$/.exec(value);
  return bare && ssnValid(bare[1]!, bare[2]!, bare[3]!) ? 'weak' : undefined;
}

/** Prefixes HMRC never allocates as a National Insurance number. */
const ninoInvalidPrefixes = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

/** A UK National Insurance number, `QQ 12 34 56 C` with or without spaces. */
export function ukNino(value: string): Evidence {
  const compact = value.replace(/\s/g, '').toUpperCase();
  if (!/^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(compact)) return undefined;
  return ninoInvalidPrefixes.has(compact.slice(0, 2)) ? undefined : 'strong';
}

/** Passport numbers have no checksum outside the MRZ: six to nine letters and digits is a shape. */
export function passportNumber(value: string): Evidence {
  return /^(?=.*\d)[A-Z0-9]{6,9}$/.test(value) && !/^\d{1,5}$/.test(value) ? 'weak' : undefined;
}

/** A mailbox: a local part, `@`, and a domain ending in a letters-only top-level label. */
export function email(value: string): Evidence {
  return /^[A-Za-z0-9._%+'-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/.test(
    value,
  )
    ? 'strong'
    : undefined;
}

/** Parses dotted-quad IPv4, no leading zeros (`010.1.1.1` is a version string or a code). */
export function ipv4(value: string): Evidence {
  const parts = value.split('.');
  if (parts.length !== 4) return undefined;
  const octets = parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
  return octets ? 'strong' : undefined;
}

/** Parses IPv6 text (RFC 4291 forms: full, `::`-compressed, with a trailing IPv4, a zone id). */
export function ipv6(value: string): Evidence {
  const address = value.replace(/%[\w.]+$/, '');
  if (!/^[0-9A-Fa-f:.]+$/.test(address) || !address.includes(':')) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (text: string): string[] | undefined => {
    if (text === '') return [];
    const parts = text.split(':');
    const last = parts.at(-1)!;
    if (last.includes('.')) {
      if (!ipv4(last)) return undefined;
      parts.splice(-1, 1, '0', '0');
    }
    return parts.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p)) ? parts : undefined;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const count = head.length + tail.length;
  const ok = halves.length === 2 ? count <= 7 : count === 8;
  return ok ? 'strong' : undefined;
}

/** Countries a national-format number (no `+`) is tried against: the lake's customer countries. */
const nationalCountries: readonly CountryCode[] = [
  'US',
  'GB',
  'DE',
  'FR',
  'ES',
  'IT',
  'NL',
  'BE',
  'AT',
  'CH',
  'IE',
  'PL',
  'SE',
  'DK',
  'PT',
  'CA',
  'AU',
];

/**
 * A phone number, as people type them. Written with `+`/`00` or with separators, and possible by
 * libphonenumber's metadata (calling code, lengths) for its country or one of
 * {@link nationalCountries}: strong. Full validity (assigned ranges) would reject the fictional
 * and newly allocated numbers real tables hold; the shape and lengths already rule out ids. Bare
 * digits are a number before they are a phone, so they are weak at best (an id column of ten
 * digits passes the same test), and a decimal or a date never is.
 */
export function phone(value: string): Evidence {
  if (!/^\+?[\d\s().\-/]{6,24}$/.test(value)) return undefined;
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return undefined;
  if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/.test(value))
    return undefined;
  // Decimals, and the 3-2-4 grouping no numbering plan uses but SSNs (valid or not) do.
  if (/^-?\d+\.\d+$/.test(value) || /^\d{3}-\d{2}-\d{4}$/.test(value)) return undefined;
  const international = value.startsWith('+') || value.startsWith('00');
  const valid = international
    ? (parsePhoneNumberFromString(`+${value.replace(/^(\+|00)/, '')}`)?.isPossible() ?? false)
    : nationalCountries.some((c) => parsePhoneNumberFromString(value, c)?.isPossible() ?? false);
  if (!valid) return undefined;
  const bare = /^\d+$/.test(value);
  return bare && !value.startsWith('00') ? 'weak' : 'strong';
}

/** Words that make a capitalised phrase a company, not a person. */
const companyWords =
  /\b(inc|ltd|llc|gmbh|ag|kg|sa|sas|sarl|sl|srl|spa|bv|nv|plc|pty|oy|ab|corp|co|company|group|holding|holdings|systems|solutions|services|technologies|partners|industries|labs|bank|trust|foundation)\b/i;

/**
 * Common given names across the languages of the lake's customers. A column of capitalised words
 * is a person's name when many of them start with one; alone, the shape is only weak evidence
 * (cities, products and companies share it).
 */
const givenNames = new Set(
  (
    'james mary john patricia robert jennifer michael linda david emily daniel sarah thomas jessica olivia liam emma noah chloe jane ' +
    'william elizabeth richard barbara joseph susan charles karen christopher nancy matthew lisa anthony betty mark margaret ' +
    'donald sandra steven ashley paul kimberly andrew donna joshua michelle kevin carol brian amanda george melissa edward deborah ' +
    'ronald stephanie timothy rebecca jason laura jeffrey helen ryan sharon jacob cynthia gary kathleen nicholas amy eric anna ' +
    'lukas felix lea jonas hannah maximilian sophie marie leon jurgen jürgen sabine klaus katrin peter wolfgang stefan andreas ' +
    'louis camille hugo léa lea jules manon gabriel chloé arthur inès ines lucas élodie elodie mathis théo theo céline celine ' +
    'pierre jean marc nicolas julien isabelle nathalie martín martin lucía lucia sofía sofia pablo maría maria alejandro paula ' +
    'carmen javier elena sergio josé jose luis ana carlos marco giulia francesco alessandro chiara luca giovanni sara ' +
    'jan piotr katarzyna agnieszka tomasz pieter sem daan lars erik ingrid sven astrid oliver charlotte harry amelia jack isla ' +
    'mohammed ahmed fatima ali omar aisha wei li yuki hiroshi kenji priya raj arjun'
  ).split(' '),
);

/**
 * A person's name: one to four capitalised words of letters (with `'`, `-`, `.`), or
 * `Last, First`. Strong when a word is a common given name, weak on the shape alone.
 */
export function personName(value: string): Evidence {
  if (value.length < 2 || value.length > 60) return undefined;
  const words = value.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
  if (words.length < 1 || words.length > 4) return undefined;
  const shaped = words.every((w) => /^\p{Lu}[\p{L}'’.-]*$/u.test(w) && /\p{Ll}/u.test(w));
  if (!shaped || companyWords.test(value.replace(/\./g, ''))) return undefined;
  return words.some((w) => givenNames.has(w.toLowerCase().replace(/\.$/, ''))) ? 'strong' : 'weak';
}

/** Street types, in the languages of the lake's countries. */
const streetTypes =
  /\b(street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|dr|way|court|ct|place|pl|terrace|close|crescent|square|sq|highway|hwy|parkway|pkwy|rue|avenida|calle|via|viale|piazza|plaza|straat|laan|weg|gasse|platz|allee|ring|ulica|ul)\b\.?|(stra(ss|ß)e|str\.|weg|gasse|platz|allee|straat|laan|vej|gatan)\b/i;

/**
 * A street address: a house number and a street type (`12 Baker Street`, `Hauptstraße 5`,
 * `rue de Rivoli 3`, `221B Baker St, London`). Without a street type, a number and words is
 * only weak evidence.
 */
export function streetAddress(value: string): Evidence {
  if (value.length < 6 || value.length > 120 || !/\p{L}{2,}/u.test(value)) return undefined;
  const houseNumber = /(^|\s)\d{1,5}[A-Za-z]?(\s|,|$)/.test(value);
  if (!houseNumber) return undefined;
  if (streetTypes.test(value)) return 'strong';
  return /^\d{1,5}[A-Za-z]?\s+\p{L}+(\s+\p{L}+)+/u.test(value) ? 'weak' : undefined;
}

/**
 * A calendar date (`1984-03-07`, `07/03/1984`, `07.03.1984`) as a year, when it is a real day.
 * Times make it an event, never a birth date, so a timestamp is not a date here.
 */
function calendarYear(value: string): number | undefined {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const local = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(value);
  const [year, a, b] = iso
    ? [Number(iso[1]), Number(iso[2]), Number(iso[3])]
    : local
      ? [Number(local[3]), Number(local[2]), Number(local[1])]
      : [NaN, NaN, NaN];
  if (!Number.isFinite(year)) return undefined;
  // Day/month order is unknown for `03/07/1984`: a real day either way is enough.
  const real = (m: number, d: number) =>
    m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(year, m, 0)).getUTCDate();
  return real(a, b) || real(b, a) ? year : undefined;
}

/**
 * A date of birth by its range: a day between 120 years and one year before `referenceYear`.
 * Order and shipping dates fall in the same range, so the value is weak: a birth-date name
 * hint decides.
 */
export function dateOfBirth(value: string, referenceYear: number): Evidence {
  const year = calendarYear(value);
  return year !== undefined && year >= referenceYear - 120 && year <= referenceYear - 1
    ? 'weak'
    : undefined;
}

/** PII that may hide inside free text: what `freeTextPii` looks for in each value. */
const embeddedPatterns: readonly { pattern: RegExp; check: (match: string) => Evidence }[] = [
  { pattern: /[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}/g, check: email },
  { pattern: /\b\d(?:[ -]?\d){11,18}\b/g, check: creditCard },
  { pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b/g, check: iban },
  { pattern: /\b\d{3}-\d{2}-\d{4}\b/g, check: usSsn },
  { pattern: /(?:\+|\b00)\d[\d ().-]{6,18}\d/g, check: phone },
  { pattern: /\(?\b\d{2,4}\)?[ .-]\d{3,4}[ .-]\d{3,4}\b/g, check: phone },
  { pattern: /\b(?:\d{1,3}\.){3}\d{1,3}\b/g, check: ipv4 },
  {
    pattern: /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
    check: ukNino,
  },
];

/** Whether a longer text holds an e-mail, phone, card, IBAN, SSN, NINO or IP address. */
export function containsPii(text: string): boolean {
  return embeddedPatterns.some(({ pattern, check }) =>
    [...text.matchAll(pattern)].some((m) => check(m[0]) === 'strong'),
  );
}

/**
 * Free text: several words, or a JSON document (a row kept as evidence, a source's extra
 * fields), where any of the values above may hide.
 */
export function isFreeText(value: string): boolean {
  if (value.length < 20) return false;
  return /^[{[]/.test(value) || value.trim().split(/\s+/).length >= 4;
}
