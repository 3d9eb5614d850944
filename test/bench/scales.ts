/** The `--scale` sweep's summary: one row per scale, from each scale's JSON report. */

/** The part of a bench report (`bench-<scale>.json`) the sweep shows. */
export interface ScaleReport {
  readonly scale: number;
  readonly days: readonly { readonly seconds: number; readonly peakRssMb: number }[];
  readonly floor?: readonly { readonly ratio: number | null }[];
}

/** Day 1 and day 2 seconds, each day's platform/floor ratio (with `--floor`) and peak RSS. */
export function renderScaleTable(reports: readonly ScaleReport[]): string {
  const ratioCell = (r: number | null | undefined) =>
    (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`).padStart(10);
  const lines = [
    `${'orders'.padStart(12)} ${'day 1'.padStart(9)} ${'day 2'.padStart(9)} ${'day1/floor'.padStart(10)} ${'day2/floor'.padStart(10)} ${'peak RSS'.padStart(9)}`,
  ];
  for (const r of reports) {
    const [day1, day2] = r.days;
    lines.push(
      [
        r.scale.toLocaleString('en-US').padStart(12),
        `${day1!.seconds.toFixed(2)}s`.padStart(9),
        `${day2!.seconds.toFixed(2)}s`.padStart(9),
        ratioCell(r.floor?.[0]?.ratio),
        ratioCell(r.floor?.[1]?.ratio),
        `${Math.max(...r.days.map((d) => d.peakRssMb))} MB`.padStart(9),
      ].join(' '),
    );
  }
  return lines.join('\n');
}
