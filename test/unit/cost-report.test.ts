import { describe, expect, it } from 'vitest';
import {
  recordingFiles,
  recordingFromFiles,
  type CostAndUsagePage,
  type CostRecording,
} from '../../lambdas/core/cost/recording';
import { buildCostReport, costPeriods } from '../../lambdas/core/cost/report';
import { renderCostCsv, renderCostHtml, renderCostSummary } from '../../lambdas/core/cost/render';

const usd = (amount: number, amortized = amount) => ({
  UnblendedCost: { Amount: String(amount), Unit: 'USD' },
  AmortizedCost: { Amount: String(amortized), Unit: 'USD' },
});
const day = (date: string, groups: [key: string, amount: number, amortized?: number][]) => ({
  TimePeriod: { Start: date, End: date },
  Groups: groups.map(([key, amount, amortized]) => ({
    Keys: [key],
    Metrics: usd(amount, amortized),
  })),
});

/**
 * Two weeks of March 2026 reported on the 16th. By service, in two pages: 4.50 the week of the
 * 2nd, 7.50 the week of the 9th, a day with nothing billed (the 12th), and February's 10.00
 * outside the month. By layer: the same days, half of the month untagged.
 */
const recording: CostRecording = {
  asOf: '2026-03-16',
  env: 'prod',
  byService: [
    {
      ResultsByTime: [
        day('2026-02-20', [['AWS Lambda', 10]]),
        day('2026-03-02', [
          ['AWS Lambda', 1],
          ['Amazon Athena', 2],
        ]),
        day('2026-03-05', [['AWS Lambda', 1.5, 1.6]]),
      ],
      NextPageToken: 'page-2',
    },
    {
      ResultsByTime: [
        day('2026-03-10', [
          ['AWS Lambda', 2],
          ['Amazon Athena', 5],
          ['Amazon Simple Storage Service', 0.5],
        ]),
        day('2026-03-12', []),
      ],
    },
  ],
  byTag: {
    layer: [
      {
        ResultsByTime: [
          day('2026-03-02', [
            ['layer$bronze', 2],
            ['layer$', 1],
          ]),
          day('2026-03-05', [['layer$', 1.5]]),
          day('2026-03-10', [
            ['layer$bronze', 3],
            ['layer$silver', 1],
            ['layer$', 3.5],
          ]),
        ],
      },
    ],
  },
  forecast: { Total: { Amount: '8.25', Unit: 'USD' } },
  anomalies: [
    {
      Anomalies: [
        {
          AnomalyId: 'athena',
          AnomalyStartDate: '2026-03-10',
          AnomalyEndDate: '2026-03-11',
          RootCauses: [{ Service: 'Amazon Athena', Region: 'eu-west-1', UsageType: 'DataScanned' }],
          Impact: { TotalImpact: 2.5, TotalImpactPercentage: 125 },
        },
        {
          AnomalyId: 'january',
          AnomalyStartDate: '2026-01-04',
          AnomalyEndDate: '2026-01-05',
          Impact: { TotalImpact: 9 },
        },
      ],
      NextPageToken: 'more',
    },
    {
      Anomalies: [
        {
          AnomalyId: 'ongoing',
          AnomalyStartDate: '2026-03-14',
          DimensionValue: 'AWS Lambda',
          Impact: { TotalImpact: 0.75 },
        },
      ],
    },
  ],
  runs: [
    {
      runId: 'r1',
      job: 'daily',
      runDate: '2026-03-02',
      status: 'succeeded',
      datasets: [
        { dataset: 'bronze.orders', layer: 'bronze', rowsOut: 300_000 },
        { dataset: 'silver.orders', layer: 'silver', rowsOut: 200_000, bytesScanned: 0.5e12 },
      ],
    },
    {
      runId: 'r2',
      job: 'daily',
      runDate: '2026-03-10',
      status: 'succeeded',
      datasets: [
        { dataset: 'bronze.orders', layer: 'bronze', rowsOut: 100_000 },
        { dataset: 'bronze.customers', layer: 'bronze', rowsOut: 100_000 },
        { dataset: 'silver.orders', layer: 'silver', rowsOut: 300_000, bytesScanned: 2e12 },
      ],
    },
    { runId: 'r3', job: 'daily', runDate: '2026-03-11', status: 'failed', datasets: [] },
    { runId: 'r4', job: 'maintenance', runDate: '2026-03-08', status: 'succeeded', datasets: [] },
    {
      runId: 'r5',
      job: 'daily',
      runDate: '2026-02-20',
      status: 'succeeded',
      datasets: [{ dataset: 'bronze.orders', layer: 'bronze', rowsOut: 999 }],
    },
  ],
};

describe('cost periods', () => {
  it('fetch the month to date and five weeks of days, forecast the rest of the month', () => {
    expect(costPeriods('2026-03-16')).toEqual({
      window: { from: '2026-02-09', to: '2026-03-16' },
      monthToDate: { from: '2026-03-01', to: '2026-03-16' },
      rest: { from: '2026-03-16', to: '2026-04-01' },
      thisWeek: { from: '2026-03-09', to: '2026-03-16' },
      lastWeek: { from: '2026-03-02', to: '2026-03-09' },
    });
  });

  it('report on the first of a month on the month just ended, with nothing left to forecast', () => {
    const periods = costPeriods('2026-04-01');
    expect(periods.monthToDate).toEqual({ from: '2026-03-01', to: '2026-04-01' });
    expect(periods.rest).toBeUndefined();
    expect(periods.window.from).toBe('2026-02-25');
  });
});

describe('the cost report', () => {
  const report = buildCostReport(recording);

  it('sums the month to date, unblended and amortized, over every page', () => {
    expect(report.monthToDate).toEqual({ unblended: 12, amortized: 12.1 });
    expect(report.services).toEqual([
      { service: 'Amazon Athena', monthToDate: 7 },
      { service: 'AWS Lambda', monthToDate: 4.5 },
      { service: 'Amazon Simple Storage Service', monthToDate: 0.5 },
    ]);
  });

  it('adds the forecast of the rest of the month to the month to date', () => {
    expect(report.forecastRest).toBe(8.25);
    expect(report.monthForecast).toBe(20.25);
  });

  it('compares the last 7 days with the 7 before, per service, with no percentage of zero', () => {
    expect(report.thisWeek.unblended).toBe(7.5);
    expect(report.lastWeek.unblended).toBe(4.5);
    expect(report.byService).toEqual([
      { key: 'Amazon Athena', thisWeek: 5, lastWeek: 2, change: 3, changePercent: 150 },
      { key: 'AWS Lambda', thisWeek: 2, lastWeek: 2.5, change: -0.5, changePercent: -20 },
      { key: 'Amazon Simple Storage Service', thisWeek: 0.5, lastWeek: 0, change: 0.5 },
    ]);
  });

  it('reports a tag group without a value as untagged, week over week and as a share of the month', () => {
    expect(report.byTag['layer']).toEqual([
      { key: '(untagged)', thisWeek: 3.5, lastWeek: 2.5, change: 1, changePercent: 40 },
      { key: 'bronze', thisWeek: 3, lastWeek: 2, change: 1, changePercent: 50 },
      { key: 'silver', thisWeek: 1, lastWeek: 0, change: 1 },
    ]);
    expect(report.untagged).toEqual([{ tag: 'layer', cost: 6, share: 50 }]);
  });

  it('charts every day of the window, days with nothing billed empty', () => {
    expect(report.daily).toHaveLength(35);
    expect(report.daily.find((d) => d.date === '2026-03-12')).toEqual({
      date: '2026-03-12',
      services: {},
    });
    expect(report.daily.find((d) => d.date === '2026-02-20')!.services).toEqual({
      'AWS Lambda': 10,
    });
  });

  it('lists the anomalies of the window, largest first, an ongoing one without an end', () => {
    expect(report.anomalies).toEqual([
      {
        id: 'athena',
        from: '2026-03-10',
        to: '2026-03-11',
        service: 'Amazon Athena',
        region: 'eu-west-1',
        usageType: 'DataScanned',
        impact: 2.5,
        impactPercent: 125,
      },
      { id: 'ongoing', from: '2026-03-14', service: 'AWS Lambda', impact: 0.75 },
    ]);
  });

  it('divides the month by succeeded daily runs, millions of rows written and Athena by TB scanned', () => {
    expect(report.unitCosts).toEqual({
      dailyRuns: 2,
      rowsWritten: 1_000_000,
      bytesScanned: 2.5e12,
      perDailyRun: 6,
      perMillionRows: 12,
      perTerabyteScanned: 2.8,
    });
  });

  it('leaves a unit cost out rather than divide by nothing', () => {
    const noRuns = buildCostReport({
      ...recording,
      runs: recording.runs.map((r) => ({
        ...r,
        datasets: r.datasets.map(({ bytesScanned: _, ...d }) => d),
      })),
    });
    expect(noRuns.unitCosts.bytesScanned).toBeUndefined();
    expect(noRuns.unitCosts.perTerabyteScanned).toBeUndefined();
    expect(buildCostReport({ ...recording, runs: [] }).unitCosts).toEqual({
      dailyRuns: 0,
      rowsWritten: 0,
    });
  });

  it("shares each layer's tagged cost among its tables by the rows written to them", () => {
    expect(report.tables).toEqual([
      { dataset: 'bronze.orders', layer: 'bronze', rowsWritten: 400_000, cost: 4 },
      { dataset: 'bronze.customers', layer: 'bronze', rowsWritten: 100_000, cost: 1 },
      { dataset: 'silver.orders', layer: 'silver', rowsWritten: 500_000, cost: 1 },
    ]);
  });

  it('names the day, key and metric of an amount that is not a number', () => {
    const page: CostAndUsagePage = {
      ResultsByTime: [
        {
          TimePeriod: { Start: '2026-03-10' },
          Groups: [
            { Keys: ['AWS Lambda'], Metrics: { UnblendedCost: { Amount: 'n/a', Unit: 'USD' } } },
          ],
        },
      ],
    };
    expect(() => buildCostReport({ ...recording, byService: [page] })).toThrow(
      /cost by service: 2026-03-10 AWS Lambda UnblendedCost is not a number: "n\/a"/,
    );
  });

  it('refuses to add amounts of different currencies', () => {
    const euros: CostAndUsagePage = {
      ResultsByTime: [
        {
          TimePeriod: { Start: '2026-03-10' },
          Groups: [
            { Keys: ['AWS Lambda'], Metrics: { UnblendedCost: { Amount: '1', Unit: 'EUR' } } },
          ],
        },
      ],
    };
    expect(() =>
      buildCostReport({ ...recording, byService: [...recording.byService, euros] }),
    ).toThrow(/several currencies: USD, EUR/);
  });
});

describe('a recording as files', () => {
  it('reads back what was written, pages in numeric order', () => {
    const many = {
      ...recording,
      byService: Array.from({ length: 11 }, (_, i) => ({ NextPageToken: `p${i}` })),
    };
    const files = new Map(Object.entries(recordingFiles(many)).reverse());
    expect(recordingFromFiles(files)).toEqual(many);
  });

  it('names what is missing', () => {
    const files = new Map(Object.entries(recordingFiles(recording)));
    files.delete('cost-and-usage.tag-layer.1.json');
    expect(() => recordingFromFiles(files)).toThrow(
      'cost-and-usage.tag-layer.1.json is missing from the recording',
    );
    files.delete('report.json');
    expect(() => recordingFromFiles(files)).toThrow('report.json is missing from the recording');
  });

  it('refuses pages of a tag the manifest does not list', () => {
    const files = new Map(Object.entries(recordingFiles(recording)));
    files.set('cost-and-usage.tag-team.1.json', {});
    expect(() => recordingFromFiles(files)).toThrow(/tag team is not in report\.json's tags/);
  });
});

describe('the cost report rendered', () => {
  const report = buildCostReport(recording, {
    recommendations: [
      { title: 'Right-size transform', detail: '1024 MB → 512 MB', monthlySaving: 1.25 },
      { title: 'Partition silver.orders', detail: 'by order_date', monthlySaving: 3 },
    ],
    notes: [],
  });
  const html = renderCostHtml(report);

  it('is one offline page: no script, nothing fetched, charts as inline SVG', () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html.match(/https?:\/\/[^"]+/g)).toEqual(Array(2).fill('http://www.w3.org/2000/svg'));
    expect(html).toContain('aria-label="Daily cost by service"');
    expect(html).toContain('aria-label="Daily cost by layer"');
  });

  it('shows the headline figures, the anomalies and the recommendations with their saving', () => {
    for (const text of [
      '12.00 USD</b>month to date',
      '20.25 USD</b>forecast for the month',
      '7.50 USD</b>last 7 days',
      '+3.00 USD (+150.0 %)',
      '+0.50 USD (new)',
      '50.0 %',
      '2.80 USD',
      '+2.50 USD (125.0 %)',
      '<b>4.25 USD</b> a month',
      // Weeks as people read them, last day included.
      '<th class="num">2026-03-02 – 2026-03-08</th><th class="num">2026-03-09 – 2026-03-15</th>',
    ])
      expect(html).toContain(text);
    expect(html.indexOf('Partition silver.orders')).toBeLessThan(html.indexOf('Right-size'));
  });

  it('puts one CSV row per day and service or tag value, and one per recommendation', () => {
    const lines = renderCostCsv(report).trimEnd().split('\n');
    expect(lines[0]).toBe('date,dimension,key,unblended_cost,currency');
    expect(lines).toContain('2026-03-10,service,Amazon Simple Storage Service,0.50,USD');
    expect(lines).toContain('2026-03-10,tag:layer,(untagged),3.50,USD');
    expect(lines.slice(-2)).toEqual([
      '2026-03-16,recommendation:monthly_saving,Partition silver.orders,3.00,USD',
      '2026-03-16,recommendation:monthly_saving,Right-size transform,1.25,USD',
    ]);
    expect(lines).toHaveLength(1 + 7 + 6 + 2);
  });

  it('sums it up in a few lines for SNS', () => {
    expect(renderCostSummary(report)).toBe(
      [
        'Cost report prod as of 2026-03-16',
        'Month to date: 12.00 USD (amortized 12.10 USD)',
        'Forecast for the month: 20.25 USD',
        'Last 7 days: 7.50 USD, +3.00 USD (+66.7 %) on the week before',
        'Largest service: Amazon Athena, 5.00 USD this week',
        'Anomalies: Amazon Athena +2.50 USD from 2026-03-10; AWS Lambda +0.75 USD from 2026-03-14',
        'Untagged by layer: 50.0 % of the month',
        'Recommendations: 2, together 4.25 USD a month',
        'Per daily run: 6.00 USD',
        '',
      ].join('\n'),
    );
  });
});
