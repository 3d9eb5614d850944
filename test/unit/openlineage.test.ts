import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FetchHttpClient } from '../../lambdas/adapters/http/fetch-client';
import { loadContracts } from '../../lambdas/definitions/source-files';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { LineageEmitter } from '../../lambdas/core/lineage/events';
import { LineageLog } from '../../lambdas/core/lineage/log';
import { LineageNaming, externalDatasetRef } from '../../lambdas/core/lineage/naming';
import { checkRunEvents, runUuid, type RunEvent } from '../../lambdas/core/lineage/openlineage';
import { HttpLineageTransport } from '../../lambdas/core/lineage/transport';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { localConfig, memoryLineage } from '../helpers/lineage';
import { MemoryObjectStore } from '../helpers/memory-store';

const context = {
  runId: '01a2-run',
  pipeline: 'medallion-local-daily',
  startedAt: '2026-01-02T02:00:00.000Z',
  runDate: '2026-01-02',
};
const task = {
  job: 'ingest.fx.rates',
  type: 'INGEST' as const,
  inputs: [],
  outputs: [],
};

describe('OpenLineage events', () => {
  let contracts: ContractRegistry;
  beforeAll(async () => {
    contracts = await loadContracts(projectRoot);
  });

  it('a task that fails emits FAIL with the error and its stack, under the START’s run id, and rethrows', async () => {
    const { lineage, log } = memoryLineage(contracts);
    const failure = new Error('the API answered 503 five times');
    await expect(lineage.track(context, task, () => Promise.reject(failure))).rejects.toBe(failure);
    const [start, fail] = await log.list();
    expect(start).toMatchObject({ eventType: 'START', job: { name: 'ingest.fx.rates' } });
    expect(fail).toMatchObject({
      eventType: 'FAIL',
      run: {
        runId: start!.run.runId,
        facets: {
          errorMessage: {
            message: 'the API answered 503 five times',
            programmingLanguage: 'TypeScript',
            stackTrace: expect.stringContaining('Error: the API answered 503 five times'),
          },
          parent: { run: { runId: runUuid('01a2-run') }, job: { name: 'daily' } },
        },
      },
    });
    expect(checkRunEvents([start!, fail!])).toEqual([]);
  });

  it('runs without a pipeline (an MSK invocation) have no parent facet', async () => {
    const { lineage, log } = memoryLineage(contracts);
    await lineage.track({ runId: 'x', runDate: '2026-01-02' }, task, async () => 1);
    for (const event of await log.list()) expect(event.run.facets?.parent).toBeUndefined();
  });

  it('run ids are UUIDs: a UUID is kept, any other execution name maps to the same UUIDv5 every time', () => {
    const v7 = '01a2175f-67b9-73a5-9664-35a50adc238f';
    expect(runUuid(v7)).toBe(v7);
    expect(runUuid('daily-2026-01-02')).toBe(runUuid('daily-2026-01-02'));
    expect(runUuid('daily-2026-01-02')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
  });

  it('the platform’s own rules: one START and one end per run, never ending before it starts', () => {
    const event = (runId: string, eventType: RunEvent['eventType'], eventTime: string) =>
      ({ eventType, eventTime, run: { runId }, job: { namespace: 'n', name: 'j' } }) as RunEvent;
    expect(
      checkRunEvents([
        event('a', 'START', '2026-01-02T00:00:01Z'),
        event('a', 'COMPLETE', '2026-01-02T00:00:00Z'),
        event('b', 'COMPLETE', '2026-01-02T00:00:00Z'),
        event('c', 'START', '2026-01-02T00:00:00Z'),
      ]),
    ).toEqual([
      'run a (j) ends before it starts',
      'run b (j) has 0 START events',
      'run c (j) has 0 terminal events',
    ]);
  });

  it('the log filters by pipeline run, task run and time', async () => {
    let t = Date.parse('2026-01-02T03:00:00Z');
    const { lineage, log, store } = memoryLineage(contracts, {
      clock: { now: () => new Date((t += 1000)) },
    });
    await lineage.track(context, task, async () => 1);
    await lineage.track({ ...context, runId: 'other-run' }, task, async () => 1);
    const all = await log.list();
    expect(all).toHaveLength(4);
    expect(await log.list({ runIds: [runUuid('01a2-run')] })).toEqual(all.slice(0, 2));
    expect(await log.list({ runIds: [all[3]!.run.runId] })).toEqual(all.slice(2));
    expect(await log.list({ since: new Date(all[2]!.eventTime) })).toEqual(all.slice(2));
    // With the day the run started, only its folder is read.
    const listed: string[] = [];
    const list = store.list.bind(store);
    store.list = (prefix) => {
      listed.push(prefix);
      return list(prefix);
    };
    expect(await log.list({ runIds: [runUuid('01a2-run')], runDay: '2026-01-02' })).toEqual(
      all.slice(0, 2),
    );
    expect(listed).toEqual([`audit/lineage/dt=2026-01-02/${runUuid('01a2-run')}/`]);
    expect(await log.list({ runIds: [runUuid('01a2-run')], runDay: '2026-01-03' })).toEqual([]);
  });

  it('names datasets by OpenLineage’s conventions, lake tables with their Glue table as a symlink', () => {
    const naming = new LineageNaming({
      config: { ...localConfig(), env: 'prod' },
      contracts,
      storage: (role) => ({ namespace: `s3://medallion-prod-${role}`, root: '' }),
      region: 'eu-west-1',
      account: '123456789012',
    });
    expect(naming.lake('snowflake.orders')).toEqual({
      namespace: 's3://medallion-prod-bronze',
      name: 'snowflake/orders',
      symlinks: expect.objectContaining({
        identifiers: [
          {
            namespace: 'arn:aws:glue:eu-west-1:123456789012',
            name: 'table/medallion_prod_bronze/snowflake_orders',
            type: 'TABLE',
          },
        ],
      }),
    });
    expect(naming.lake('seeds.countries')).toMatchObject({
      namespace: 's3://medallion-prod-silver',
      name: '_seeds/countries',
    });
    expect(naming.pipelineJob('medallion-prod-bronze-to-silver')).toBe('bronze_to_silver');
    const config = localConfig();
    expect(
      externalDatasetRef(
        config,
        {
          ...config.sources.snowflake!,
          connection: { account: 'ACME-PROD', database: 'SALES', schema: 'MART' },
        } as never,
        'orders',
      ),
    ).toEqual({ namespace: 'snowflake://acme-prod', name: 'SALES.MART.orders' });
    expect(
      externalDatasetRef(
        config,
        { ...config.sources.kafka!, bootstrapServers: 'b-1.msk:9098,b-2.msk:9098' } as never,
        'order_events',
      ),
    ).toEqual({ namespace: 'kafka://b-1.msk:9098', name: 'order_events' });
  });
});

describe('the OpenLineage HTTP transport', () => {
  let server: Server | undefined;
  afterEach(
    () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
  );

  /** A Marquez stand-in on a free port answering with `status`; resolves with what it received. */
  const marquez = async (status: number) => {
    const received: { path: string; type: string; body: RunEvent }[] = [];
    server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          type: request.headers['content-type'] ?? '',
          body: JSON.parse(body) as RunEvent,
        });
        response.writeHead(status).end(status === 201 ? '' : 'no capacity');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { received, endpoint: `http://127.0.0.1:${port}/api/v1/lineage` };
  };

  /** An emitter keeping events in memory and sending them to `endpoint`. */
  const emitter = async (
    endpoint: string,
    warn: (message: string, fields?: Record<string, unknown>) => void = () => {},
  ) => {
    const contracts = await loadContracts(projectRoot);
    const store = new MemoryObjectStore();
    const lineage = new LineageEmitter({
      log: new LineageLog(store),
      transport: new HttpLineageTransport(new FetchHttpClient(), endpoint, 2_000),
      naming: new LineageNaming({
        config: localConfig(),
        contracts,
        storage: (role) => ({ namespace: 'file', root: `/lake/${role}/` }),
        region: 'us-east-1',
        account: '000000000000',
      }),
      contracts,
      columnLineage: {},
      clock: { now: () => new Date() },
      logger: { info: () => {}, warn },
    });
    return { lineage, stored: () => new LineageLog(store).list() };
  };

  it('POSTs each event as JSON to the endpoint, after storing it', async () => {
    const { received, endpoint } = await marquez(201);
    const { lineage, stored } = await emitter(endpoint);
    await lineage.track(context, task, async () => 1);
    expect(received.map((r) => [r.path, r.type, r.body.eventType])).toEqual([
      ['/api/v1/lineage', 'application/json', 'START'],
      ['/api/v1/lineage', 'application/json', 'COMPLETE'],
    ]);
    expect(received.map((r) => r.body)).toEqual(await stored());
  });

  it('an endpoint that refuses events is logged, and neither the task nor the stored events suffer', async () => {
    const { received, endpoint } = await marquez(503);
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const { lineage, stored } = await emitter(endpoint, (message, fields) =>
      warnings.push({ message, fields }),
    );
    expect(await lineage.track(context, task, async () => 42)).toBe(42);
    expect(received).toHaveLength(2);
    expect(await stored()).toHaveLength(2);
    expect(warnings[0]).toMatchObject({
      message: 'could not send lineage event to the OpenLineage endpoint',
      fields: {
        job: 'ingest.fx.rates',
        error: expect.stringContaining('answered 503: no capacity'),
      },
    });
  });
});
