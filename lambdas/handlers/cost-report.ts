/**
 * The weekly cost report, on EventBridge's schedule or on demand (`{"asOf": "2026-03-16"}` as the
 * invocation's payload): fetches Cost Explorer's answers and the run history, writes the report as
 * HTML, JSON and CSV (`csv/`, which finance queries with Athena), recommendations included
 * (`core/cost/advice.ts`; storage and idle resources from what the cost optimizer recorded for the
 * same day), with the recording it was computed from under `reports/cost/<asOf>/` (which
 * `medallion cost report --from` renders again) and publishes its summary to the cost topic.
 */
import * as z from 'zod';
import type { CostAdvice, CostPrices } from '../../config/schema';
import { costAdvice } from '../core/cost/advice';
import {
  recordCosts,
  type CostExplorerSource,
  type LambdaUsageSource,
  type OptimizationHubSource,
  type RunUsageSource,
} from '../core/cost/collect';
import { isOptimizerFile, optimizerFromFiles } from '../core/cost/optimizer';
import { recordingFiles } from '../core/cost/recording';
import {
  renderCostCsv,
  renderCostHtml,
  renderCostJson,
  renderCostSummary,
} from '../core/cost/render';
import { buildCostReport } from '../core/cost/report';
import type { Clock, Logger, ObjectStore, Publisher } from '../core/ports';

export interface CostReportDeps {
  readonly costs: CostExplorerSource;
  readonly runs: RunUsageSource;
  /** The platform functions' REPORT lines, for right-sizing. */
  readonly lambdas: LambdaUsageSource;
  readonly hub: OptimizationHubSource;
  /** What savings are estimated with: `cost.prices` and `cost.advice`. */
  readonly prices: CostPrices;
  readonly advice: CostAdvice;
  /** The reports bucket as `reports/...` keys. */
  readonly store: ObjectStore;
  /** Where the summary goes: the cost topic. */
  readonly publisher: Publisher;
  readonly env: string;
  /** The cost allocation tags to group by. */
  readonly tags: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A scheduled event carries nothing of use; an on-demand call may name the report's day. */
const eventSchema = z.looseObject({ asOf: z.iso.date().optional() });

export interface CostReportResult {
  readonly asOf: string;
  readonly keys: readonly string[];
  readonly monthToDate: number;
  readonly monthForecast: number;
  readonly anomalies: number;
  readonly recommendations: number;
}

/**
 * What the cost optimizer recorded for the same day in the report's recording folder, read through
 * the report's own object store (its bundle has no room for the optimizer's clients).
 */
async function optimizerRecording(store: ObjectStore, folder: string) {
  const files = new Map<string, unknown>();
  for (const key of await store.list(folder)) {
    const name = key.slice(folder.length);
    if (!isOptimizerFile(name)) continue;
    files.set(name, JSON.parse((await store.getText(key)) ?? 'null') as unknown);
  }
  return optimizerFromFiles(files);
}

export function createCostReportHandler(deps: CostReportDeps) {
  return async (event: unknown): Promise<CostReportResult> => {
    const { asOf = deps.clock.now().toISOString().slice(0, 10) } = eventSchema.parse(event ?? {});
    let recording = await recordCosts(
      { costs: deps.costs, runs: deps.runs, lambdas: deps.lambdas, hub: deps.hub },
      { asOf, env: deps.env, tags: deps.tags, prices: deps.prices, advice: deps.advice },
    );
    const folder = `reports/cost/${asOf}`;
    const optimizer = await optimizerRecording(deps.store, `${folder}/recording/`);
    if (optimizer) recording = { ...recording, optimizer };
    const report = buildCostReport(recording, costAdvice(recording));
    const files: [string, string][] = [
      [`${folder}/cost-report.html`, renderCostHtml(report)],
      // In a folder of its own: the Glue table `audit.cost_reports` reads every file of it.
      [`${folder}/csv/cost-report.csv`, renderCostCsv(report)],
      [`${folder}/cost-report.json`, renderCostJson(report)],
      ...Object.entries(recordingFiles(recording)).map(([name, content]): [string, string] => [
        `${folder}/recording/${name}`,
        `${JSON.stringify(content, null, 1)}\n`,
      ]),
    ];
    for (const [key, text] of files) await deps.store.putText(key, text);
    const summary = renderCostSummary(report);
    await deps.publisher.publish(
      `Cost report ${deps.env} ${asOf}`,
      `${summary}\nReport: ${folder}/cost-report.html in the reports bucket (JSON beside it, CSV in csv/).\n`,
    );
    const result = {
      asOf,
      keys: files.map(([key]) => key),
      monthToDate: report.monthToDate.unblended,
      monthForecast: report.monthForecast,
      anomalies: report.anomalies.length,
      recommendations: report.recommendations.length,
    };
    deps.logger.info('Cost report written', { ...result, keys: result.keys.length });
    return result;
  };
}
