/**
 * What the local runs would cost on AWS: `medallion cost estimate`. Each recorded run's dataset
 * steps are priced as the Lambda functions that would run them (their durations × the memory of
 * their task in the catalogue), the run's state transitions as Step Functions standard workflow
 * transitions, and the bytes its queries scanned, where recorded, at Athena's per-terabyte price;
 * a job's mean cost per run times its schedule's runs per month is its monthly projection. The
 * figures are lower bounds: what a run does outside its dataset steps (the run lock, catalog sync)
 * has no recorded duration, and DuckDB measures no bytes scanned.
 */
import type { CostPrices } from '../../../config/schema';
import { taskNames, tasks, type TaskName } from '../tasks';

/** One dataset step of a run, as `audit.run_datasets` records it. */
export interface EstimateStep {
  /** The step, as its task named it (`bronze_to_silver`...). */
  readonly step: string;
  /** The function of the task catalogue that ran it; absent where the run history does not say. */
  readonly task?: string;
  readonly dataset: string;
  readonly layer: string;
  readonly seconds: number;
  /** SQL statements it sent; absent where not counted. */
  readonly statements?: number;
  /** Bytes its Athena queries scanned; absent where not measured (DuckDB). */
  readonly bytesScanned?: number;
}

/** One run, as `audit.runs` records it, with its dataset steps. */
export interface EstimateRun {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly status: string;
  readonly seconds: number;
  /** State transitions; absent where not counted. */
  readonly transitions?: number;
  readonly steps: readonly EstimateStep[];
}

export interface StepCost extends EstimateStep {
  /** Its function's memory; absent where the task is unknown, and then the step is not priced. */
  readonly memoryMb?: number;
  /** seconds × memory in GB: what Lambda bills for duration. */
  readonly gbSeconds: number;
  readonly lambdaUsd: number;
  /** Absent where no bytes scanned are recorded. */
  readonly athenaUsd?: number;
}

export interface RunCost {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly status: string;
  readonly seconds: number;
  readonly steps: readonly StepCost[];
  readonly statements: number;
  readonly gbSeconds: number;
  readonly lambdaUsd: number;
  readonly transitions?: number;
  readonly stepFunctionsUsd: number;
  /** Absent where no step recorded bytes scanned. */
  readonly bytesScanned?: number;
  readonly athenaUsd: number;
  readonly totalUsd: number;
}

/** A scheduled job's cost a month: its succeeded runs' mean cost times its runs a month. */
export interface JobProjection {
  readonly job: string;
  readonly schedule: string;
  readonly runsPerMonth: number;
  /** Succeeded runs the mean is taken over. */
  readonly runs: number;
  readonly perRunUsd: number;
  readonly monthlyUsd: number;
}

export interface CostEstimate {
  readonly prices: CostPrices;
  readonly runs: readonly RunCost[];
  /** Scheduled jobs, with or without runs to price them from (then `runs` is 0 and cost 0). */
  readonly projections: readonly JobProjection[];
  readonly monthlyUsd: number;
}

/** Dollars to a hundredth of a cent: estimates of fractions of a cent stay visible. */
function usd(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function isTaskName(name: string | undefined): name is TaskName {
  return taskNames.includes(name as TaskName);
}

function stepCost(step: EstimateStep, prices: CostPrices): StepCost {
  const memoryMb = isTaskName(step.task) ? tasks[step.task].memoryMb : undefined;
  const gbSeconds = memoryMb === undefined ? 0 : (step.seconds * memoryMb) / 1024;
  return {
    ...step,
    ...(memoryMb === undefined ? {} : { memoryMb }),
    gbSeconds: Math.round(gbSeconds * 1000) / 1000,
    lambdaUsd: usd(gbSeconds * prices.lambdaArmGbSecondUsd),
    ...(step.bytesScanned === undefined
      ? {}
      : { athenaUsd: usd((step.bytesScanned / 1e12) * prices.athenaTerabyteUsd) }),
  };
}

/** A run's cost, and its total unrounded for the projections. */
function runCost(run: EstimateRun, prices: CostPrices): { cost: RunCost; exactUsd: number } {
  const steps = run.steps.map((step) => stepCost(step, prices));
  const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
  const scanned = steps.flatMap((s) => (s.bytesScanned === undefined ? [] : [s.bytesScanned]));
  const gbSeconds = sum(steps.map((s) => (s.seconds * (s.memoryMb ?? 0)) / 1024));
  const lambdaUsd = gbSeconds * prices.lambdaArmGbSecondUsd;
  const stepFunctionsUsd =
    ((run.transitions ?? 0) / 1000) * prices.stepFunctionsThousandTransitionsUsd;
  const athenaUsd = (sum(scanned) / 1e12) * prices.athenaTerabyteUsd;
  const cost = {
    runId: run.runId,
    job: run.job,
    runDate: run.runDate,
    status: run.status,
    seconds: run.seconds,
    steps,
    statements: sum(steps.map((s) => s.statements ?? 0)),
    gbSeconds: Math.round(gbSeconds * 1000) / 1000,
    lambdaUsd: usd(lambdaUsd),
    ...(run.transitions === undefined ? {} : { transitions: run.transitions }),
    stepFunctionsUsd: usd(stepFunctionsUsd),
    ...(scanned.length === 0 ? {} : { bytesScanned: sum(scanned) }),
    athenaUsd: usd(athenaUsd),
    totalUsd: usd(lambdaUsd + stepFunctionsUsd + athenaUsd),
  };
  return { cost, exactUsd: lambdaUsd + stepFunctionsUsd + athenaUsd };
}

export function estimateCosts(input: {
  readonly runs: readonly EstimateRun[];
  /** Per scheduled job, its schedule and how many times a month it runs. */
  readonly schedules: Readonly<Record<string, { schedule: string; runsPerMonth: number }>>;
  readonly prices: CostPrices;
}): CostEstimate {
  const runs = input.runs.map((run) => runCost(run, input.prices));
  let monthly = 0;
  const projections = Object.entries(input.schedules).map(([job, { schedule, runsPerMonth }]) => {
    const succeeded = runs.filter((r) => r.cost.job === job && r.cost.status === 'succeeded');
    const perRun =
      succeeded.length === 0
        ? 0
        : succeeded.reduce((total, r) => total + r.exactUsd, 0) / succeeded.length;
    monthly += perRun * runsPerMonth;
    return {
      job,
      schedule,
      runsPerMonth: Math.round(runsPerMonth * 100) / 100,
      runs: succeeded.length,
      perRunUsd: usd(perRun),
      monthlyUsd: usd(perRun * runsPerMonth),
    };
  });
  return {
    prices: input.prices,
    runs: runs.map((r) => r.cost),
    projections,
    monthlyUsd: usd(monthly),
  };
}
