/**
 * Reading `stepfunctions/*.asl.json`, shared by the local runner and the CDK stacks so both see
 * the same definition: placeholders are substituted the way `definitionSubstitutions` does, and
 * a placeholder left unresolved is an error, not a broken state machine.
 */
import { PipelineError } from './errors';

/** Jobs, each a state machine `stepfunctions/<job>.asl.json`, locally and on AWS. */
export const jobs = [
  'snowflake_to_bronze',
  'redshift_to_bronze',
  'crm_to_bronze',
  'fx_to_bronze',
  'kafka_to_bronze',
  'landing_to_bronze',
  'bronze_to_silver',
  'silver_to_gold',
  'daily',
  'maintenance',
] as const;
export type Job = (typeof jobs)[number];

/**
 * State machines on AWS that a person starts, not a schedule, and the local runner does not run:
 * `dsr_erase`, the privacy officer's (locally `medallion dsr erase` does the same work).
 */
export const onDemandJobs = ['dsr_erase'] as const;
export type OnDemandJob = (typeof onDemandJobs)[number];

/** Every state machine of `stepfunctions/`, one per job. */
export const stateMachineJobs = [...jobs, ...onDemandJobs] as const;
export type StateMachineJob = Job | OnDemandJob;

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
