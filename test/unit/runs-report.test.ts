import { describe, expect, it } from 'vitest';
import {
  buildRunsReport,
  renderRunsCsv,
  renderRunsHtml,
  type RunsHistory,
} from '../../lambdas/core/runs-report';

const now = new Date('2026-01-03T12:00:00.000Z');
const step = (
  runId: string,
  dataset: string,
  layer: string,
  rowsIn: number,
  rowsOut: number,
  quarantined = 0,
) => ({
  runId,
  dataset,
  layer,
  rowsIn,
  rowsOut,
  quarantined,
});

/** Three runs, newest first: a failed daily, a bronze-only ingest, and the first daily. */
const history: RunsHistory = {
  runs: [
    {
      runId: 'r3',
      job: 'daily',
      runDate: '2026-01-02',
      status: 'failed',
      startedAt: '2026-01-03T02:00:00.000Z',
      seconds: 30,
      error: 'SqlError: "bad", row 2',
    },
    {
      runId: 'r2',
      job: 'crm_to_bronze',
      runDate: '2026-01-02',
      status: 'succeeded',
      startedAt: '2026-01-02T06:00:00.000Z',
      seconds: 4,
    },
    {
      runId: 'r1',
      job: 'daily',
      runDate: '2026-01-01',
      status: 'succeeded',
      startedAt: '2026-01-02T02:00:00.000Z',
      seconds: 50,
    },
  ],
  steps: [
    step('r1', 'snowflake.orders', 'bronze', 100, 100),
    step('r1', 'silver.orders', 'silver', 100, 90, 10),
    step('r1', 'gold.fact_orders', 'gold', 90, 90),
    step('r2', 'crm.accounts', 'bronze', 5, 5),
    step('r3', 'snowflake.orders', 'bronze', 20, 20),
    step('r3', 'silver.orders', 'silver', 20, 15, 5),
  ],
  scores: [
    {
      dataset: 'silver.orders',
      layer: 'silver',
      score: 97.5,
      checkedAt: '2026-01-02T02:00:40.000Z',
    },
    {
      dataset: 'gold.fact_orders',
      layer: 'gold',
      score: 100,
      checkedAt: '2026-01-02T02:00:45.000Z',
    },
    { dataset: 'silver.orders', layer: 'silver', score: 80, checkedAt: '2026-01-03T02:00:20.000Z' },
  ],
  publishes: [{ dataset: 'gold.fact_orders', publishedAt: '2026-01-02T02:00:50.000Z' }],
};

describe('the runs report', () => {
  const report = buildRunsReport(history, now);

  it('adds up rows per layer and quarantine per run', () => {
    expect(report.runs.map((r) => [r.runId, r.rowsWritten, r.quarantined])).toEqual([
      ['r3', { bronze: 20, silver: 15, gold: 0 }, 5],
      ['r2', { bronze: 5, silver: 0, gold: 0 }, 0],
      ['r1', { bronze: 100, silver: 90, gold: 90 }, 10],
    ]);
  });

  it('counts runs and mean duration per pipeline', () => {
    expect(report.jobs).toEqual([
      { job: 'crm_to_bronze', runs: 1, succeeded: 1, failed: 0, meanSeconds: 4 },
      { job: 'daily', runs: 2, succeeded: 1, failed: 1, meanSeconds: 40 },
    ]);
  });

  it('gives silver and gold datasets their quarantine share and latest and lowest scores', () => {
    expect(report.datasets).toEqual([
      {
        dataset: 'silver.orders',
        layer: 'silver',
        rowsIn: 120,
        quarantined: 15,
        quarantinePercent: 12.5,
        latestScore: 80,
        lowestScore: 80,
      },
      {
        dataset: 'gold.fact_orders',
        layer: 'gold',
        rowsIn: 90,
        quarantined: 0,
        quarantinePercent: 0,
        latestScore: 100,
        lowestScore: 100,
      },
    ]);
  });

  it('tells how long ago each gold table was published', () => {
    expect(report.freshness).toEqual([
      { dataset: 'gold.fact_orders', publishedAt: '2026-01-02T02:00:50.000Z', hoursSince: 33.99 },
    ]);
  });

  it('writes one CSV row per run, quoting what needs it', () => {
    expect(renderRunsCsv(report).split('\n')).toEqual([
      'run_id,job,run_date,status,started_at,seconds,rows_bronze,rows_silver,rows_gold,quarantined,error',
      'r3,daily,2026-01-02,failed,2026-01-03T02:00:00.000Z,30,20,15,0,5,"SqlError: ""bad"", row 2"',
      'r2,crm_to_bronze,2026-01-02,succeeded,2026-01-02T06:00:00.000Z,4,5,0,0,0,',
      'r1,daily,2026-01-01,succeeded,2026-01-02T02:00:00.000Z,50,100,90,90,10,',
      '',
    ]);
  });

  it('draws five charts, oldest run first, with nothing fetched and the text escaped', () => {
    const html = renderRunsHtml(report);
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const durations = html.slice(html.indexOf('aria-label="Run duration per pipeline'));
    const titles = [...durations.matchAll(/<title>([^<]*)<\/title>/g)].slice(0, 3).map((m) => m[1]);
    expect(titles).toEqual([
      '2026-01-01 daily (succeeded) daily: 50.0s',
      '2026-01-02 crm_to_bronze (succeeded) crm_to_bronze: 4.0s',
      '2026-01-02 daily (failed) daily: 30.0s',
    ]);
    expect(html).toContain('title="SqlError: &quot;bad&quot;, row 2"');
    expect(html).toContain('<b class="bad">80.0</b>lowest quality score');
    expect(html).toContain('<b>34.0 h</b>stalest gold table');
  });

  it('says so when the history is empty rather than drawing empty charts', () => {
    const html = renderRunsHtml(
      buildRunsReport({ runs: [], steps: [], scores: [], publishes: [] }, now),
    );
    expect(html).not.toContain('<svg ');
    expect(html).toContain('No run in the history yet.');
    expect(html).toContain('No gold table has been published yet.');
  });
});
