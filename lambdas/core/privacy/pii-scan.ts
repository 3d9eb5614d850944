/**
 * The PII scanner's column verdict: from a sample of a column's values (and its name), which
 * entity it holds, how sure that is, and why. Values decide: a column is PII when most of its
 * values validate as one entity, whatever it is called. A name only breaks a tie or supports
 * evidence that values alone cannot give (a date is a birth date when the column says so).
 * Quasi-identifiers (postal code, birth year, gender) are reported as such, not as PII.
 */
import type { Classification } from '../../../config/access-schema';
import { strongest } from '../access/policy';
import type { Contract } from '../contracts/contract';
import {
  containsPii,
  creditCard,
  dateOfBirth,
  email,
  iban,
  ipv4,
  ipv6,
  isFreeText,
  passportNumber,
  personName,
  phone,
  streetAddress,
  ukNino,
  usSsn,
  type Evidence,
} from './pii-detectors';

export const piiEntities = [
  'email',
  'phone',
  'person_name',
  'street_address',
  'date_of_birth',
  'ip_address',
  'credit_card',
  'iban',
  'us_ssn',
  'uk_nino',
  'passport_number',
  'free_text',
] as const;
export type PiiEntity = (typeof piiEntities)[number];

export const quasiIdentifiers = ['postal_code', 'birth_year', 'gender'] as const;
export type QuasiIdentifier = (typeof quasiIdentifiers)[number];

/** What a scan found in one column. */
export interface ColumnFinding {
  readonly column: string;
  /** `pii`, `quasi_identifier`, or `none` when neither. */
  readonly kind: 'pii' | 'quasi_identifier' | 'none';
  readonly entity?: PiiEntity | QuasiIdentifier;
  /** 0–1: the share of values that validate, lowered when a name hint had to support it. */
  readonly confidence: number;
  readonly evidence: {
    /** Non-blank values looked at. */
    readonly sampled: number;
    /** Of them, how many are an instance of the entity. */
    readonly matching: number;
    readonly share: number;
    /** The name hint that supported the verdict, when one did. */
    readonly nameHint?: string;
  };
}

/** Share of values an entity needs: tolerates dirt (`n/a`, typos, junk) in half the column. */
const minimumShare = 0.5;
/**
 * With a name hint, less is enough: a quarantined `phone` column holds the numbers that were too
 * dirty to keep, and a fraction of valid ones there is still personal data.
 */
const hintedShare = 0.3;
/** Free text is PII when this share of its values holds some (and at least a few do). */
const freeTextShare = 0.05;
const freeTextMinimum = 3;

/** Name hints, matched against the column name in snake case (`customerEmail` → `customer_email`). */
const hints: Readonly<Record<PiiEntity | QuasiIdentifier, RegExp | undefined>> = {
  email: /(^|_)e_?mail(_|$)|^mail$|_mail$/,
  phone: /phone|(^|_)(tel|telephone|mobile|cell|fax|msisdn)(_|$)/,
  person_name:
    /(^|_)(first|last|given|family|full|middle|maiden|display|customer|contact|person|holder|card_holder|account_holder)_?name(_|$)|surname|forename|firstname|lastname|fullname/,
  street_address: /^(?!.*(ip|mac|e_?mail|web)_?addr).*(address|street|addr(_|$)|address_line)/,
  date_of_birth: /(birth|(^|_)dob(_|$)|(^|_)born(_|$)|bday)/,
  ip_address: /(^|_)ip(_|$)|ipv4|ipv6|ip_?addr|remote_addr/,
  credit_card: /card|(^|_)(cc|pan)(_|$)|credit/,
  iban: /iban|bank_account/,
  us_ssn: /ssn|social_security/,
  uk_nino: /nino|national_insurance|(^|_)ni_number/,
  passport_number: /passport/,
  free_text: undefined,
  postal_code: /zip|postal|postcode|(^|_)plz(_|$)/,
  birth_year: /birth_?year|year_of_birth|(^|_)yob(_|$)/,
  gender: /gender|(^|_)sex(_|$)/,
};

function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}

type ValueDetector = (value: string) => Evidence;

/** Entities detected value by value, most specific first (a card number is also digits). */
function valueDetectors(referenceYear: number): [PiiEntity, ValueDetector][] {
  return [
    ['credit_card', creditCard],
    ['iban', iban],
    ['us_ssn', usSsn],
    ['uk_nino', ukNino],
    ['email', email],
    ['ip_address', (v) => ipv4(v) ?? ipv6(v)],
    ['phone', phone],
    ['date_of_birth', (v) => dateOfBirth(v, referenceYear)],
    ['street_address', streetAddress],
    ['person_name', personName],
    ['passport_number', passportNumber],
  ];
}

export interface ScanOptions {
  /** The year birth dates and birth years are judged against (the run's, so re-runs agree). */
  readonly referenceYear: number;
}

/**
 * The verdict on one column from its sampled values (NULLs already left out or passed as null).
 * Blank values count as missing, not as evidence against.
 */
export function scanColumn(
  column: string,
  values: readonly (string | null)[],
  options: ScanOptions,
): ColumnFinding {
  const texts = values.flatMap((v) => (v === null || v.trim() === '' ? [] : [v.trim()]));
  const n = texts.length;
  const name = snakeCase(column);
  const none: ColumnFinding = {
    column,
    kind: 'none',
    confidence: 0,
    evidence: { sampled: n, matching: 0, share: 0 },
  };
  if (n === 0) return none;
  const share = (k: number) => Math.round((1000 * k) / n) / 1000;

  let best: ColumnFinding | undefined;
  for (const [entity, detect] of valueDetectors(options.referenceYear)) {
    let strong = 0;
    let weak = 0;
    for (const text of texts) {
      const evidence = detect(text);
      if (evidence === 'strong') strong++;
      else if (evidence === 'weak') weak++;
    }
    const hinted = hints[entity]?.test(name) ?? false;
    const finding = (matching: number, confidence: number, hint: boolean): ColumnFinding => ({
      column,
      kind: 'pii',
      entity,
      confidence: Math.round(1000 * confidence) / 1000,
      evidence: {
        sampled: n,
        matching,
        share: share(matching),
        ...(hint ? { nameHint: column } : {}),
      },
    });
    let candidate: ColumnFinding | undefined;
    if (strong / n >= minimumShare)
      candidate = finding(strong + (hinted ? weak : 0), (strong + (hinted ? weak : 0)) / n, hinted);
    else if (hinted && (strong + weak) / n >= hintedShare)
      candidate = finding(strong + weak, (0.8 * (strong + weak)) / n, true);
    if (candidate && (!best || candidate.confidence > best.confidence)) best = candidate;
  }
  if (best) return best;

  const free = texts.filter(isFreeText);
  if (free.length / n >= minimumShare) {
    const holding = free.filter(containsPii).length;
    if (holding >= freeTextMinimum && holding / n >= freeTextShare)
      return {
        column,
        kind: 'pii',
        entity: 'free_text',
        confidence: Math.round(1000 * Math.min(1, 0.5 + holding / n)) / 1000,
        evidence: { sampled: n, matching: holding, share: share(holding) },
      };
  }
  return quasiIdentifier(column, name, texts, options) ?? none;
}

const genderValues = new Set([
  'm',
  'f',
  'w',
  'd',
  'x',
  'u',
  'male',
  'female',
  'man',
  'woman',
  'non-binary',
  'nonbinary',
  'diverse',
  'other',
  'unknown',
]);

/** A postal code of the lake's countries: US ZIP(+4), UK, Canadian, Dutch, or 4–5 digits. */
const postalCode =
  /^(\d{5}(-\d{4})?|\d{4}|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d|\d{4} ?[A-Z]{2}|\d{2}-\d{3})$/i;

/** Quasi-identifiers are named, not guessed: each needs its name hint and values to match. */
function quasiIdentifier(
  column: string,
  name: string,
  texts: readonly string[],
  options: ScanOptions,
): ColumnFinding | undefined {
  const n = texts.length;
  const tests: [QuasiIdentifier, (v: string) => boolean][] = [
    ['postal_code', (v) => postalCode.test(v)],
    [
      'birth_year',
      (v) =>
        /^\d{4}$/.test(v) &&
        Number(v) >= options.referenceYear - 120 &&
        Number(v) < options.referenceYear,
    ],
    ['gender', (v) => genderValues.has(v.toLowerCase())],
  ];
  for (const [entity, test] of tests) {
    if (!hints[entity]!.test(name)) continue;
    const matching = texts.filter(test).length;
    if (matching / n >= 0.8)
      return {
        column,
        kind: 'quasi_identifier',
        entity,
        confidence: Math.round((1000 * matching) / n) / 1000,
        evidence: {
          sampled: n,
          matching,
          share: Math.round((1000 * matching) / n) / 1000,
          nameHint: column,
        },
      };
  }
  return undefined;
}

/** The classification a finding calls for: PII is `pii`; anything else asks for nothing more. */
function requiredClassification(finding: ColumnFinding): Classification | undefined {
  return finding.kind === 'pii' ? 'pii' : undefined;
}

/** A contract column whose classification is missing or weaker than what its data holds. */
export interface ContractMismatch {
  readonly dataset: string;
  readonly file: string;
  readonly column: string;
  readonly entity: PiiEntity | QuasiIdentifier;
  /** The contract's classification, or `undefined` when the column is unclassified or undeclared. */
  readonly declared: Classification | undefined;
  readonly required: Classification;
  readonly message: string;
}

/** The findings a contract contradicts: PII in a column it leaves unclassified, undeclared or weaker. */
export function contractMismatches(
  contract: Contract,
  findings: readonly ColumnFinding[],
): ContractMismatch[] {
  return findings.flatMap((finding) => {
    const required = requiredClassification(finding);
    if (!required || !finding.entity) return [];
    const property = contract.column(finding.column);
    const declared =
      property && !contract.unclassified.includes(finding.column)
        ? property.classification
        : undefined;
    if (declared && strongest([declared, required]) === declared) return [];
    const what = !property
      ? 'is not in the contract'
      : declared
        ? `is classified ${declared}`
        : 'has no classification';
    return [
      {
        dataset: contract.id,
        file: contract.file,
        column: finding.column,
        entity: finding.entity,
        declared,
        required,
        message: `${contract.id}.${finding.column} holds ${finding.entity.replaceAll('_', ' ')} (${Math.round(100 * finding.evidence.share)}% of ${finding.evidence.sampled} sampled values) but ${what} in ${contract.file}: classify it ${required}`,
      },
    ];
  });
}
