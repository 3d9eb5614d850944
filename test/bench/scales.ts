/** The `--scale` sweep's summary: one row per scale, from each scale's JSON report. */

/** The part of a bench report (`bench-<scale>.json`) the sweep shows. */
export interface ScaleReport {
  readonly scale: number;
  readonly days: readonly {
    readonly seconds: number;
    readonly peakRssMb: number;
    /** SilverQuality and GoldQuality together. */
    readonly gateSeconds?: number;
  }[];
  readonly floor?: readonly { readonly ratio: number | null }[];
}

/**
 * Day 1 and day 2 seconds, day 2's share of day 1, each day's platform/floor ratio (with
 * `--floor`), each day's quality gates as a share of day 1 (issue 17's targets) and peak RSS.
 */
export function renderScaleTable(reports: readonly ScaleReport[]): string {
  const ratioCell = (r: number | null | undefined) =>
    (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`).padStart(10);
  const shareCell = (part: number | undefined, whole: number) =>
    (part === undefined ? '—' : `${((part / whole) * 100).toFixed(1)}%`).padStart(9);
  const lines = [
    [
      'orders'.padStart(12),
      'day 1'.padStart(9),
      'day 2'.padStart(9),
      'day2/day1'.padStart(9),
      'day1/floor'.padStart(10),
      'day2/floor'.padStart(10),
      'gates d1'.padStart(9),
      'gates d2'.padStart(9),
      'peak RSS'.padStart(9),
    ].join(' '),
  ];
  for (const r of reports) {
    const [day1, day2] = r.days;
    lines.push(
      [
        r.scale.toLocaleString('en-US').padStart(12),
        `${day1!.seconds.toFixed(2)}s`.padStart(9),
        `${day2!.seconds.toFixed(2)}s`.padStart(9),
        shareCell(day2!.seconds, day1!.seconds),
        ratioCell(r.floor?.[0]?.ratio),
        ratioCell(r.floor?.[1]?.ratio),
        shareCell(day1!.gateSeconds, day1!.seconds),
        shareCell(day2!.gateSeconds, day1!.seconds),
        `${Math.max(...r.days.map((d) => d.peakRssMb))} MB`.padStart(9),
      ].join(' '),
    );
  }
  return lines.join('\n');
}
