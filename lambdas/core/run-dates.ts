/**
 * Which date silver and gold are built as of. Silver and gold are the lake's state as of its
 * latest completed day: full-rebuild tables (FX rates, customer 360) are computed up to the run
 * date and incremental ones merge what bronze gained. A run for an earlier day would rewind the
 * first and merge older versions into the second, so it is refused unless asked for as a
 * backfill, which ingests its day into bronze (append-only, nothing lost) and then rebuilds
 * silver and gold from bronze as of the latest completed day: the as-of date never goes back.
 */
import { PipelineError } from './errors';
import type { Job } from './orchestration';

/** The jobs that write silver or gold: their completed dates are the lake's as-of dates. */
export const transformJobs: readonly Job[] = ['daily', 'bronze_to_silver', 'silver_to_gold'];

/** What a run's execution input may ask for besides its date. */
export interface RunRequest {
  readonly date: string;
  /** Reprocess a day earlier than the lake's latest completed one. */
  readonly backfill?: boolean;
  /** Rebuild silver and gold from bronze instead of merging (implied by a backfill). */
  readonly fullRefresh?: boolean;
}

/** A run for a day before the lake's latest completed day, not asked for as a backfill. */
export class OutOfOrderRunError extends PipelineError {
  constructor(
    readonly date: string,
    readonly lastCompleted: string,
  ) {
    super(
      `${date} is earlier than ${lastCompleted}, the lake's last completed run date: running it would rewind silver and gold. ` +
        `Run it as a backfill (\`medallion run --job <job> --date ${date} --backfill\`, on AWS the execution input {"date": "${date}", "backfill": true}), ` +
        `which ingests ${date} and rebuilds silver and gold as of ${lastCompleted}; or run days in order (\`--from <date> --to <date>\`).`,
    );
    this.name = 'OutOfOrderRunError';
  }
}

/**
 * The date a run builds silver and gold as of: its own, unless it is a backfill of an earlier
 * day, which builds as of the latest completed day. Throws {@link OutOfOrderRunError} for an
 * earlier day without `backfill`.
 */
export function asOfDate(request: RunRequest, lastCompleted: string | undefined): string {
  if (lastCompleted === undefined || request.date >= lastCompleted) return request.date;
  if (!request.backfill) throw new OutOfOrderRunError(request.date, lastCompleted);
  return lastCompleted;
}

/** Whether a run rebuilds silver and gold from bronze rather than merging into them. */
export function rebuildsFromBronze(request: Omit<RunRequest, 'date'>): boolean {
  return request.backfill === true || request.fullRefresh === true;
}

/**
 * The generated days a catch-up runs, in order: those without a succeeded run, except days
 * before the lake's last completed one, which would rewind it and are skipped (backfills, by
 * hand). What `pipeline` runs, and what a restore from backup reruns.
 */
export function catchUpDates(
  generated: readonly string[],
  done: ReadonlySet<string>,
  lastCompleted: string | undefined,
): { pending: string[]; skipped: string[] } {
  const open = generated.filter((d) => !done.has(d));
  const skipped = open.filter((d) => lastCompleted !== undefined && d < lastCompleted);
  return { pending: open.filter((d) => !skipped.includes(d)), skipped };
}
