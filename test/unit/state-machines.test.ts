import { readdirSync } from 'node:fs';
import {
  ExecutionError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { selectModels } from '../../lambdas/core/models/selection';
import { duckdbDialect } from '../../lambdas/adapters/duckdb/dialect';
import { loadProject } from '../../lambdas/definitions/project-files';
import { gateScope, type LayerPlan } from '../../lambdas/core/models/layer';
import type { GateScope } from '../../lambdas/core/dq/scope';
import {
  catchTargets,
  fixedJobs,
  onDemandJobs,
  placeholders,
  substitutePlaceholders,
  taskStates,
} from '../../lambdas/core/orchestration';
import type { SqlEngine } from '../../lambdas/core/ports';
import { taskOfPlaceholder, tasks, taskTimeoutSeconds } from '../../lambdas/core/tasks';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { createTransformHandler } from '../../lambdas/handlers/transform';
import { ManualClock, silentLogger } from '../helpers/clock';
import { memoryLineage } from '../helpers/lineage';
import {
  definitionText,
  sampleJobs as jobs,
  sampleStateMachineJobs as stateMachineJobs,
} from '../helpers/state-machines';

const definition = (job: string) =>
  JSON.parse(definitionText(job)) as {
    StartAt: string;
    States: Record<string, Record<string, unknown>>;
  };
/** Jobs that publish datasets, and so end with the catalog sync. */
const publishing = jobs.filter((j) => j !== 'maintenance');
const placeholderOf = (resource: string) => resource.replace(/^\$\{(.+)\}$/, '$1');

/** Every job takes the lake's run lock: one run at a time, as locally. */
const locked: readonly string[] = stateMachineJobs;

/** The state a machine starts its work with: the one after it takes the run lock. */
const firstWork = (d: ReturnType<typeof definition>) =>
  d.States[d.StartAt === 'AcquireRunLock' ? String(d.States.AcquireRunLock!.Next) : d.StartAt]!;

describe('state machines', () => {
  it('stepfunctions/ holds a file per fixed job and the templates of the others, nothing else', () => {
    const files = readdirSync('stepfunctions', { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.asl.json')).sort()).toEqual(
      [
        ...[...fixedJobs, ...onDemandJobs].filter((j) => j !== 'daily').map((j) => `${j}.asl.json`),
        'templates/daily.asl.json',
        'templates/source_to_bronze.asl.json',
      ].sort(),
    );
  });

  it.each(stateMachineJobs)(
    '%s: every Task resource is a handler placeholder, with retries and a catch to NotifyFailure',
    (job) => {
      const text = definitionText(job);
      expect(placeholders(text).every((p) => taskOfPlaceholder(p) !== undefined)).toBe(true);
      const tasks = taskStates(JSON.parse(text));
      const failurePath = ['NotifyFailure', 'ReleaseRunLockAfterFailure'];
      for (const task of tasks.filter((t) => t.name !== 'NotifyFailure')) {
        expect(task.definition.Retry, task.name).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              ErrorEquals: expect.arrayContaining(['TransientError']),
              JitterStrategy: 'FULL',
            }),
          ]),
        );
      }
      const states = definition(job).States;
      expect(states.NotifyFailure).toMatchObject({
        Next: locked.includes(job) ? 'ReleaseRunLockAfterFailure' : 'Failed',
        Parameters: { job },
      });
      expect(states.Failed).toMatchObject({ Type: 'Fail' });
      // The local runner stops a run's other tasks once a Catch target starts: every one ends the run.
      for (const target of catchTargets(definition(job)))
        expect([...failurePath, 'Failed'], `${job}: Catch to ${target}`).toContain(target);
      // Every state that does work catches its failure; Choice, Pass and end states do none.
      for (const [name, state] of Object.entries(states).filter(
        ([n, state]) =>
          !failurePath.includes(n) && ['Task', 'Parallel'].includes(String(state.Type)),
      )) {
        expect(state.Catch, name).toEqual([
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'NotifyFailure' },
        ]);
      }
    },
  );

  it.each(stateMachineJobs)(
    '%s: a Task waits a minute longer than its function may run, so a retried attempt never overlaps a running one',
    (job) => {
      for (const task of taskStates(definition(job))) {
        const { TimeoutSeconds, Retry, Comment } = task.definition as {
          TimeoutSeconds: number;
          Retry: { ErrorEquals: string[] }[];
          Comment: string;
        };
        expect(TimeoutSeconds, task.name).toBe(
          taskTimeoutSeconds(taskOfPlaceholder(placeholderOf(task.resource))!),
        );
        // A retry after a timeout runs the work again: the state says why that is safe.
        const retriesTimeouts = Retry.some((r) =>
          r.ErrorEquals.some((e) => e === 'States.Timeout' || e === 'States.ALL'),
        );
        if (retriesTimeouts) expect(Comment, task.name).toContain('States.Timeout');
      }
    },
  );

  it('daily runs every ingest in parallel, then silver, then gold, with the very states of the per-source machines', () => {
    const daily = definition('daily');
    expect(daily.States[daily.StartAt]).toMatchObject({ Next: 'IngestSources' });
    expect(daily.States.IngestSources).toMatchObject({ Type: 'Parallel', Next: 'PlanSilver' });
    expect(daily.States.PlanSilver).toMatchObject({
      Next: 'BuildSilver',
      Parameters: { plan: true, layer: 'silver' },
    });
    expect(daily.States.BuildSilver).toMatchObject({ Type: 'Map', Next: 'SilverQuality' });
    expect(daily.States.SilverQuality).toMatchObject({
      Next: 'SilverQualityGate',
      Parameters: { layer: 'silver' },
    });
    expect(daily.States.SilverQualityGate).toMatchObject({
      Type: 'Choice',
      Choices: [
        { Variable: '$.silverQuality.gate', StringEquals: 'fail', Next: 'SilverQualityFailed' },
      ],
      Default: 'PlanGold',
    });
    expect(daily.States.SilverQualityFailed).toMatchObject({
      Type: 'Pass',
      Parameters: { Error: 'DataQualityError', 'Cause.$': '$.silverQuality.summary' },
      ResultPath: '$.error',
      Next: 'NotifyFailure',
    });
    expect(daily.States.PlanGold).toMatchObject({
      Next: 'BuildGold',
      Parameters: { plan: true, layer: 'gold' },
    });
    expect(daily.States.BuildGold).toMatchObject({ Type: 'Map', Next: 'GoldQuality' });
    expect(daily.States.GoldQualityGate).toMatchObject({ Type: 'Choice', Default: 'CatalogSync' });
    expect(daily.States.CatalogSync).toMatchObject({
      Resource: '${CatalogSyncFunctionArn}',
      Next: 'ReleaseRunLock',
    });
    expect(daily.States.Done).toMatchObject({ Type: 'Succeed' });
    const branches = (
      daily.States.IngestSources!.Branches as {
        StartAt: string;
        States: Record<string, Record<string, unknown>>;
      }[]
    ).map((b) => b.States[b.StartAt]!);
    const single = [
      'snowflake_to_bronze',
      'redshift_to_bronze',
      'crm_to_bronze',
      'fx_to_bronze',
      'kafka_to_bronze',
      'landing_to_bronze',
    ].map((job) => firstWork(definition(job)));
    const strip = ({
      End: _end,
      Next: _next,
      Catch: _catch,
      ResultPath: _result,
      ...rest
    }: Record<string, unknown>) => rest;
    expect(branches.map(strip)).toEqual(single.map(strip));
    const strippedLayer = (job: string, state: string) => strip(definition(job).States[state]!);
    for (const [job, states] of [
      ['bronze_to_silver', ['PlanSilver', 'BuildSilver']],
      ['silver_to_gold', ['PlanGold', 'BuildGold']],
    ] as const) {
      for (const state of states)
        expect(strip(daily.States[state]!), state).toEqual(strippedLayer(job, state));
    }
    for (const [job, states] of [
      ['bronze_to_silver', ['SilverQuality', 'SilverQualityGate', 'SilverQualityFailed']],
      ['silver_to_gold', ['GoldQuality', 'GoldQualityGate', 'GoldQualityFailed']],
    ] as const) {
      // The same gate, except where it leads when it passes: the job's end, or gold in daily.
      const { Default: _default, ...gate } = daily.States[states[1]]!;
      for (const state of states) {
        const { Default: _end, ...own } = definition(job).States[state]!;
        expect(own, `${job}.${state}`).toEqual(state === states[1] ? gate : daily.States[state]);
      }
    }
  });

  it.each(publishing)('%s ends with the catalog sync, after everything it publishes', (job) => {
    const { States: states } = definition(job);
    const sync = states.CatalogSync!;
    expect(sync).toMatchObject({
      Type: 'Task',
      Resource: '${CatalogSyncFunctionArn}',
      Parameters: { 'pipeline.$': '$$.StateMachine.Name', 'runId.$': '$$.Execution.Name' },
    });
    // Then the run lock is given back, where the machine takes it.
    const last = locked.includes(job) ? 'ReleaseRunLock' : 'CatalogSync';
    if (last !== 'CatalogSync') expect(sync.Next).toBe(last);
    const succeeds = (name: unknown) => states[String(name)]?.Type === 'Succeed';
    expect(states[last]!.End === true || succeeds(states[last]!.Next)).toBe(true);
    // Nothing else ends the run successfully: every other path ends in the sync or a failure.
    const otherEnds = Object.entries(states).filter(
      ([name, state]) =>
        name !== last && (state.End === true || succeeds(state.Next) || succeeds(state.Default)),
    );
    expect(otherEnds.map(([name]) => name)).toEqual([]);
  });

  it('maintenance plans, then maintains one table per Map iteration (each a Lambda invocation), then finishes', () => {
    const { StartAt, States: states } = definition('maintenance');
    expect(states[StartAt]).toMatchObject({ Next: 'PlanMaintenance' });
    expect(states.PlanMaintenance).toMatchObject({
      Parameters: { step: 'plan' },
      ResultPath: '$.plan',
      Next: 'MaintainTables',
    });
    expect(states.MaintainTables).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.tasks',
      ItemSelector: { step: 'apply', 'task.$': '$$.Map.Item.Value' },
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
      Next: 'FinishMaintenance',
    });
    expect(states.FinishMaintenance).toMatchObject({
      Parameters: { step: 'finish', 'applied.$': '$.applied' },
      Next: 'ReleaseRunLock',
    });
  });
  it('dsr_erase plans, erases one table per Map iteration (each a Lambda invocation), then verifies; the local runner has no such job', () => {
    const { StartAt, States: states } = definition('dsr_erase');
    expect(states[StartAt]).toMatchObject({ Next: 'PlanErase' });
    expect(states.PlanErase).toMatchObject({
      Resource: '${DsrEraseFunctionArn}',
      // The execution input is the request's id alone (or a replay): the subject stays out of its history.
      Parameters: { step: 'plan', 'execution.$': '$' },
      ResultPath: '$.plan',
      Next: 'EraseTables',
    });
    expect(states.EraseTables).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.plan.relations',
      ItemSelector: {
        step: 'erase',
        'requestId.$': '$.plan.requestId',
        'relation.$': '$$.Map.Item.Value',
      },
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' } },
      ResultPath: '$.erased',
      Next: 'VerifyErase',
    });
    expect(states.VerifyErase).toMatchObject({
      Parameters: { step: 'finish', 'requestId.$': '$.plan.requestId', 'erased.$': '$.erased' },
      Next: 'ReleaseRunLock',
    });
    expect(definitionText('dsr_erase')).not.toContain('JSONata');
    expect(onDemandJobs).toEqual(['dsr_erase']);
    expect(jobs).not.toContain('dsr_erase');
    expect(tasks.DsrErase).toMatchObject({ invokedBy: 'state machine', awsOnly: true });
  });

  it.each(locked)(
    '%s takes the run lock first, for longer than it may run, and gives it back on every ending',
    (job) => {
      const d = definition(job);
      const timeout = Number(
        (JSON.parse(definitionText(job)) as { TimeoutSeconds: number }).TimeoutSeconds,
      );
      const { AcquireRunLock: acquire, ReleaseRunLock: release } = d.States;
      const { NotifyFailure: notify, ReleaseRunLockAfterFailure: releaseAfterFailure } = d.States;
      expect(d.StartAt).toBe('AcquireRunLock');
      const lockTask = {
        Type: 'Task',
        Resource: '${RunLockFunctionArn}',
        // The function's 30 s plus a minute: a retry never overlaps a running invocation.
        TimeoutSeconds: tasks.RunLock.timeoutSeconds + 60,
        // The lock's answer is not part of the run's state: later states see the input as it came.
        ResultPath: null,
      };
      expect(acquire).toMatchObject({
        ...lockTask,
        Parameters: {
          action: 'acquire',
          'runId.$': '$$.Execution.Name',
          'pipeline.$': '$$.StateMachine.Name',
        },
      });
      // A lease outlasts the execution, so a live run never loses the lock to expiry.
      expect((acquire!.Parameters as { leaseSeconds: number }).leaseSeconds).toBeGreaterThan(
        timeout,
      );
      // A held lock is waited for, a bounded while (here at most the sum of the full waits), then the run fails.
      const [held] = acquire!.Retry as {
        ErrorEquals: string[];
        IntervalSeconds: number;
        MaxAttempts: number;
        BackoffRate: number;
        MaxDelaySeconds: number;
      }[];
      expect(held).toMatchObject({ ErrorEquals: ['RunLockHeldError'], JitterStrategy: 'FULL' });
      const waits = Array.from({ length: held!.MaxAttempts }, (_, i) =>
        Math.min(held!.IntervalSeconds * held!.BackoffRate ** i, held!.MaxDelaySeconds),
      );
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(timeout / 2);

      const releaseParameters = { action: 'release', 'runId.$': '$$.Execution.Name' };
      expect(release).toMatchObject({ ...lockTask, Parameters: releaseParameters });
      expect(release!.End === true || d.States[String(release!.Next)]?.Type === 'Succeed').toBe(
        true,
      );
      expect(notify).toMatchObject({
        Next: 'ReleaseRunLockAfterFailure',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'ReleaseRunLockAfterFailure' }],
      });
      // Even when it cannot give the lock back, the run fails with its own error; the lease expires.
      expect(releaseAfterFailure).toMatchObject({
        ...lockTask,
        Parameters: releaseParameters,
        Next: 'Failed',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.releaseError', Next: 'Failed' }],
      });
      const leadsTo = (target: string) =>
        Object.entries(d.States)
          .filter(([, state]) => state.Next === target || state.Default === target)
          .map(([name]) => name);
      const lastWork: Record<string, string> = {
        maintenance: 'FinishMaintenance',
        dsr_erase: 'VerifyErase',
      };
      expect(leadsTo('ReleaseRunLock')).toEqual([lastWork[job] ?? 'CatalogSync']);
      expect(leadsTo('Failed')).toEqual(['ReleaseRunLockAfterFailure']);
    },
  );

  it('substitution fails loudly on a placeholder without a value', () => {
    expect(substitutePlaceholders('{"a":"${X}"}', { X: 'arn' })).toBe('{"a":"arn"}');
    expect(() => substitutePlaceholders('{"a":"${X}","b":"${Y}"}', { X: 'arn' })).toThrow(
      'Unresolved placeholder(s) in state machine: Y',
    );
  });

  describe('a layer fans out: one Task per model, level after level', () => {
    /** An engine that answers nothing and records what it is sent: the plan only loads seeds. */
    const recordingEngine = (sent: string[]): SqlEngine => ({
      dialect: duckdbDialect,
      execute: async (sql) => (sent.push(sql), 0),
      query: async (sql) => (sent.push(sql), []),
      refreshSources: async () => {},
      transaction: (work) => work(),
      relationExists: async () => false,
      describe: async () => [],
    });

    /**
     * Runs a job's definition in the interpreter the local runner uses: the real Transform handler
     * plans, every other Task answers as its handler would, and each model build is recorded.
     */
    async function run(
      job: string,
      concurrency: number,
      input: {
        date: string;
        select?: string[];
        exclude?: string[];
        fullChecks?: boolean;
      } = { date: '2026-01-02' },
    ) {
      const project = await loadProject({ root: projectRoot });
      const sent: string[] = [];
      const transform = createTransformHandler({
        engine: recordingEngine(sent),
        contracts: project.contracts,
        project: project.models,
        clock: new ManualClock(),
        logger: silentLogger,
        lineage: memoryLineage(project.contracts).lineage,
        concurrency,
      });
      const plans: { input: Record<string, unknown>; plan: LayerPlan }[] = [];
      const builds: { model: string; input: Record<string, unknown> }[] = [];
      const timeline: string[] = [];
      const gates: Record<string, unknown>[] = [];
      let running = 0;
      let mostAtOnce = 0;
      const handlers: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
        TransformFunctionArn: async (input) => {
          if (input.plan) {
            const plan = (await transform(input)) as LayerPlan;
            plans.push({ input, plan });
            return plan;
          }
          const model = String(input.model);
          builds.push({ model, input });
          timeline.push(`start ${model}`);
          mostAtOnce = Math.max(mostAtOnce, ++running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          timeline.push(`end ${model}`);
          const layer = model.split('.')[0];
          return {
            step: layer === 'silver' ? 'bronze_to_silver' : 'silver_to_gold',
            datasets: [{ dataset: model, layer }],
          };
        },
        DataQualityFunctionArn: async (input) => (gates.push(input), { gate: 'pass', scores: [] }),
        CatalogSyncFunctionArn: async () => ({ step: 'catalog_sync', updated: 0, missing: [] }),
        NotifyFailureFunctionArn: async () => ({}),
      };
      const parsed = JSON.parse(definitionText(job)) as StateMachineDefinition;
      type Overrides = NonNullable<
        NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']
      >;
      const overrides: Overrides = Object.fromEntries(
        taskStates(parsed).map((task) => [
          task.name,
          handlers[placeholderOf(task.resource)] ??
            (async () => ({ step: 'ingest', datasets: [] })),
        ]),
      ) as Overrides;
      const text = substitutePlaceholders(
        definitionText(job),
        Object.fromEntries(
          placeholders(definitionText(job)).map((p) => [
            p,
            `arn:aws:lambda:us-east-1:000000000000:function:${p}`,
          ]),
        ),
      );
      const machine = new StateMachine(JSON.parse(text) as StateMachineDefinition, {
        validationOptions: { checkPaths: true, checkArn: true },
      });
      const output = (await machine.run(input, {
        overrides: { taskResourceLocalHandlers: overrides },
        context: {
          Execution: { Name: 'run-1' },
          StateMachine: { Name: `medallion-local-${job}` },
        },
      }).result) as Record<string, unknown>;
      return { project, sent, plans, builds, gates, timeline, mostAtOnce, output };
    }

    it.each([
      ['bronze_to_silver', ['silver']],
      ['silver_to_gold', ['gold']],
      ['daily', ['silver', 'gold']],
    ] as const)(
      '%s builds every model of its layers once, each level after the one it reads',
      async (job, layers) => {
        const { project, plans, builds, timeline } = await run(job, 3);
        expect(plans.map((p) => p.plan.layer)).toEqual(layers);
        for (const { plan } of plans) {
          expect(plan).toEqual({
            layer: plan.layer,
            levels: project.models.levels(plan.layer).map((level) => level.map((m) => m.name)),
            snapshotAt: '2026-01-02T03:00:00.000Z',
            concurrency: 3,
            runDate: '2026-01-02',
            selected: null,
            // A Friday: no periodic full check (weekly, on Sundays, by default).
            gateScope: gateScope(project.models, plan.layer, {
              runDate: '2026-01-02',
              fullChecks: false,
              every: 7,
              // This lake has no table yet: every merged model is built first.
              firstBuilds: project.models
                .layer(plan.layer)
                .filter((m) => m.config.materialization !== 'table')
                .map((m) => m.name),
            }),
          });
          const built = builds.filter((b) => b.model.startsWith(`${plan.layer}.`));
          expect(built.map((b) => b.model).sort()).toEqual(plan.levels.flat().sort());
          plan.levels.forEach((level, i) => {
            const firstStart = Math.min(...level.map((m) => timeline.indexOf(`start ${m}`)));
            for (const earlier of plan.levels.slice(0, i).flat())
              expect(timeline.indexOf(`end ${earlier}`), earlier).toBeLessThan(firstStart);
          });
        }
      },
    );

    it('a selection in the execution input builds and gates only the selected models, in every layer', async () => {
      const input = {
        date: '2026-01-02',
        select: ['+gold.fact_orders'],
        exclude: ['silver.fx_rates_published'],
      };
      const { project, plans, builds, gates } = await run('daily', 3, input);
      const selected = selectModels(project.models, input).map((m) => m.name);
      expect(selected).toContain('silver.orders');
      expect(selected).not.toContain('silver.fx_rates_published');
      expect(selected).not.toContain('gold.revenue_daily');
      expect(builds.map((b) => b.model).sort()).toEqual([...selected].sort());
      expect(plans.map((p) => [...p.plan.selected!].sort())).toEqual([
        selected.filter((m) => m.startsWith('silver.')).sort(),
        selected.filter((m) => m.startsWith('gold.')).sort(),
      ]);
      expect(gates.map((g) => [g.layer, g.selected])).toEqual(
        plans.map((p) => [p.plan.layer, p.plan.selected]),
      );
    });

    it('a selection naming no model of a layer plans it empty: its Map runs nothing, its gate checks nothing', async () => {
      const { plans, builds, gates, output } = await run('daily', 3, {
        date: '2026-01-02',
        select: ['silver.orders'],
      });
      expect(builds.map((b) => b.model)).toEqual(['silver.orders']);
      expect(plans.map((p) => [p.plan.layer, p.plan.levels, p.plan.selected])).toEqual([
        ['silver', [['silver.orders']], ['silver.orders']],
        ['gold', [], []],
      ]);
      expect(gates.map((g) => g.selected)).toEqual([['silver.orders'], []]);
      expect(output).not.toHaveProperty('error');
    });

    it("each gate gets its plan's scope; fullChecks in the execution input makes it a full check", async () => {
      const scoped = await run('daily', 3);
      expect(scoped.gates.map((g) => g.scope)).toEqual(scoped.plans.map((p) => p.plan.gateScope));
      expect(scoped.gates.map((g) => (g.scope as GateScope).full)).toEqual([null, null]);
      expect((scoped.gates[1]!.scope as GateScope).merged).toContainEqual({
        relation: 'gold.fact_orders',
        uniqueKey: ['order_id'],
        quarantine: null,
        firstBuild: true,
        changeFeed: 'changelog.gold_fact_orders',
      });
      const full = await run('daily', 3, { date: '2026-01-02', fullChecks: true });
      expect(full.gates.map((g) => (g.scope as GateScope).full)).toEqual([
        'requested',
        'requested',
      ]);
    });

    it('an unknown model in the selection fails the plan with the selector error', async () => {
      const failed = await run('bronze_to_silver', 3, {
        date: '2026-01-02',
        select: ['silver.ordrs'],
      }).catch((error: unknown) => error as ExecutionError);
      expect(failed).toBeInstanceOf(ExecutionError);
      expect(String((failed as ExecutionError).cause)).toContain(
        'No model matches "silver.ordrs" (did you mean silver.orders?)',
      );
    });

    it("each model's Task gets the run's context, the model and the layer's snapshot and date", async () => {
      const { plans, builds } = await run('bronze_to_silver', 3);
      const [{ input: planInput, plan }] = plans as [(typeof plans)[number]];
      expect(planInput).toMatchObject({
        runId: 'run-1',
        pipeline: 'medallion-local-bronze_to_silver',
        request: { date: '2026-01-02' },
      });
      for (const { model, input } of builds) {
        expect(input).toEqual({
          model,
          snapshotAt: plan.snapshotAt,
          runDate: plan.runDate,
          runId: 'run-1',
          startedAt: planInput.startedAt,
          pipeline: 'medallion-local-bronze_to_silver',
          request: { date: '2026-01-02' },
        });
      }
    });

    it('builds no more models at once than the configured concurrency', async () => {
      for (const concurrency of [1, 2, 4]) {
        const { mostAtOnce } = await run('silver_to_gold', concurrency);
        expect(mostAtOnce, `concurrency ${concurrency}`).toBe(concurrency);
      }
    });

    it("each plan reads the lake's last completed date, the silver plan reloads the seeds; the layer's output holds every model's result", async () => {
      const { sent, output, project } = await run('daily', 4);
      const lastCompleted = expect.stringMatching(
        /^select cast\(max\(run_date\) as varchar\) as run_date from "audit"."runs"/,
      );
      expect(sent).toEqual([
        lastCompleted,
        ...project.models.seeds.map((seed) =>
          expect.stringMatching(
            new RegExp(`^create or replace table "seeds"."${seed.name.split('.')[1]}" as`),
          ),
        ),
        lastCompleted,
      ]);
      // Catalog sync reads each model's result from the state the run carries.
      for (const layer of ['silver', 'gold']) {
        const results = (output[layer] as { datasets: { dataset: string }[] }[][]).flat();
        expect(results.flatMap((r) => r.datasets.map((d) => d.dataset)).sort()).toEqual(
          project.models
            .layer(layer as 'silver' | 'gold')
            .map((m) => m.name)
            .sort(),
        );
      }
    });
  });
});
