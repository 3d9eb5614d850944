/**
 * What every Lambda function wraps its handler in: middy with Powertools' logger (request
 * context in every line), metrics (EMF: rows in, out, quarantined and duplicates per dataset, a
 * quality gate's verdict and each dataset's score) and
 * tracer (an X-Ray segment per invocation).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Logger as PortLogger } from '../core/ports';
import { isQualityGateResult, type QualityGateResult } from '../core/dq/layer';
import { isTaskResult, type TaskResult } from '../core/stats';

const powertools = new Logger();
/** Core's Logger port on Powertools: structured JSON lines with the invocation's context. */
export const logger: PortLogger = {
  info: (message, fields) => (fields ? powertools.info(message, fields) : powertools.info(message)),
  warn: (message, fields) => (fields ? powertools.warn(message, fields) : powertools.warn(message)),
};
export const metrics = new Metrics();
export const tracer = new Tracer();

/**
 * Wraps the handler that `create` builds. It is built on the first invocation, not at import:
 * loading definitions and clients then counts once per container, and importing stays cheap.
 */
export function lambdaHandler<Result>(create: () => Promise<(event: unknown) => Promise<Result>>) {
  let handler: Promise<(event: unknown) => Promise<Result>> | undefined;
  return middy(async (event: unknown) => {
    handler ??= create();
    const result = await (await handler)(event);
    if (isTaskResult(result)) recordDatasetMetrics(result);
    if (isQualityGateResult(result)) recordQualityMetrics(result);
    return result;
  })
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(powertools))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/**
 * One EMF record per dataset holding its metrics, dimensioned by step and dataset, so
 * dashboards and alarms can key on them. (A `singleMetric()` would publish on every `addMetric`,
 * leaving all but the first metric without the dataset dimensions.)
 */
function recordDatasetMetrics(result: TaskResult): void {
  for (const stats of result.datasets) {
    const record = new Metrics();
    record.addDimensions({ step: result.step, dataset: stats.dataset });
    record.addMetric('RowsIn', MetricUnit.Count, stats.rowsIn);
    record.addMetric('RowsOut', MetricUnit.Count, stats.rowsOut);
    record.addMetric('RowsQuarantined', MetricUnit.Count, stats.quarantined);
    record.addMetric('DuplicatesDropped', MetricUnit.Count, stats.duplicates);
    record.addMetric('StepSeconds', MetricUnit.Seconds, stats.seconds);
    // A model's Athena queries: what its Task's time and cost grow with.
    if (stats.sql) record.addMetric('SqlStatements', MetricUnit.Count, stats.sql.statements);
    record.publishStoredMetrics();
  }
}

/**
 * A quality gate's EMF: `QualityGateFailed` (1 or 0) dimensioned by step, and each dataset's
 * `QualityScore` (0–100) dimensioned by step and dataset, which the gate and score alarms watch.
 */
function recordQualityMetrics(result: QualityGateResult): void {
  const gate = new Metrics();
  gate.addDimensions({ step: result.step });
  gate.addMetric('QualityGateFailed', MetricUnit.Count, result.gate === 'fail' ? 1 : 0);
  gate.publishStoredMetrics();
  for (const quality of result.scores) {
    const record = new Metrics();
    record.addDimensions({ step: result.step, dataset: quality.dataset });
    record.addMetric('QualityScore', MetricUnit.NoUnit, quality.score);
    record.addMetric('FailedErrorChecks', MetricUnit.Count, quality.failedErrors);
    record.publishStoredMetrics();
  }
}
