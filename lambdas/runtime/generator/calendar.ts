/** UTC time arithmetic on epoch milliseconds: the generator never reads the wall clock. */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Epoch ms of 00:00 UTC of a `YYYY-MM-DD` date, or `undefined` if it is not a real date. */
export function parseIsoDate(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || isoDate(ms) !== text ? undefined : ms;
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

/** 00:00 UTC of the day holding `ms`. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** 0 = Sunday ... 6 = Saturday. */
export function dayOfWeek(ms: number): number {
  return new Date(ms).getUTCDay();
}

export function isBusinessDay(ms: number): boolean {
  const weekday = dayOfWeek(ms);
  return weekday !== 0 && weekday !== 6;
}

/** Relative shop traffic per UTC hour: customers span Asia, Europe and America, evenings peak. */
const HOURLY_TRAFFIC = [
  0.5, 0.45, 0.4, 0.4, 0.45, 0.55, 0.7, 0.85, 1.0, 1.1, 1.15, 1.2, 1.25, 1.25, 1.2, 1.2, 1.25, 1.3,
  1.4, 1.5, 1.5, 1.35, 1.05, 0.75,
];
const HOURLY_CUMULATIVE = (() => {
  const total = HOURLY_TRAFFIC.reduce((sum, weight) => sum + weight, 0);
  let running = 0;
  return [0, ...HOURLY_TRAFFIC.map((weight) => (running += weight / total))];
})();

/**
 * Maps a fraction of a day's activity (0..1) to a time of day following {@link HOURLY_TRAFFIC}.
 * The map is monotonic, so evenly spread fractions give ordered, realistically bunched times.
 */
export function timeOfDayForActivity(fraction: number): number {
  let hour = 0;
  while (hour < 23 && HOURLY_CUMULATIVE[hour + 1]! <= fraction) hour++;
  const from = HOURLY_CUMULATIVE[hour]!;
  const to = HOURLY_CUMULATIVE[hour + 1]!;
  return Math.floor((hour + (fraction - from) / (to - from)) * HOUR_MS);
}
