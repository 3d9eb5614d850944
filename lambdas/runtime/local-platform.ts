/**
 * The whole platform wired for one machine: the same handlers the Lambda functions run, given
 * local adapters (a folder for S3, DuckDB for Athena and for the warehouses, a local HTTP server
 * for the REST APIs, the generated topic log for MSK).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { v7 as uuidv7 } from 'uuid';
import { DuckDbLakehouse } from '../adapters/duckdb/engine';
import { openDuckDb } from '../adapters/duckdb/engine';
import { DuckDbParquetSink } from '../adapters/duckdb/parquet-sink';
import { DuckDbWarehouseClient } from '../adapters/duckdb/warehouse-client';
import { FetchHttpClient } from '../adapters/http/fetch-client';
import { systemClock } from '../adapters/system-clock';
import { FsObjectStore } from '../adapters/local/object-store';
import { MemoryRunLeaseStore } from '../adapters/local/run-lease-store';
import { IngestLedger } from '../core/ingest/bronze';
import { PipelineError } from '../core/errors';
import { createLineage, type LineageEmitter } from '../core/lineage/events';
import { buildLineageGraph } from '../core/lineage/graph';
import type { Clock, Logger, Notifier, SqlEngine } from '../core/ports';
import { ContractVersions } from '../core/contracts/versions';
import { RunRecorder } from '../core/run-recorder';
import { RunHistory } from '../core/runs';
import type { StateMachineTask } from '../core/tasks';
import { createIngestLandingHandler } from '../handlers/ingest-landing';
import { createIngestRestHandler } from '../handlers/ingest-rest';
import { createIngestWarehouseHandler } from '../handlers/ingest-warehouse';
import { createKafkaDrainHandler } from '../handlers/kafka-drain';
import { createDataQualityHandler } from '../handlers/data-quality';
import { createNotifyFailureHandler } from '../handlers/notify-failure';
import { createCatalogSyncHandler } from '../handlers/catalog-sync';
import { createRunLockHandler } from '../handlers/run-lock';
import { RunLock } from '../core/run-lock';
import { LocalCatalogWriter } from '../adapters/local/catalog-writer';
import { PrivacyKeyFile } from '../adapters/local/privacy-key-file';
import { DatasetStatuses } from '../core/catalog';
import { CountingSqlEngine } from '../core/counting-engine';
import { createTransformHandler } from '../handlers/transform';
import { createMaintenanceHandler } from '../handlers/maintenance';
import { mergeTargetsOf } from '../adapters/aws/athena-dialect';
import type { Project } from '../definitions/project-files';
import { KafkaProducerSimulator } from './simulators/kafka-producer';
import { startRestSimulator, type RestSimulator } from './simulators/rest-server';

/** The Glue catalog local lineage names as its tables' symlinks, as the local function ARNs do. */
export const localRegion = 'us-east-1';
export const localAccount = '000000000000';

/** A task's handler; `signal`, once aborted, says the run is stopping and why. */
export type TaskHandler = (event: unknown, signal?: AbortSignal) => Promise<unknown>;

export interface LocalPlatformOptions {
  readonly lakeRoot: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Source of jitter for retries. @default Math.random */
  readonly random?: () => number;
  /**
   * Wraps the engine the tasks send their SQL through (the bench records statements this way);
   * the run history and maintenance keep the lakehouse itself.
   */
  readonly decorateEngine?: (engine: SqlEngine) => SqlEngine;
}

export class LocalPlatform {
  /** The handler answering each task the state machines call: a task left out does not compile. */
  readonly handlers: Record<StateMachineTask, TaskHandler>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Records each run around its execution, as the record-run function does on AWS. */
  readonly recorder: RunRecorder;
  /**
   * The lease the state machines' RunLock tasks take and give back. The lake lock already keeps
   * other processes out; this keeps the same states meaningful within one.
   */
  readonly runLock: RunLock;
  /** Where every task, and the runner for each pipeline run, reports OpenLineage events. */
  readonly lineage: LineageEmitter;
  /** The lakehouse as the tasks see it: counting the statements a run sends, as Athena would run them. */
  readonly engine: CountingSqlEngine;
  private rest: Promise<RestSimulator> | undefined;

  private constructor(
    readonly project: Project,
    readonly lakeRoot: string,
    readonly lakehouse: DuckDbLakehouse,
    private readonly worker: DuckDBInstance,
    options: LocalPlatformOptions,
  ) {
    const { config, contracts, models } = project;
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.runLock = new RunLock(new MemoryRunLeaseStore(), clock);
    const store = new FsObjectStore(lakeRoot);
    const ledger = new IngestLedger(store);
    const sink = new DuckDbParquetSink(worker, store);
    const logger = options.logger;
    this.logger = logger;
    const absoluteLake = path.resolve(lakeRoot);
    const lineage = createLineage({
      config,
      contracts,
      store,
      storage: (role) => ({ namespace: 'file', root: `${absoluteLake}/${role}/` }),
      region: config.aws.region ?? localRegion,
      account: config.aws.account ?? localAccount,
      columnLineage: buildLineageGraph(project).columnLineage(),
      http: new FetchHttpClient(),
      clock,
      logger,
    });
    this.lineage = lineage;
    this.recorder = new RunRecorder({
      project: config.project,
      env: config.env,
      history: new RunHistory(lakehouse),
      contracts: contracts.all(),
      versions: new ContractVersions(lakehouse),
      lineage,
      logger,
      clock,
    });
    const engine = new CountingSqlEngine(options.decorateEngine?.(lakehouse) ?? lakehouse);
    this.engine = engine;
    const simDir = this.simDir;
    const notifier: Notifier = {
      notify: async (notice) => {
        logger.warn(`run ${notice.runId} (${notice.job}) failed: ${notice.error}: ${notice.cause}`);
        await mkdir(lakeRoot, { recursive: true });
        await appendFile(
          path.join(lakeRoot, 'notifications.jsonl'),
          `${JSON.stringify({ at: clock.now().toISOString(), ...notice })}\n`,
        );
      },
    };
    this.handlers = {
      RunLock: createRunLockHandler({
        lock: this.runLock,
        logger,
      }),
      IngestWarehouse: createIngestWarehouseHandler({
        config,
        contracts,
        warehouse: (source) =>
          new DuckDbWarehouseClient(worker, path.join(simDir, `${source}.duckdb`), store),
        ledger,
        clock,
        logger,
        lineage,
      }),
      IngestRest: createIngestRestHandler({
        config,
        contracts,
        http: new FetchHttpClient(),
        endpoint: (source) => this.endpoint(source),
        sink,
        ledger,
        clock,
        random: options.random ?? Math.random,
        logger,
        lineage,
      }),
      KafkaDrain: createKafkaDrainHandler({
        config,
        sink,
        ledger,
        clock,
        logger,
        batches: new KafkaProducerSimulator(simDir),
        lineage,
      }),
      IngestLanding: createIngestLandingHandler({
        contracts,
        store,
        converter: sink,
        ledger,
        clock,
        logger,
        lineage,
      }),
      Transform: oneAtATime(
        createTransformHandler({
          engine,
          contracts,
          project: models,
          clock,
          logger,
          lineage,
          concurrency: config.transform.concurrency,
          plausibleDates: config.transform.plausibleDates,
          fullChecksEvery: config.quality.fullChecksEvery,
          privacyKeys: PrivacyKeyFile.ofProject(project.root),
        }),
      ),
      DataQuality: createDataQualityHandler({
        engine,
        contracts,
        clock,
        logger,
        lineage,
      }),
      CatalogSync: createCatalogSyncHandler({
        contracts,
        statuses: new DatasetStatuses(engine),
        writer: new LocalCatalogWriter(store, this.lakehouse),
        clock,
        logger,
      }),
      NotifyFailure: createNotifyFailureHandler({ notifier }),
      Maintenance: createMaintenanceHandler({
        engine: this.lakehouse,
        inventory: this.lakehouse,
        config: config.maintenance,
        contracts: contracts.all(),
        bronze: store,
        clock,
        logger,
      }),
    };
  }

  static async open(project: Project, options: LocalPlatformOptions): Promise<LocalPlatform> {
    const { engine } = project.config;
    await mkdir(options.lakeRoot, { recursive: true });
    const lakehouse = await DuckDbLakehouse.open({
      lakeRoot: options.lakeRoot,
      threads: engine.threads,
      memoryLimit: engine.memoryLimit,
      bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
      mergeTargets: mergeTargetsOf(project.models),
    });
    const worker = await openDuckDb(
      { threads: engine.threads, memoryLimit: '1GB' },
      path.join(options.lakeRoot, '_tmp', 'worker'),
      true,
    );
    return new LocalPlatform(project, options.lakeRoot, lakehouse, worker, options);
  }

  /** Generated stand-ins for the external systems. */
  get simDir(): string {
    return path.join(this.lakeRoot, '_sim');
  }

  newRunId(): string {
    return uuidv7();
  }

  /** The configured base URL, or the local simulator started on first use. */
  private async endpoint(source: string): Promise<{ baseUrl: string; token: string | undefined }> {
    const configured = this.project.config.sources[source];
    if (configured?.kind === 'rest' && configured.baseUrl)
      return { baseUrl: configured.baseUrl, token: undefined };
    this.rest ??= startRestSimulator({
      simDir: this.simDir,
      config: this.project.config,
      contracts: this.project.contracts,
      seed: this.project.config.sample.seed,
    });
    const simulator = await this.rest;
    return { baseUrl: simulator.baseUrl, token: simulator.token };
  }

  /** Requests the local REST simulator has answered, and how many it throttled or failed on purpose. */
  async restSimulatorStats(): Promise<RestSimulator['stats'] | undefined> {
    return this.rest ? { ...(await this.rest).stats } : undefined;
  }

  async close(): Promise<void> {
    const simulator = await this.rest?.catch(() => undefined);
    await simulator?.close();
    this.lakehouse.close();
    this.worker.closeSync();
  }
}

/**
 * One call at a time: the models a Map builds at once would share the lakehouse's one DuckDB
 * connection, and a DuckDB transaction belongs to its connection. DuckDB parallelises inside each
 * statement instead. A call still queued when the run stops does not start.
 */
function oneAtATime(handler: TaskHandler): TaskHandler {
  let previous: Promise<unknown> = Promise.resolve();
  return (event, signal) => {
    const call = previous.then(() => {
      if (signal?.aborted) throw new PipelineError(`not started: ${String(signal.reason)}`);
      return handler(event);
    });
    previous = call.catch(() => undefined);
    return call;
  };
}
