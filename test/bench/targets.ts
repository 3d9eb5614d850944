/** Issue 17's targets, each with the value a bench measured and whether it meets it. */

/** What the targets are measured from: one bench run of day 1 and day 2. */
export interface TargetInput {
  readonly days: readonly {
    readonly seconds: number;
    /** The day's data statements and ingestion on a bare DuckDB (with `--floor`). */
    readonly floorSeconds?: number;
    /** SilverQuality and GoldQuality together. */
    readonly gateSeconds: number;
  }[];
  readonly peakRssMb: number;
  /** Relations compared with an earlier report (`--compare`) and how many matched. */
  readonly checksums?: { readonly compared: number; readonly equal: number };
}

export interface TargetVerdict {
  readonly target: string;
  /** The measured value, as printed; '—' where nothing was measured. */
  readonly value: string;
  /** Null when the bench did not measure it (no `--floor`, no `--compare`). */
  readonly met: boolean | null;
}

const times = (r: number) => `${r.toFixed(2)}×`;
const percent = (r: number) => `${(r * 100).toFixed(1)} %`;

export function targetVerdicts(input: TargetInput): TargetVerdict[] {
  const [day1, day2] = input.days;
  if (!day1 || !day2) throw new Error('the targets need day 1 and day 2');
  const ratioOf = (day: typeof day1, limit: number, target: string): TargetVerdict => {
    if (!day.floorSeconds) return { target, value: '—', met: null };
    const r = day.seconds / day.floorSeconds;
    return { target, value: times(r), met: r <= limit };
  };
  const share = (part: number, limit: number, target: string): TargetVerdict => {
    const r = part / day1.seconds;
    return { target, value: percent(r), met: r <= limit };
  };
  return [
    ratioOf(day1, 1.25, 'day 1 ≤ 1.25× its floor'),
    share(day2.seconds, 0.25, 'day 2 ≤ 25 % of day 1'),
    ratioOf(day2, 1.5, 'day 2 ≤ 1.5× its floor'),
    share(day1.gateSeconds, 0.08, 'day 1 quality gates ≤ 8 % of day 1'),
    share(day2.gateSeconds, 0.08, 'day 2 quality gates ≤ 8 % of day 1'),
    {
      target: 'peak RSS ≤ 4 GB',
      value: `${input.peakRssMb} MB`,
      met: input.peakRssMb <= 4096,
    },
    input.checksums
      ? {
          target: 'silver and gold checksums equal',
          value: `${input.checksums.equal} of ${input.checksums.compared}`,
          met: input.checksums.compared > 0 && input.checksums.equal === input.checksums.compared,
        }
      : { target: 'silver and gold checksums equal', value: '— (no --compare)', met: null },
  ];
}

export function renderTargets(verdicts: readonly TargetVerdict[]): string {
  return verdicts
    .map(
      (v) =>
        `  ${v.met === null ? '·' : v.met ? '✓' : '✗'} ${v.target.padEnd(36)} ${v.value.padStart(10)}`,
    )
    .join('\n');
}
