/**
 * Emits the OpenLineage RunEvents of the platform's work: each pipeline run, and each task in it
 * (a dataset's ingestion, a model's build and publish, a dataset's quality checks). A task run
 * gets its own UUIDv7 and emits START, then COMPLETE or FAIL (with the error); a run that never
 * ended (a killed Lambda, an aborted execution) is closed with ABORT when its pipeline ends.
 * Events go to the audit store first; when config names an OpenLineage endpoint they are also
 * sent there, and a failed send is logged without failing the task.
 */
import { v7 as uuidv7 } from 'uuid';
import type { ContractRegistry } from '../contracts/contract';
import type { Profile } from '../dq/profile';
import type { CheckResult } from '../dq/run';
import { describeError } from '../errors';
import type { PlatformConfig } from '../../../config/schema';
import type { Clock, HttpPostClient, Logger, ObjectStore } from '../ports';
import type { DatasetStats } from '../stats';
import { endOfDay } from '../time';
import type { ProjectColumnLineage } from './graph';
import { LineageLog } from './log';
import { LineageNaming, type StorageLocation } from './naming';
import {
  facet,
  producer,
  runEventSchemaUrl,
  runUuid,
  type EventType,
  type Facets,
  type InputDataset,
  type OutputDataset,
  type RunEvent,
} from './openlineage';
import { HttpLineageTransport } from './transport';

/** Sends events to an OpenLineage endpoint (Marquez's `/api/v1/lineage`...). */
export interface LineageTransport {
  send(event: RunEvent): Promise<void>;
}

export interface LineageDeps {
  readonly log: LineageLog;
  readonly transport?: LineageTransport;
  readonly naming: LineageNaming;
  readonly contracts: ContractRegistry;
  /** Each model's column lineage (derived from its SQL; bundled on AWS). */
  readonly columnLineage: ProjectColumnLineage;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
}

/** The pipeline run a task belongs to, as its task input tells it. */
export interface PipelineContext {
  /** The execution's name: the platform's run id. */
  readonly runId: string;
  /** The state machine's name; none when a handler is called on its own. */
  readonly pipeline?: string;
  /** When the execution started (ISO): the day its events are filed under. */
  readonly startedAt?: string;
  readonly runDate: string;
}

export type JobType = 'PIPELINE' | 'INGEST' | 'MODEL' | 'QUALITY';

export interface TaskSpec {
  /** `ingest.snowflake.orders`, `model.silver.customers`, `quality.gold.fact_orders`. */
  readonly job: string;
  readonly type: JobType;
  readonly owners?: readonly string[];
  /** A model's SQL, as written. */
  readonly sql?: string;
  readonly inputs: readonly InputDataset[];
  readonly outputs: readonly OutputDataset[];
}

export class LineageEmitter {
  constructor(private readonly deps: LineageDeps) {}

  /**
   * Runs `work` as one task run: START before it, COMPLETE after it with the datasets `finish`
   * describes from its result, or FAIL with the error (which is rethrown).
   */
  async track<T>(
    context: PipelineContext,
    task: TaskSpec,
    work: () => Promise<T>,
    finish?: (result: T) => Partial<Pick<TaskSpec, 'inputs' | 'outputs'>>,
  ): Promise<T> {
    const runId = uuidv7();
    await this.emit(context, task, runId, 'START');
    let result: T;
    try {
      result = await work();
    } catch (error) {
      // The task's own error is what the state machine must see, even if its FAIL event is lost.
      await this.emit(context, task, runId, 'FAIL', error).catch((lost: unknown) =>
        this.deps.logger.warn(`could not record the failure of ${task.job} in the lineage`, {
          error: describeError(lost),
        }),
      );
      throw error;
    }
    await this.emit(context, { ...task, ...finish?.(result) }, runId, 'COMPLETE');
    return result;
  }

  /**
   * One dataset's ingestion as a task run: the source system's dataset (or, for files dropped
   * into landing, its landing folder) in, its bronze table out with the rows written. A landing
   * file refused whole is a failed assertion on the landing folder, named by the file, with its
   * reason: `lineage run` shows it as a failed check of the task.
   */
  ingest(
    context: PipelineContext,
    target: { readonly source: string; readonly dataset: string; readonly from?: 'landing' },
    work: () => Promise<DatasetStats>,
  ): Promise<DatasetStats> {
    const { source, dataset } = target;
    const id = `${source}.${dataset}`;
    const contract = this.deps.contracts.all().find((c) => c.id === id);
    const input =
      target.from === 'landing'
        ? this.deps.naming.landing(source, dataset)
        : this.external(source, dataset);
    return this.track(
      context,
      {
        job: `${target.from ?? 'ingest'}.${id}`,
        type: 'INGEST',
        ...(contract ? { owners: [contract.owner] } : {}),
        inputs: [input],
        outputs: [this.output(id)],
      },
      work,
      (written) => ({
        inputs: [
          written.rejectedFiles?.length
            ? {
                ...input,
                inputFacets: {
                  dataQualityAssertions: facet('DataQualityAssertionsDatasetFacet', {
                    assertions: written.rejectedFiles.map((r) => ({
                      assertion: 'landing_file',
                      success: false,
                      severity: 'warning',
                      name: r.file,
                      description:
                        'The file is readable as its format and its values fit the contract.',
                      actual: r.reason,
                    })),
                  }),
                },
              }
            : input,
        ],
        outputs: [this.output(id, written)],
      }),
    );
  }

  /**
   * The pipeline run's own START or end (COMPLETE, FAIL, ABORT), at the time it happened: an
   * event announced twice (EventBridge delivers at least once) is stored once, under the same key.
   */
  async pipeline(
    context: PipelineContext & { readonly pipeline: string },
    eventType: EventType,
    at: string,
    error?: string,
  ): Promise<void> {
    if (eventType !== 'START') await this.abortOpenRuns(context, at);
    await this.emit(
      context,
      {
        job: this.deps.naming.pipelineJob(context.pipeline),
        type: 'PIPELINE',
        inputs: [],
        outputs: [],
      },
      runUuid(context.runId),
      eventType,
      error,
      at,
    );
  }

  /** A lake table with its schema (from its contract) and its Glue table as a symlink. */
  table(dataset: string): InputDataset & OutputDataset {
    const { naming, contracts } = this.deps;
    const { symlinks, ...ref } = naming.lake(dataset);
    const contract =
      contracts.all().find((c) => c.id === dataset) ?? contracts.forRelation(dataset);
    return {
      ...ref,
      facets: {
        ...(contract ? { schema: schemaFacet(contract.properties) } : {}),
        symlinks,
      },
    };
  }

  /** A source system's dataset, with the schema its bronze contract expects. */
  external(source: string, dataset: string): InputDataset {
    const contract = this.deps.contracts.all().find((c) => c.id === `${source}.${dataset}`);
    return {
      ...this.deps.naming.external(source, dataset),
      ...(contract ? { facets: { schema: schemaFacet(contract.properties) } } : {}),
    };
  }

  /** A table as a task wrote it: rows written, a model's column lineage, OVERWRITE for a full rebuild. */
  output(dataset: string, stats?: DatasetStats, overwrite = false): OutputDataset {
    const table = this.table(dataset);
    const lineage = this.deps.columnLineage[dataset];
    const field = (f: { dataset: string; column: string; transformations: readonly object[] }) => {
      const { namespace, name } = this.deps.naming.lake(f.dataset);
      return { namespace, name, field: f.column, transformations: f.transformations };
    };
    return {
      namespace: table.namespace,
      name: table.name,
      facets: {
        ...table.facets,
        ...(lineage
          ? {
              columnLineage: facet('ColumnLineageDatasetFacet', {
                fields: Object.fromEntries(
                  Object.entries(lineage.columns).map(([column, inputs]) => [
                    column,
                    { inputFields: inputs.map(field) },
                  ]),
                ),
                dataset: lineage.dataset.map(field),
              }),
            }
          : {}),
        ...(stats && overwrite
          ? {
              lifecycleStateChange: facet('LifecycleStateChangeDatasetFacet', {
                lifecycleStateChange: 'OVERWRITE',
              }),
            }
          : {}),
      },
      ...(stats ? { outputFacets: outputStatistics(stats) } : {}),
    };
  }

  /** A dataset as its quality checks found it: its profile's metrics and every check that ran. */
  qualityInput(dataset: string, profile: Profile, results: readonly CheckResult[]): InputDataset {
    const number = (value: string | null) =>
      value !== null && value.trim() !== '' && Number.isFinite(Number(value))
        ? Number(value)
        : undefined;
    const columnMetrics = Object.fromEntries(
      profile.columns.map((c) => {
        const min = c.mean === null ? undefined : number(c.min);
        const max = c.mean === null ? undefined : number(c.max);
        const quantiles: Record<string, number> = {};
        if (c.p25 !== null) quantiles['0.25'] = c.p25;
        if (c.median !== null) quantiles['0.5'] = c.median;
        if (c.p75 !== null) quantiles['0.75'] = c.p75;
        return [
          c.column,
          {
            // A gate computes only the metrics its checks read: one it did not is left out, not 0.
            ...(c.nulls === null ? {} : { nullCount: c.nulls, count: c.rows - c.nulls }),
            ...(c.distinctCount === null ? {} : { distinctCount: Math.round(c.distinctCount) }),
            ...(min === undefined ? {} : { min }),
            ...(max === undefined ? {} : { max }),
            ...(Object.keys(quantiles).length > 0 ? { quantiles } : {}),
          },
        ];
      }),
    );
    return {
      ...this.table(dataset),
      inputFacets: {
        dataQualityMetrics: facet('DataQualityMetricsInputDatasetFacet', {
          rowCount: profile.rows,
          columnMetrics,
        }),
        dataQualityAssertions: facet('DataQualityAssertionsDatasetFacet', {
          assertions: results
            .filter((r) => r.status !== 'skip')
            .map((r) => ({
              assertion: r.kind,
              success: r.status === 'pass',
              ...(r.column ? { column: r.column } : {}),
              severity: r.severity,
              name: r.check,
              description: r.description,
              expected: r.expected,
              ...(r.observed === null ? {} : { actual: String(r.observed) }),
            })),
        }),
      },
    };
  }

  /** Closes with ABORT the task runs of this pipeline run that started and never ended. */
  private async abortOpenRuns(context: PipelineContext, at: string): Promise<void> {
    const parent = runUuid(context.runId);
    const events = await this.deps.log.list({
      runIds: [parent],
      ...(context.startedAt ? { runDay: context.startedAt.slice(0, 10) } : {}),
    });
    const ended = new Set(events.filter((e) => e.eventType !== 'START').map((e) => e.run.runId));
    for (const start of events) {
      if (start.eventType !== 'START' || ended.has(start.run.runId) || start.run.runId === parent)
        continue;
      await this.store(context, {
        ...start,
        eventType: 'ABORT',
        eventTime: at,
        run: {
          runId: start.run.runId,
          facets: {
            ...start.run.facets,
            errorMessage: facet('ErrorMessageRunFacet', {
              message: 'the task never reported its end: its pipeline run ended first',
              programmingLanguage: 'TypeScript',
            }),
          },
        },
      });
    }
  }

  private async emit(
    context: PipelineContext,
    task: TaskSpec,
    runId: string,
    eventType: EventType,
    error?: unknown,
    at = this.deps.clock.now().toISOString(),
  ): Promise<void> {
    const parent = runUuid(context.runId);
    const runFacets: Record<string, Facets[string]> = {
      nominalTime: facet('NominalTimeRunFacet', {
        nominalStartTime: `${context.runDate}T00:00:00.000Z`,
        nominalEndTime: endOfDay(context.runDate),
      }),
    };
    if (context.pipeline && runId !== parent) {
      const pipelineJob = {
        namespace: this.deps.naming.jobNamespace,
        name: this.deps.naming.pipelineJob(context.pipeline),
      };
      runFacets.parent = facet('ParentRunFacet', {
        run: { runId: parent },
        job: pipelineJob,
        root: { run: { runId: parent }, job: pipelineJob },
      });
    }
    if (error !== undefined) {
      runFacets.errorMessage = facet('ErrorMessageRunFacet', {
        message: typeof error === 'string' ? error : describeError(error),
        programmingLanguage: 'TypeScript',
        ...(error instanceof Error && error.stack ? { stackTrace: error.stack } : {}),
      });
    }
    const jobFacets: Record<string, Facets[string]> = {
      jobType: facet('JobTypeJobFacet', {
        processingType: 'BATCH',
        integration: 'MEDALLION',
        jobType: task.type === 'PIPELINE' ? 'DAG' : task.type === 'MODEL' ? 'MODEL' : 'TASK',
      }),
    };
    if (task.owners && task.owners.length > 0) {
      jobFacets.ownership = facet('OwnershipJobFacet', {
        owners: task.owners.map((name) => ({ name: `team:${name}`, type: 'MAINTAINER' })),
      });
    }
    if (task.sql) jobFacets.sql = facet('SQLJobFacet', { query: task.sql });
    await this.store(context, {
      eventType,
      eventTime: at,
      producer,
      schemaURL: runEventSchemaUrl,
      run: { runId, facets: runFacets },
      job: { namespace: this.deps.naming.jobNamespace, name: task.job, facets: jobFacets },
      inputs: task.inputs,
      outputs: task.outputs,
    });
  }

  private async store(context: PipelineContext, event: RunEvent): Promise<void> {
    const day = (context.startedAt ?? event.eventTime).slice(0, 10);
    await this.deps.log.append(event, runUuid(context.runId), day);
    if (!this.deps.transport) return;
    try {
      await this.deps.transport.send(event);
    } catch (error) {
      this.deps.logger.warn(`could not send lineage event to the OpenLineage endpoint`, {
        job: event.job.name,
        eventType: event.eventType,
        error: describeError(error),
      });
    }
  }
}

function schemaFacet(
  properties: readonly { name: string; physicalType: string; description?: string }[],
) {
  return facet('SchemaDatasetFacet', {
    fields: properties.map((p, i) => ({
      name: p.name,
      type: p.physicalType,
      ordinal_position: i + 1,
      ...(p.description ? { description: p.description } : {}),
    })),
  });
}

function outputStatistics(stats: DatasetStats): Facets {
  return {
    outputStatistics: facet('OutputStatisticsOutputDatasetFacet', { rowCount: stats.rowsOut }),
  };
}

/** The emitter of a deployment: events kept in the audit store, and sent on when config names an endpoint. */
export function createLineage(options: {
  readonly config: PlatformConfig;
  readonly contracts: ContractRegistry;
  readonly store: ObjectStore;
  readonly storage: StorageLocation;
  readonly region: string;
  readonly account: string;
  readonly columnLineage: ProjectColumnLineage;
  readonly http: HttpPostClient;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
}): LineageEmitter {
  const { config } = options;
  const endpoint = config.lineage.endpoint;
  return new LineageEmitter({
    log: new LineageLog(options.store),
    ...(endpoint
      ? { transport: new HttpLineageTransport(options.http, endpoint, config.lineage.timeoutMs) }
      : {}),
    naming: new LineageNaming(options),
    contracts: options.contracts,
    columnLineage: options.columnLineage,
    clock: options.clock,
    logger: options.logger,
  });
}
