import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCostAdvice, defaultCostPrices } from '../../config/schema';
import { costAdvice } from '../../lambdas/core/cost/advice';
import type { CostExplorerSource } from '../../lambdas/core/cost/collect';
import { optimizerFiles } from '../../lambdas/core/cost/optimizer';
import { recordingFromFiles, type CostRecording } from '../../lambdas/core/cost/recording';
import { renderCostHtml } from '../../lambdas/core/cost/render';
import { buildCostReport } from '../../lambdas/core/cost/report';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { createCostReportHandler } from '../../lambdas/handlers/cost-report';
import { ManualClock, silentLogger } from '../helpers/clock';
import { MemoryObjectStore } from '../helpers/memory-store';

const fixtures = path.join(projectRoot, 'fixtures/cost');
const sample: CostRecording = recordingFromFiles(
  new Map(
    readdirSync(fixtures).map((name) => [
      name,
      JSON.parse(readFileSync(path.join(fixtures, name), 'utf8')) as unknown,
    ]),
  ),
);

/** Cost Explorer answering with the sample recording, and what it was asked. */
function replay(recording: CostRecording) {
  const asked: string[] = [];
  const costs: CostExplorerSource = {
    costAndUsage: async (period, groupBy) => {
      asked.push(`cost ${groupBy.type} ${groupBy.key} ${period.from}..${period.to}`);
      return groupBy.type === 'DIMENSION'
        ? [...recording.byService]
        : [...recording.byTag[groupBy.key]!];
    },
    forecast: async (period) => {
      asked.push(`forecast ${period.from}..${period.to}`);
      return recording.forecast;
    },
    anomalies: async (from, to) => {
      asked.push(`anomalies ${from}..${to}`);
      return [...recording.anomalies];
    },
  };
  return { costs, asked };
}

describe('the cost report handler', () => {
  const setup = () => {
    const { costs, asked } = replay(sample);
    const store = new MemoryObjectStore();
    const published: [string, string][] = [];
    const handler = createCostReportHandler({
      costs,
      runs: {
        usage: async (period) => {
          asked.push(`runs ${period.from}..${period.to}`);
          return [...sample.runs];
        },
      },
      lambdas: {
        usage: async (period) => {
          asked.push(`lambda usage ${period.from}..${period.to}`);
          return [...sample.lambdaUsage!];
        },
      },
      hub: {
        recommendations: async () => {
          asked.push('optimization hub');
          return sample.optimizationHub!;
        },
      },
      prices: defaultCostPrices,
      advice: defaultCostAdvice,
      store,
      publisher: { publish: async (subject, message) => void published.push([subject, message]) },
      env: 'prod',
      tags: ['pipeline', 'layer', 'component'],
      clock: new ManualClock(new Date('2026-11-23T07:00:00.000Z')),
      logger: silentLogger,
    });
    return { handler, store, published, asked };
  };

  it("reports on the days before today when the schedule calls it, asking for the window's costs", async () => {
    const { handler, asked } = setup();
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    expect(result.asOf).toBe('2026-11-23');
    expect(asked.sort()).toEqual([
      'anomalies 2026-10-19..2026-11-22',
      'cost DIMENSION SERVICE 2026-10-19..2026-11-23',
      'cost TAG component 2026-10-19..2026-11-23',
      'cost TAG layer 2026-10-19..2026-11-23',
      'cost TAG pipeline 2026-10-19..2026-11-23',
      'forecast 2026-11-23..2026-12-01',
      'lambda usage 2026-11-16..2026-11-23',
      'optimization hub',
      'runs 2026-11-01..2026-11-23',
    ]);
  });

  it('writes HTML and JSON with the recording beside them, which renders the same report again, and the CSV in a folder of its own for Athena', async () => {
    const { handler, store } = setup();
    const { keys } = await handler({ asOf: '2026-11-23' });
    const folder = 'reports/cost/2026-11-23';
    expect(keys.slice(0, 3)).toEqual([
      `${folder}/cost-report.html`,
      `${folder}/csv/cost-report.csv`,
      `${folder}/cost-report.json`,
    ]);
    const recorded = new Map<string, unknown>(
      keys
        .filter((k) => k.startsWith(`${folder}/recording/`))
        .map((k) => [path.basename(k), JSON.parse(store.objects.get(k)!) as unknown]),
    );
    const again = recordingFromFiles(recorded);
    expect(store.objects.get(`${folder}/cost-report.html`)).toBe(
      renderCostHtml(buildCostReport(again, costAdvice(again))),
    );
    expect(recorded.get('report.json')).toMatchObject({ prices: defaultCostPrices });
    // Nothing but the CSV under csv/: the Glue table reads every object there.
    expect(keys.filter((k) => k.startsWith(`${folder}/csv/`))).toEqual([
      `${folder}/csv/cost-report.csv`,
    ]);
  });

  it('puts the recommendations in the report and counts them in the summary', async () => {
    const { handler, store, published } = setup();
    const { recommendations } = await handler({ asOf: '2026-11-23' });
    expect(recommendations).toBe(9);
    const json = JSON.parse(store.objects.get('reports/cost/2026-11-23/cost-report.json')!) as {
      recommendations: { title: string; monthlySaving: number }[];
    };
    expect(json.recommendations[0]).toMatchObject({
      title: 'Scan less in silver.clickstream',
      monthlySaving: 24.34,
    });
    expect(store.objects.get('reports/cost/2026-11-23/csv/cost-report.csv')).toContain(
      '2026-11-23,recommendation:monthly_saving,Right-size medallion-prod-TransformFunction3F2A1B7C: 1024 MB → 384 MB,1.83,USD',
    );
    expect(published[0]![1]).toContain('Recommendations: 9, together 34.01 USD a month');
  });

  it('adds the storage, lifecycle and idle findings the cost optimizer recorded for the same day', async () => {
    const { handler, store, published } = setup();
    const folder = 'reports/cost/2026-11-23/recording';
    for (const [name, content] of Object.entries(optimizerFiles(sample.optimizer!)))
      store.objects.set(`${folder}/${name}`, JSON.stringify(content));
    // Another day's answers are not this report's.
    store.objects.set('reports/cost/2026-11-16/recording/optimizer.json', '{}');
    const { recommendations, keys } = await handler({ asOf: '2026-11-23' });
    // The 9 above, 4 lifecycle, 1 failing function, 2 idle functions, 2 idle state machines.
    expect(recommendations).toBe(18);
    expect(keys).toContain(`${folder}/metric-data.2.json`);
    const csv = store.objects.get('reports/cost/2026-11-23/csv/cost-report.csv')!;
    expect(csv).toContain('2026-11-23,storage_estimate:bronze,Standard-IA,5.00,USD');
    expect(csv).toContain(
      "2026-11-23,recommendation:monthly_saving,Move the audit bucket's objects to Standard-IA after 30 days,1.65,USD",
    );
    expect(store.objects.get('reports/cost/2026-11-23/cost-report.html')).toContain(
      '<h2>Storage by bucket and class</h2>',
    );
    expect(published[0]![1]).toContain('Recommendations: 18, together 36.41 USD a month');
  });

  it('publishes the summary with where the report is', async () => {
    const { handler, published } = setup();
    await handler({ asOf: '2026-11-23' });
    expect(published).toHaveLength(1);
    const [subject, message] = published[0]!;
    expect(subject).toBe('Cost report prod 2026-11-23');
    expect(message).toMatch(/^Cost report prod as of 2026-11-23\nMonth to date: /);
    expect(message).toContain('Report: reports/cost/2026-11-23/cost-report.html');
  });

  it('refuses an on-demand day that is not a date', async () => {
    const { handler } = setup();
    await expect(handler({ asOf: '23/11/2026' })).rejects.toThrow(/asOf/);
  });
});
