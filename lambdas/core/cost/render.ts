/**
 * The cost report for people: one self-contained HTML page (inline CSS, inline SVG charts, no
 * script, nothing fetched, so finance can open it offline and file it), a CSV of the daily costs
 * to pivot, the JSON of the whole report, and a few lines for the SNS topic.
 */
import { reportStyle, stackedChart } from '../charts';
import { escapeHtml as esc } from '../html';
import { addDays } from '../time';
import type { CostReport, Period, WeekChange } from './report';
import { gigabyte } from './storage';

/** A period as people read it: first and last day, both included. */
function days(period: Period): string {
  return `${esc(period.from)} – ${esc(addDays(period.to, -1))}`;
}

/** Bytes as S3 bills them, in GB of 2³⁰ bytes. */
function gigabytes(bytes: number): string {
  return (bytes / gigabyte).toLocaleString('en-US', { maximumFractionDigits: 1 });
}

function money(report: CostReport, amount: number): string {
  return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${report.currency}`;
}

function signed(report: CostReport, change: WeekChange): string {
  const sign = change.change > 0 ? '+' : '';
  const percent =
    change.changePercent === undefined ? 'new' : `${sign}${change.changePercent.toFixed(1)} %`;
  return `${sign}${money(report, change.change)} (${percent})`;
}

/** The figures a reader wants first, as text: the SNS message. */
export function renderCostSummary(report: CostReport): string {
  const week: WeekChange = {
    key: 'total',
    thisWeek: report.thisWeek.unblended,
    lastWeek: report.lastWeek.unblended,
    change: Math.round((report.thisWeek.unblended - report.lastWeek.unblended) * 100) / 100,
    ...(report.lastWeek.unblended > 0
      ? {
          changePercent:
            Math.round(
              ((report.thisWeek.unblended - report.lastWeek.unblended) /
                report.lastWeek.unblended) *
                1000,
            ) / 10,
        }
      : {}),
  };
  const [top] = report.byService;
  const lines = [
    `Cost report ${report.env} as of ${report.asOf}`,
    `Month to date: ${money(report, report.monthToDate.unblended)} (amortized ${money(report, report.monthToDate.amortized)})`,
    `Forecast for the month: ${money(report, report.monthForecast)}`,
    `Last 7 days: ${money(report, report.thisWeek.unblended)}, ${signed(report, week)} on the week before`,
    ...(top ? [`Largest service: ${top.key}, ${money(report, top.thisWeek)} this week`] : []),
    `Anomalies: ${report.anomalies.length === 0 ? 'none' : report.anomalies.map((a) => `${a.service} +${money(report, a.impact)} from ${a.from}`).join('; ')}`,
    ...report.untagged
      .filter((u) => u.share > 0)
      .map((u) => `Untagged by ${u.tag}: ${u.share.toFixed(1)} % of the month`),
    ...(report.recommendations.length > 0
      ? [
          `Recommendations: ${report.recommendations.length}, together ${money(
            report,
            report.recommendations.reduce((sum, r) => sum + r.monthlySaving, 0),
          )} a month`,
        ]
      : []),
    ...(report.unitCosts.perDailyRun !== undefined
      ? [`Per daily run: ${money(report, report.unitCosts.perDailyRun)}`]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per day and service or tag value, unblended: what finance pivots. */
export function renderCostCsv(report: CostReport): string {
  const rows: (string | number)[][] = [['date', 'dimension', 'key', 'unblended_cost', 'currency']];
  for (const day of report.daily)
    for (const [service, cost] of Object.entries(day.services).sort())
      rows.push([day.date, 'service', service, cost.toFixed(2), report.currency]);
  for (const [tag, days] of Object.entries(report.dailyByTag))
    for (const day of days)
      for (const [value, cost] of Object.entries(day.values).sort())
        rows.push([day.date, `tag:${tag}`, value, cost.toFixed(2), report.currency]);
  // Estimates at list prices, not billed amounts: told apart by their dimensions too.
  for (const b of report.storage)
    for (const c of b.classes)
      rows.push([
        report.asOf,
        `storage_estimate:${b.role}`,
        c.storageClass,
        c.monthlyCost.toFixed(2),
        report.currency,
      ]);
  // Not a cost but what a change would save a month, told apart by its dimension.
  for (const r of report.recommendations)
    rows.push([
      report.asOf,
      'recommendation:monthly_saving',
      r.title,
      r.monthlySaving.toFixed(2),
      report.currency,
    ]);
  return `${rows.map((r) => r.map(csvField).join(',')).join('\n')}\n`;
}

export function renderCostJson(report: CostReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Daily stacked bars of the largest series, the rest as "Other", a date tick every week. */
function dailyChart(
  label: string,
  days: readonly { date: string; values: Record<string, number> }[],
  order: readonly string[],
): string {
  return stackedChart(
    label,
    days.map((d) => ({ label: d.date, values: d.values })),
    order,
    {
      tick: (column, i) => (i % 7 === 0 ? column.label.slice(5) : undefined),
      empty: 'No cost recorded in the period.',
    },
  );
}

function changeTable(report: CostReport, heading: string, changes: readonly WeekChange[]): string {
  if (changes.length === 0) return '<p class="muted">No cost in the last two weeks.</p>';
  const rows = changes
    .map(
      (c) =>
        `<tr><td>${esc(c.key)}</td><td class="num">${money(report, c.lastWeek)}</td><td class="num">${money(report, c.thisWeek)}</td><td class="num ${c.change > 0 ? 'bad' : c.change < 0 ? 'good' : ''}">${signed(report, c)}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>${esc(heading)}</th><th class="num">${days(report.periods.lastWeek)}</th><th class="num">${days(report.periods.thisWeek)}</th><th class="num">change</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function optional(report: CostReport, amount: number | undefined, missing: string): string {
  return amount === undefined
    ? `<span class="muted">${esc(missing)}</span>`
    : money(report, amount);
}

export function renderCostHtml(report: CostReport): string {
  const { unitCosts: unit, periods } = report;
  const tags = Object.keys(report.byTag);
  const weekChange = report.thisWeek.unblended - report.lastWeek.unblended;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cost report · ${esc(report.env)} · ${esc(report.asOf)}</title>
<style>
${reportStyle}</style>
</head>
<body>
<h1>Cost report</h1>
<p class="muted">Environment <code>${esc(report.env)}</code> · ${days(periods.window)} · unblended cost in ${esc(report.currency)} unless marked amortized · from AWS Cost Explorer and the platform's run history</p>
<div class="cards">
  <div class="card"><b>${money(report, report.monthToDate.unblended)}</b>month to date<br><span class="muted">amortized ${money(report, report.monthToDate.amortized)}</span></div>
  <div class="card"><b>${money(report, report.monthForecast)}</b>forecast for the month<br><span class="muted">${report.forecastRest === undefined ? (periods.rest ? 'no forecast available' : 'month complete') : `${money(report, report.forecastRest)} still to come`}</span></div>
  <div class="card"><b class="${weekChange > 0 ? 'bad' : 'good'}">${money(report, report.thisWeek.unblended)}</b>last 7 days<br><span class="muted">${money(report, report.lastWeek.unblended)} the week before</span></div>
  <div class="card"><b class="${report.anomalies.length > 0 ? 'bad' : 'good'}">${report.anomalies.length}</b>cost anomalies</div>
  <div class="card"><b>${optional(report, unit.perDailyRun, 'no daily run')}</b>per daily run</div>
</div>
<h2>Daily cost by service</h2>
${dailyChart(
  'Daily cost by service',
  report.daily.map((d) => ({ date: d.date, values: d.services })),
  report.services.map((s) => s.service),
)}
<h2>Week over week by service</h2>
${changeTable(report, 'service', report.byService)}
${tags
  .map(
    (tag) => `<h2>By ${esc(tag)}</h2>
${dailyChart(
  `Daily cost by ${tag}`,
  report.dailyByTag[tag]!,
  report.byTag[tag]!.map((c) => c.key),
)}
${changeTable(report, tag, report.byTag[tag]!)}`,
  )
  .join('\n')}
<h2>Untagged cost</h2>
${
  report.untagged.length === 0
    ? '<p class="muted">No cost allocation tag was reported on.</p>'
    : `<table><thead><tr><th>tag</th><th class="num">month to date without it</th><th class="num">share</th></tr></thead><tbody>${report.untagged
        .map(
          (u) =>
            `<tr><td><code>${esc(u.tag)}</code></td><td class="num">${money(report, u.cost)}</td><td class="num ${u.share > 10 ? 'warn' : ''}">${u.share.toFixed(1)} %</td></tr>`,
        )
        .join('')}</tbody></table>
<p class="muted">Cost no resource's tag accounts for: shared services (data transfer, support, tax) and resources created before the tag was activated.</p>`
}
<h2>Unit costs, month to date</h2>
<table><tbody>
<tr><td>per <code>daily</code> run <span class="muted">(${unit.dailyRuns} succeeded runs)</span></td><td class="num">${optional(report, unit.perDailyRun, 'no succeeded daily run')}</td></tr>
<tr><td>per million rows written <span class="muted">(${unit.rowsWritten.toLocaleString('en-US')} rows)</span></td><td class="num">${optional(report, unit.perMillionRows, 'no rows written')}</td></tr>
<tr><td>Athena cost per TB scanned <span class="muted">(${unit.bytesScanned === undefined ? 'not recorded' : `${(unit.bytesScanned / 1e12).toFixed(3)} TB`})</span></td><td class="num">${optional(report, unit.perTerabyteScanned, 'bytes scanned not recorded')}</td></tr>
</tbody></table>
<p class="muted">The platform's month-to-date cost over the runs and rows of succeeded runs in <code>audit.runs</code>; Athena's own cost over the bytes its queries scanned.</p>
${
  report.tables.length === 0
    ? ''
    : `<h3>Per table</h3><table><thead><tr><th>table</th><th>layer</th><th class="num">rows written</th><th class="num">share of its layer's cost</th></tr></thead><tbody>${report.tables
        .map(
          (t) =>
            `<tr><td><code>${esc(t.dataset)}</code></td><td>${esc(t.layer)}</td><td class="num">${t.rowsWritten.toLocaleString('en-US')}</td><td class="num">${money(report, t.cost)}</td></tr>`,
        )
        .join('')}</tbody></table>
<p class="muted">Each layer's tagged cost shared among its tables in proportion to the rows written to them.</p>`
}
<h2>Forecast</h2>
<p>${money(report, report.monthToDate.unblended)} spent ${days(periods.monthToDate)}; ${
    report.forecastRest === undefined
      ? periods.rest
        ? '<span class="muted">Cost Explorer gave no forecast for the rest of the month (too little history).</span>'
        : 'the month is complete.'
      : `Cost Explorer expects ${money(report, report.forecastRest)} more ${days(periods.rest!)}: <b>${money(report, report.monthForecast)}</b> for the month.`
  }</p>
<h2>Anomalies</h2>
${
  report.anomalies.length === 0
    ? '<p class="good">Cost Anomaly Detection flagged nothing in the period.</p>'
    : `<table><thead><tr><th>from</th><th>to</th><th>service</th><th>region · usage type</th><th class="num">above expected</th></tr></thead><tbody>${report.anomalies
        .map(
          (a) =>
            `<tr><td>${esc(a.from)}</td><td>${esc(a.to ?? 'ongoing')}</td><td>${esc(a.service)}</td><td>${esc([a.region, a.usageType].filter(Boolean).join(' · '))}</td><td class="num bad">+${money(report, a.impact)}${a.impactPercent === undefined ? '' : ` (${a.impactPercent.toFixed(1)} %)`}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
${
  report.storage.length === 0
    ? ''
    : `<h2>Storage by bucket and class</h2><table><thead><tr><th>bucket</th><th>storage class</th><th class="num">GB</th><th class="num">a month at list price</th></tr></thead><tbody>${report.storage
        .map(
          (b) =>
            `<tr><td><b>${esc(b.role)}</b> <span class="muted">${esc(b.bucket)} · ${b.objects.toLocaleString('en-US')} objects · ${b.lifecycleRules === 0 ? 'no lifecycle rule' : `${b.lifecycleRules} lifecycle rule${b.lifecycleRules === 1 ? '' : 's'}`}</span></td><td></td><td class="num">${gigabytes(b.bytes)}</td><td class="num">${money(report, b.monthlyCost)}</td></tr>${b.classes
              .map(
                (c) =>
                  `<tr><td></td><td>${esc(c.storageClass)}</td><td class="num">${gigabytes(c.bytes)}</td><td class="num">${money(report, c.monthlyCost)}</td></tr>`,
              )
              .join('')}`,
        )
        .join('')}</tbody></table>
<p class="muted">The latest of CloudWatch's daily S3 storage metrics priced at <code>cost.prices</code> (GB of 2³⁰ bytes), without requests, retrievals or the Intelligent-Tiering monitoring fee.</p>`
}
${
  report.recommendations.length === 0 && report.recommendationNotes.length === 0
    ? ''
    : `<h2>Recommendations</h2>${report.recommendationNotes.map((n) => `<p>${esc(n)}</p>`).join('')}<table><thead><tr><th>recommendation</th><th>detail</th><th class="num">estimated monthly saving</th></tr></thead><tbody>${report.recommendations
        .map(
          (r) =>
            `<tr><td>${esc(r.title)}</td><td>${esc(r.detail)}</td><td class="num good">${money(report, r.monthlySaving)}</td></tr>`,
        )
        .join('')}</tbody></table>
<p>Together: <b>${money(
        report,
        report.recommendations.reduce((sum, r) => sum + r.monthlySaving, 0),
      )}</b> a month.</p>`
}
</body>
</html>
`;
}
