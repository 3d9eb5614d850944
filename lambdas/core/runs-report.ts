/**
 * `medallion report runs`: the recent runs with the figures the CloudWatch dashboard draws on AWS
 * (duration per pipeline, rows per layer, quarantine and quality score per dataset, freshness of
 * each gold table), from the run history. Pure: figures from rows, then HTML (inline CSS and SVG,
 * no script, nothing fetched), CSV or JSON.
 */
import { barChart, reportStyle, stackedChart, type Bar } from './charts';
import { escapeHtml as esc } from './html';

/** What the run history holds for the report (see `RunHistory.reportHistory`). */
export interface RunsHistory {
  /** The latest runs, newest first. */
  readonly runs: readonly {
    readonly runId: string;
    readonly job: string;
    readonly runDate: string;
    readonly status: string;
    readonly startedAt: string;
    readonly seconds?: number;
    readonly error?: string;
  }[];
  /** What each dataset step of those runs took in and wrote. */
  readonly steps: readonly {
    readonly runId: string;
    readonly dataset: string;
    readonly layer: string;
    readonly rowsIn: number;
    readonly rowsOut: number;
    readonly quarantined: number;
  }[];
  /** Quality scores the gates of those runs gave. */
  readonly scores: readonly {
    readonly dataset: string;
    readonly layer: string;
    readonly score: number;
    readonly checkedAt: string;
  }[];
  /** The end of the latest succeeded run that wrote each gold table, over the whole history. */
  readonly publishes: readonly { readonly dataset: string; readonly publishedAt: string }[];
}

const layers = ['bronze', 'silver', 'gold'] as const;

export interface ReportRun {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly status: string;
  readonly startedAt: string;
  readonly seconds?: number;
  readonly rowsWritten: Readonly<Record<(typeof layers)[number], number>>;
  readonly quarantined: number;
  readonly error?: string;
}

export interface RunsReport {
  readonly generatedAt: string;
  /** Newest first. */
  readonly runs: readonly ReportRun[];
  readonly jobs: readonly {
    readonly job: string;
    readonly runs: number;
    readonly succeeded: number;
    readonly failed: number;
    /** Mean seconds of its ended runs. */
    readonly meanSeconds?: number;
  }[];
  readonly datasets: readonly {
    readonly dataset: string;
    readonly layer: string;
    readonly rowsIn: number;
    readonly quarantined: number;
    /** Share of the rows in that were quarantined, in percent. */
    readonly quarantinePercent: number;
    readonly latestScore?: number;
    readonly lowestScore?: number;
  }[];
  readonly freshness: readonly {
    readonly dataset: string;
    readonly publishedAt: string;
    readonly hoursSince: number;
  }[];
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function buildRunsReport(history: RunsHistory, now: Date): RunsReport {
  const runs = history.runs.map((run): ReportRun => {
    const steps = history.steps.filter((s) => s.runId === run.runId);
    const written = (layer: string) =>
      steps.filter((s) => s.layer === layer).reduce((n, s) => n + s.rowsOut, 0);
    return {
      ...run,
      rowsWritten: { bronze: written('bronze'), silver: written('silver'), gold: written('gold') },
      quarantined: steps.reduce((n, s) => n + s.quarantined, 0),
    };
  });
  const jobs = [...new Set(runs.map((r) => r.job))].sort().map((job) => {
    const of = runs.filter((r) => r.job === job);
    const ended = of.filter((r) => r.seconds !== undefined && r.status !== 'running');
    return {
      job,
      runs: of.length,
      succeeded: of.filter((r) => r.status === 'succeeded').length,
      failed: of.filter((r) => r.status === 'failed').length,
      ...(ended.length > 0
        ? { meanSeconds: round(ended.reduce((n, r) => n + r.seconds!, 0) / ended.length, 1) }
        : {}),
    };
  });
  const datasets = new Map<
    string,
    { dataset: string; layer: string; rowsIn: number; quarantined: number }
  >();
  for (const s of history.steps) {
    const d = datasets.get(s.dataset) ?? {
      dataset: s.dataset,
      layer: s.layer,
      rowsIn: 0,
      quarantined: 0,
    };
    datasets.set(s.dataset, {
      ...d,
      rowsIn: d.rowsIn + s.rowsIn,
      quarantined: d.quarantined + s.quarantined,
    });
  }
  const scores = new Map<string, { latest: number; at: string; lowest: number; layer: string }>();
  for (const s of history.scores) {
    const was = scores.get(s.dataset);
    scores.set(s.dataset, {
      layer: s.layer,
      latest: was && was.at > s.checkedAt ? was.latest : s.score,
      at: was && was.at > s.checkedAt ? was.at : s.checkedAt,
      lowest: Math.min(was?.lowest ?? s.score, s.score),
    });
  }
  for (const [dataset, s] of scores)
    if (!datasets.has(dataset))
      datasets.set(dataset, { dataset, layer: s.layer, rowsIn: 0, quarantined: 0 });
  return {
    generatedAt: now.toISOString(),
    runs,
    jobs,
    datasets: [...datasets.values()]
      .filter((d) => d.layer !== 'bronze')
      .sort(
        (a, b) => layerOrder(a.layer) - layerOrder(b.layer) || a.dataset.localeCompare(b.dataset),
      )
      .map((d) => {
        const score = scores.get(d.dataset);
        return {
          ...d,
          quarantinePercent: d.rowsIn > 0 ? round((d.quarantined / d.rowsIn) * 100, 2) : 0,
          ...(score ? { latestScore: score.latest, lowestScore: score.lowest } : {}),
        };
      }),
    freshness: [...history.publishes]
      .sort((a, b) => a.dataset.localeCompare(b.dataset))
      .map((p) => ({
        dataset: p.dataset,
        publishedAt: p.publishedAt,
        hoursSince: round(Math.max(now.getTime() - Date.parse(p.publishedAt), 0) / 3_600_000, 2),
      })),
  };
}

function layerOrder(layer: string): number {
  const i = (layers as readonly string[]).indexOf(layer);
  return i < 0 ? layers.length : i;
}

export function renderRunsJson(report: RunsReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function csvField(value: string | number | undefined): string {
  const text = value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One row per run, newest first: the table of the HTML page, to pivot. */
export function renderRunsCsv(report: RunsReport): string {
  const head = [
    'run_id',
    'job',
    'run_date',
    'status',
    'started_at',
    'seconds',
    'rows_bronze',
    'rows_silver',
    'rows_gold',
    'quarantined',
    'error',
  ];
  const rows = report.runs.map((r) =>
    [
      r.runId,
      r.job,
      r.runDate,
      r.status,
      r.startedAt,
      r.seconds,
      r.rowsWritten.bronze,
      r.rowsWritten.silver,
      r.rowsWritten.gold,
      r.quarantined,
      r.error,
    ]
      .map(csvField)
      .join(','),
  );
  return `${[head.join(','), ...rows].join('\n')}\n`;
}

const count = (n: number) => n.toLocaleString('en-US');

function scoreTone(score: number): Bar['tone'] {
  return score >= 99.95 ? 'good' : score >= 90 ? 'warn' : 'bad';
}

function hours(h: number): string {
  return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`;
}

export function renderRunsHtml(report: RunsReport): string {
  // Charts read left to right, oldest to newest.
  const chronological = [...report.runs].reverse();
  // A tick label is wider than a column: at most every other column gets one.
  const tickEvery = Math.max(Math.ceil(chronological.length / 8), 2);
  const tick = (_: unknown, i: number) =>
    i % tickEvery === 0 ? chronological[i]!.runDate.slice(5) : undefined;
  const label = (r: ReportRun) => `${r.runDate} ${r.job} (${r.status})`;
  const succeeded = report.runs.filter((r) => r.status === 'succeeded').length;
  const failed = report.runs.filter((r) => r.status === 'failed').length;
  const stale = report.freshness.reduce((h, f) => Math.max(h, f.hoursSince), 0);
  const scored = report.datasets.filter((d) => d.latestScore !== undefined);
  const lowest = scored.reduce((s, d) => Math.min(s, d.latestScore!), 100);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Runs · ${esc(report.generatedAt)}</title>
<style>
${reportStyle}</style>
</head>
<body>
<h1>Runs</h1>
<p class="muted">The latest ${report.runs.length} run(s) from the run history (<code>audit.runs</code>, <code>audit.run_datasets</code>, <code>audit.dq_scores</code>) · generated ${esc(report.generatedAt)}</p>
<div class="cards">
  <div class="card"><b>${report.runs.length}</b>runs</div>
  <div class="card"><b class="good">${succeeded}</b>succeeded</div>
  <div class="card"><b class="${failed > 0 ? 'bad' : 'good'}">${failed}</b>failed</div>
  <div class="card"><b class="${scored.length === 0 ? '' : scoreTone(lowest)}">${scored.length === 0 ? '–' : lowest.toFixed(1)}</b>lowest quality score</div>
  <div class="card"><b>${report.freshness.length === 0 ? '–' : hours(stale)}</b>stalest gold table</div>
</div>
<h2>Run duration per pipeline</h2>
${stackedChart(
  'Run duration per pipeline (seconds)',
  chronological.map((r) => ({
    label: label(r),
    values: r.seconds === undefined ? {} : { [r.job]: r.seconds },
  })),
  report.jobs.map((j) => j.job),
  { tick, format: (v) => `${v.toFixed(1)}s`, empty: 'No run has ended yet.' },
)}
${
  report.jobs.length === 0
    ? ''
    : `<table><thead><tr><th>pipeline</th><th class="num">runs</th><th class="num">succeeded</th><th class="num">failed</th><th class="num">mean duration</th></tr></thead><tbody>${report.jobs
        .map(
          (j) =>
            `<tr><td><code>${esc(j.job)}</code></td><td class="num">${j.runs}</td><td class="num">${j.succeeded}</td><td class="num ${j.failed > 0 ? 'bad' : ''}">${j.failed}</td><td class="num">${j.meanSeconds === undefined ? '–' : `${j.meanSeconds.toFixed(1)}s`}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
<h2>Rows written per layer</h2>
${stackedChart(
  'Rows written per layer',
  chronological.map((r) => ({
    label: label(r),
    values: Object.fromEntries(
      layers.filter((l) => r.rowsWritten[l] > 0).map((l) => [l, r.rowsWritten[l]]),
    ),
  })),
  layers,
  { tick, format: (v) => count(Math.round(v)), empty: 'No run wrote rows.' },
)}
<h2>Quarantine per dataset</h2>
${barChart(
  'Rows quarantined per dataset',
  report.datasets.map((d) => ({
    label: d.dataset,
    value: d.quarantined,
    ...(d.quarantined > 0 ? { tone: 'warn' as const } : {}),
  })),
  { format: (v) => count(v), empty: 'No silver or gold dataset was written.' },
)}
<h2>Quality score per dataset</h2>
${barChart(
  'Latest quality score per dataset',
  scored.map((d) => ({ label: d.dataset, value: d.latestScore!, tone: scoreTone(d.latestScore!) })),
  { format: (v) => v.toFixed(1), max: 100, empty: 'No quality gate ran.' },
)}
${
  report.datasets.length === 0
    ? ''
    : `<table><thead><tr><th>dataset</th><th>layer</th><th class="num">rows in</th><th class="num">quarantined</th><th class="num">share</th><th class="num">latest score</th><th class="num">lowest score</th></tr></thead><tbody>${report.datasets
        .map(
          (d) =>
            `<tr><td><code>${esc(d.dataset)}</code></td><td>${esc(d.layer)}</td><td class="num">${count(d.rowsIn)}</td><td class="num ${d.quarantined > 0 ? 'warn' : ''}">${count(d.quarantined)}</td><td class="num">${d.quarantinePercent.toFixed(2)} %</td><td class="num ${d.latestScore === undefined ? '' : scoreTone(d.latestScore)}">${d.latestScore?.toFixed(1) ?? '–'}</td><td class="num ${d.lowestScore === undefined ? '' : scoreTone(d.lowestScore)}">${d.lowestScore?.toFixed(1) ?? '–'}</td></tr>`,
        )
        .join('')}</tbody></table>`
}
<h2>Freshness per gold table</h2>
${barChart(
  'Hours since each gold table was last published',
  report.freshness.map((f) => ({ label: f.dataset, value: f.hoursSince })),
  { format: hours, empty: 'No gold table has been published yet.' },
)}
<p class="muted">Time since the latest succeeded run that wrote the table ended.</p>
<h2>Runs</h2>
${
  report.runs.length === 0
    ? '<p class="muted">No run in the history yet.</p>'
    : `<table><thead><tr><th>started</th><th>pipeline</th><th>run date</th><th>status</th><th class="num">seconds</th><th class="num">bronze rows</th><th class="num">silver rows</th><th class="num">gold rows</th><th class="num">quarantined</th><th>run id</th></tr></thead><tbody>${report.runs
        .map(
          (r) =>
            `<tr><td>${esc(r.startedAt)}</td><td><code>${esc(r.job)}</code></td><td>${esc(r.runDate)}</td><td class="${r.status === 'succeeded' ? 'good' : r.status === 'running' ? '' : 'bad'}" ${r.error ? `title="${esc(r.error)}"` : ''}>${esc(r.status)}</td><td class="num">${r.seconds === undefined ? '–' : r.seconds.toFixed(1)}</td>${layers.map((l) => `<td class="num">${count(r.rowsWritten[l])}</td>`).join('')}<td class="num">${count(r.quarantined)}</td><td><code>${esc(r.runId)}</code></td></tr>`,
        )
        .join('')}</tbody></table>`
}
</body>
</html>
`;
}
