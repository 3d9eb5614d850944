/**
 * How often an AWS cron expression (`cron(minutes hours day-of-month month day-of-week year)`,
 * UTC) runs, for the RPO a backup schedule can give: the longest wait between two runs, found by
 * listing its runs over two years (long enough for monthly and leap-day schedules).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
 */

const months = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const weekdays = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** Field ranges, and the names a field accepts for its numbers (1-based). */
const fields = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: months },
  { name: 'day-of-week', min: 1, max: 7, names: weekdays },
  { name: 'year', min: 1970, max: 2199 },
] as const;

/** The values a field allows. Throws naming the field for what this reader does not handle. */
function values(text: string, field: (typeof fields)[number]): Set<number> {
  const number = (token: string) => {
    const named = 'names' in field ? field.names.indexOf(token.toUpperCase()) : -1;
    const n = named >= 0 ? named + 1 : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!(n >= field.min && n <= field.max))
      throw new Error(
        `${field.name} field '${text}': ${token} is not a value from ${field.min} to ${field.max}${'names' in field ? ' or a name' : ''} (L, W and # are not read here: write the days out)`,
      );
    return n;
  };
  const result = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, ...extra] = part.split('/');
    if (extra.length > 0 || range === undefined)
      throw new Error(`${field.name} field '${text}': one / at most`);
    const step = stepText === undefined ? 1 : number(stepText);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [field.min, field.max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [from, to] = [number(a ?? ''), number(b ?? '')];
    } else {
      from = number(range);
      to = stepText === undefined ? from : field.max;
    }
    for (let v = from; v <= to; v += step) result.add(v);
  }
  return result;
}

/** Days from 2026-01-01 whose runs are listed: two years and a day. */
const listedDays = 731;

/** The times (ms since the epoch) a cron expression runs at over {@link listedDays} from 2026, in order. */
function cronRuns(expression: string): number[] {
  const inner = /^cron\((.+)\)$/.exec(expression.trim())?.[1];
  const parts = inner?.trim().split(/\s+/) ?? [];
  if (parts.length !== 6)
    throw new Error(
      `'${expression}' has ${parts.length} fields, not the 6 of cron(minutes hours day-of-month month day-of-week year)`,
    );
  const [minutes, hours, dom, month, dow, year] = parts.map((p, i) => values(p, fields[i]!));
  const [anyDom, anyDow] = [
    parts[2] === '?' || parts[2] === '*',
    parts[4] === '?' || parts[4] === '*',
  ];
  const runs: number[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let day = 0; day < listedDays; day++) {
    const date = new Date(start + day * 86_400_000);
    const matches =
      year!.has(date.getUTCFullYear()) &&
      month!.has(date.getUTCMonth() + 1) &&
      (anyDom || dom!.has(date.getUTCDate())) &&
      (anyDow || dow!.has(date.getUTCDay() + 1));
    if (!matches) continue;
    for (const h of [...hours!].sort((a, b) => a - b))
      for (const m of [...minutes!].sort((a, b) => a - b))
        runs.push(date.getTime() + h * 3_600_000 + m * 60_000);
  }
  return runs;
}

/** Hours from one run to the next at most, over two years from 2026; undefined if it runs less than twice. */
export function longestGapHours(expression: string): number | undefined {
  const runs = cronRuns(expression);
  if (runs.length < 2) return undefined;
  let longest = 0;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]! - runs[i - 1]!);
  return longest / 3_600_000;
}

const rateMinutes: Record<string, number> = { minute: 1, hour: 60, day: 1440 };

/**
 * How many times a schedule (`cron(...)` or `rate(n unit)`) runs in an average month (365.25 / 12
 * days): a cron expression's runs are counted over two years from 2026, so weekly and monthly
 * schedules average out.
 */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+)\s+(minute|hour|day)s?\)$/.exec(expression.trim());
  if (rate) return (365.25 / 12) * (1440 / (Number(rate[1]) * rateMinutes[rate[2]!]!));
  if (expression.trim().startsWith('rate('))
    throw new Error(`'${expression}' is not rate(<n> minutes|hours|days)`);
  return (cronRuns(expression).length * (365.25 / 12)) / listedDays;
}
