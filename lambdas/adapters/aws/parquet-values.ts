/**
 * Values in Parquet as bronze stores them: each portable SQL type's physical Parquet type and the
 * strict casts from JS values (and landing-file text) into it. Shared by the writer and the
 * landing-file converter, so both write exactly what DuckDB writes locally.
 */
import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import { PipelineError } from '../../core/errors';
import type { ConstantColumn } from '../../core/ports';

export const invalid = Symbol('invalid');

interface CastOptions {
  /** writeRows takes a TIMESTAMP as epoch milliseconds too; files must spell timestamps out. */
  readonly epochMillis: boolean;
}

export interface ParquetType {
  readonly element: Omit<SchemaElement, 'name'>;
  /** The value hyparquet-writer takes for this type, or {@link invalid}. Never given null. */
  cast(value: unknown, options: CastOptions): unknown;
}

const int64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
const int32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const dayMs = 86_400_000;

/**
 * Parquet layout and strict cast of each portable SQL type. Strict means no silent change of
 * value: `1.5` is not a BIGINT and `12.345` is not a DECIMAL(10,2) (DuckDB would round both),
 * `2026-02-30` is not a DATE.
 */
export function parquetType(sqlType: string): ParquetType {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/i.exec(sqlType);
  if (decimal) return decimalType(Number(decimal[1]), Number(decimal[2]));
  switch (sqlType.toUpperCase()) {
    case 'VARCHAR':
      return { element: { type: 'BYTE_ARRAY', converted_type: 'UTF8' }, cast: display };
    case 'BIGINT':
      return {
        element: { type: 'INT64', converted_type: 'INT_64' },
        cast: (v) => integer(v, int64),
      };
    case 'INTEGER': {
      return {
        element: { type: 'INT32', converted_type: 'INT_32' },
        cast: (v) => {
          const n = integer(v, int32);
          return n === invalid ? n : Number(n);
        },
      };
    }
    case 'DOUBLE':
      return { element: { type: 'DOUBLE' }, cast: double };
    case 'BOOLEAN':
      return { element: { type: 'BOOLEAN' }, cast: boolean };
    case 'DATE':
      return { element: { type: 'INT32', converted_type: 'DATE' }, cast: date };
    case 'TIMESTAMP':
      return {
        element: {
          type: 'INT64',
          converted_type: 'TIMESTAMP_MICROS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
        },
        cast: timestamp,
      };
    default:
      throw new PipelineError(
        `The S3 Parquet sink cannot write SQL type ${sqlType} (expected VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE, TIMESTAMP or DECIMAL(p,s))`,
      );
  }
}

/** A JSON number kept as its source text (`JSON.rawJSON`), so 64-bit ids and decimals stay exact. */
interface RawJson {
  readonly rawJSON: string;
}
export const json = JSON as unknown as {
  parse(
    text: string,
    reviver: (key: string, value: unknown, context: { source?: string }) => unknown,
  ): unknown;
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
};

export function parseJson(text: string): unknown {
  return json.parse(text, (_key, value, context) =>
    typeof value === 'number' && context.source !== undefined
      ? json.rawJSON(context.source)
      : value,
  );
}

/** Text of a value as it was written in the file (a string, or a JSON number's digits). */
function sourceText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (json.isRawJSON(value)) return value.rawJSON;
  return undefined;
}

/** A value as text: bronze keeps JSON objects as JSON, timestamps as ISO-8601. */
export function display(value: unknown): string {
  const text = sourceText(value);
  if (text !== undefined) return text;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function integer(value: unknown, range: { min: bigint; max: bigint }): bigint | typeof invalid {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else {
    const text = sourceText(value)?.trim();
    if (text === undefined || !/^[+-]?\d+$/.test(text)) return invalid;
    n = BigInt(text);
  }
  return n < range.min || n > range.max ? invalid : n;
}

function double(value: unknown): number | typeof invalid {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const text = sourceText(value)?.trim();
  if (text === undefined) return invalid;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!special) return invalid;
  if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
  return special[1] === '-' ? -Infinity : Infinity;
}

const truthy = new Set(['true', 't', 'yes', 'y', '1']);
const falsy = new Set(['false', 'f', 'no', 'n', '0']);

function boolean(value: unknown): boolean | typeof invalid {
  if (typeof value === 'boolean') return value;
  const text = (sourceText(value) ?? (typeof value === 'number' ? String(value) : undefined))
    ?.trim()
    .toLowerCase();
  if (text !== undefined && truthy.has(text)) return true;
  if (text !== undefined && falsy.has(text)) return false;
  return invalid;
}

/** Days since 1970-01-01; a Date only when it is a whole day (a Parquet DATE read back). */
function date(value: unknown): number | typeof invalid {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) && ms % dayMs === 0 ? ms / dayMs : invalid;
  }
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(sourceText(value)?.trim() ?? '');
  if (!match) return invalid;
  const ms = utcMillis(Number(match[1]), Number(match[2]), Number(match[3]), 0, 0, 0);
  return ms === undefined ? invalid : ms / dayMs;
}

const isoTimestamp =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Microseconds since the epoch, UTC. An offset in the text is applied, so `10:00+02:00` is
 * stored as 08:00; digits beyond the microsecond are dropped, as DuckDB does.
 */
function timestamp(value: unknown, options: CastOptions): bigint | typeof invalid {
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? BigInt(ms) * 1000n : invalid;
  }
  if (options.epochMillis && typeof value === 'number') {
    return Number.isFinite(value) ? BigInt(Math.round(value * 1000)) : invalid;
  }
  const match = isoTimestamp.exec(sourceText(value)?.trim() ?? '');
  if (!match) return invalid;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = match;
  const ms = utcMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (ms === undefined) return invalid;
  let micros = BigInt(ms) * 1000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  if (offset !== undefined && offset.toUpperCase() !== 'Z') {
    const [, sign, hours, minutes = '0'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(offset)!;
    const offsetMicros = BigInt((Number(hours) * 60 + Number(minutes)) * 60) * 1_000_000n;
    micros += sign === '+' ? -offsetMicros : offsetMicros;
  }
  return micros;
}

/** Epoch milliseconds of a calendar instant, or undefined when a field is out of range. */
function utcMillis(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return valid ? date.getTime() : undefined;
}

/**
 * DECIMAL(p,s) as DuckDB lays it out (INT32 up to 9 digits, INT64 up to 18, 16-byte fixed
 * beyond), values as unscaled bigints computed from the digits, never through a float.
 */
function decimalType(precision: number, scale: number): ParquetType {
  const physical: Omit<SchemaElement, 'name'> =
    precision <= 9
      ? { type: 'INT32' }
      : precision <= 18
        ? { type: 'INT64' }
        : { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16 };
  const limit = 10n ** BigInt(precision);
  return {
    element: {
      ...physical,
      converted_type: 'DECIMAL',
      precision,
      scale,
      logical_type: { type: 'DECIMAL', precision, scale },
    },
    cast: (value) => {
      const text =
        sourceText(value) ??
        (typeof value === 'number' || typeof value === 'bigint' ? String(value) : undefined);
      const match = /^([+-])?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text?.trim() ?? '');
      if (!match || (match[2] ?? '') + (match[3] ?? '') === '') return invalid;
      const [, sign, whole = '', fraction = '', exponent = '0'] = match;
      const shift = Number(exponent) - fraction.length + scale;
      const digits = BigInt(whole + fraction);
      let unscaled: bigint;
      if (shift >= 0) unscaled = digits * 10n ** BigInt(shift);
      else {
        const divisor = 10n ** BigInt(-shift);
        if (digits % divisor !== 0n) return invalid;
        unscaled = digits / divisor;
      }
      if (unscaled >= limit) return invalid;
      return sign === '-' ? -unscaled : unscaled;
    },
  };
}

export function constantColumn(constant: ConstantColumn, rows: number) {
  const type = parquetType(constant.type);
  const value = type.cast(constant.value, { epochMillis: false });
  if (value === invalid) {
    throw new PipelineError(
      `Constant column ${constant.name}: '${constant.value}' is not a valid ${constant.type}`,
    );
  }
  return { name: constant.name, type, data: Array.from({ length: rows }, () => value) };
}

/** Rows per row group: a bronze batch (≤ 50k rows) is one group, as DuckDB writes it. */
export const rowGroupRows = 122_880;

/** A Parquet column of bronze, its values cast to its type. */
export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetType;
  readonly data: unknown[];
}

/** The file schema: every column OPTIONAL, as DuckDB writes bronze. */
export function parquetFileSchema(
  columns: readonly Pick<ParquetColumn, 'name' | 'type'>[],
): SchemaElement[] {
  return [
    { name: 'schema', num_children: columns.length },
    ...columns.map((c): SchemaElement => ({
      ...c.type.element,
      name: c.name,
      repetition_type: 'OPTIONAL',
    })),
  ];
}

export function parquetBytes(columns: readonly ParquetColumn[]): Buffer {
  return Buffer.from(
    parquetWriteBuffer({
      columnData: columns.map((c) => ({ name: c.name, data: c.data })),
      schema: parquetFileSchema(columns),
      rowGroupSize: rowGroupRows,
    }),
  );
}

export function lowerNameIndex(columns: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  columns.forEach((name, i) => {
    if (!index.has(name.toLowerCase())) index.set(name.toLowerCase(), i);
  });
  return index;
}

/** One record of a landing file: values aligned with `columns` (the names seen so far). */
