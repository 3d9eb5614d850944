/**
 * The jobs of a config and reading their ASL, shared by the local runner and the CDK stacks so
 * both see the same definition: placeholders are substituted the way `definitionSubstitutions`
 * does, and a placeholder left unresolved is an error, not a broken state machine. The
 * definitions themselves are built in `job-definitions.ts`.
 */
import { PipelineError } from './errors';

/**
 * The jobs every project has, whatever its sources: the landing zone's (its sources are its
 * contracts), the layers', the daily pipeline and maintenance. Their ASL is a file each,
 * `stepfunctions/<job>.asl.json`; `daily` is built from `stepfunctions/templates/daily.asl.json`.
 */
export const fixedJobs = [
  'landing_to_bronze',
  'bronze_to_silver',
  'silver_to_gold',
  'daily',
  'maintenance',
] as const;
export type FixedJob = (typeof fixedJobs)[number];

/** A configured source's own job (`crm` → `crm_to_bronze`), built from the source template. */
export type SourceJob = `${string}_to_bronze`;

/**
 * Jobs, each a state machine, locally and on AWS: one per source of `config.sources` and the
 * fixed ones. Which exist depends on the config, so the list comes from {@link jobsOf}.
 */
export type Job = FixedJob | SourceJob;

/** The job that ingests source `name` on its own. */
export function sourceJob(name: string): SourceJob {
  return `${name}_to_bronze`;
}

/** A config's jobs: its sources' in config order, then the fixed ones. */
export function jobsOf(sources: Readonly<Record<string, unknown>>): Job[] {
  return [...Object.keys(sources).map(sourceJob), ...fixedJobs];
}

/** Whether `job` names one of `jobs` (a CLI argument, a state machine's name). */
export function isJobOf(jobs: readonly Job[], job: string): job is Job {
  return (jobs as readonly string[]).includes(job);
}

/**
 * State machines on AWS that a person starts, not a schedule, and the local runner does not run:
 * `dsr_erase`, the privacy officer's (locally `medallion dsr erase` does the same work).
 */
export const onDemandJobs = ['dsr_erase'] as const;
export type OnDemandJob = (typeof onDemandJobs)[number];
export type StateMachineJob = Job | OnDemandJob;

/**
 * Something per state machine: sure for the fixed and on-demand jobs, which every config has;
 * possibly missing (an index signature, so `T | undefined` on access) for a source's, which the
 * config at hand may not have.
 */
export type ByStateMachine<T> = Readonly<Record<FixedJob | OnDemandJob, T>> &
  Readonly<Record<SourceJob, T>>;

/** Every state machine of a config, one per job and the on-demand ones. */
export function stateMachineJobsOf(sources: Readonly<Record<string, unknown>>): StateMachineJob[] {
  return [...jobsOf(sources), ...onDemandJobs];
}

/** Replaces every `${Name}` with its value; throws naming the placeholders that have none. */
export function substitutePlaceholders(
  definition: string,
  values: Readonly<Record<string, string>>,
): string {
  const missing = new Set<string>();
  const result = definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, name: string) => {
    const value = values[name];
    if (value === undefined) missing.add(name);
    return value ?? match;
  });
  if (missing.size > 0)
    throw new PipelineError(
      `Unresolved placeholder(s) in state machine: ${[...missing].join(', ')}`,
    );
  return result;
}

/** Names of the `${...}` placeholders a definition uses. */
export function placeholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
}

export interface TaskState {
  readonly name: string;
  readonly resource: string;
  readonly definition: Record<string, unknown>;
}

interface StatesContainer {
  States?: Record<
    string,
    {
      Type?: string;
      Resource?: string;
      Catch?: readonly { Next?: string }[];
      Branches?: StatesContainer[];
      Iterator?: StatesContainer;
      ItemProcessor?: StatesContainer;
    }
  >;
}

/** Every Task state, including those nested in Parallel branches and Map iterators. */
export function taskStates(definition: unknown): TaskState[] {
  const found: TaskState[] = [];
  const visit = (container: StatesContainer | undefined) => {
    for (const [name, state] of Object.entries(container?.States ?? {})) {
      if (state.Type === 'Task' && state.Resource)
        found.push({ name, resource: state.Resource, definition: state });
      state.Branches?.forEach(visit);
      visit(state.Iterator ?? state.ItemProcessor);
    }
  };
  visit(definition as StatesContainer);
  return found;
}

/**
 * The states a Catch hands a failure to, at any depth: the failure path, which in these
 * definitions always ends the run (notify, give the lock back, fail).
 */
export function catchTargets(definition: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (container: StatesContainer | undefined) => {
    for (const state of Object.values(container?.States ?? {})) {
      for (const handler of state.Catch ?? []) if (handler.Next) found.add(handler.Next);
      state.Branches?.forEach(visit);
      visit(state.Iterator ?? state.ItemProcessor);
    }
  };
  visit(definition as StatesContainer);
  return found;
}
