/** Calendar helpers on ISO dates (`YYYY-MM-DD`), all in UTC. */

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** The instant a logical day ends: extraction windows for `date` stop just before it. */
export function endOfDay(isoDate: string): string {
  return `${addDays(isoDate, 1)}T00:00:00.000Z`;
}

/**
 * The logical date of a run: the one asked for, else the day the execution started. A schedule
 * passes no date, so a run started at 02:00 processes that calendar day's data as of its start.
 */
export function resolveRunDate(
  requested: string | undefined,
  executionStartTime: string | undefined,
  now: Date,
): string {
  return requested ?? (executionStartTime ?? now.toISOString()).slice(0, 10);
}

/** `2026-01-01T10:00:00.000Z` → `2026-01-01 10:00:00.000`: the literal every SQL warehouse accepts. */
export function sqlTimestampText(isoInstant: string): string {
  return isoInstant.replace('T', ' ').replace(/Z$/, '');
}

/** `2026-01-01 10:00:00.123` (a UTC TIMESTAMP read back as text) → `2026-01-01T10:00:00.123Z`. */
export function isoTimestamp(sqlText: string): string {
  return new Date(
    `${sqlText.replace(' ', 'T').replace(/(Z|[+-]\d\d(:?\d\d)?)$/, '')}Z`,
  ).toISOString();
}
