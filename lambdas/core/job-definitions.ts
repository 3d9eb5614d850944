/**
 * The ASL of the jobs that depend on the configured sources, built from templates so that adding
 * a source is a config entry and a contract, never an ASL edit:
 *
 * - `<source>_to_bronze`: `stepfunctions/templates/source_to_bronze.asl.json`, its `{{...}}`
 *   tokens filled from the source (name, kind's ingest function, Comments);
 * - `daily`: `stepfunctions/templates/daily.asl.json`, whose `IngestSources` Parallel gets one
 *   branch per ingest job (each source's, then landing's): that job's ingest Task, as is, ending
 *   its branch.
 *
 * Built in memory, by the local runner and by the CDK app alike, from the config of the env at
 * hand: envs may differ in sources, and one set of checked-in files could not fit them all.
 */
import type { SourceConfig } from '../../config/schema';
import { PipelineError } from './errors';
import { sourceJob } from './orchestration';
import { placeholderOf, type TaskName } from './tasks';

/** The task that ingests each kind of source. */
const ingestTask: Record<SourceConfig['kind'], TaskName> = {
  warehouse: 'IngestWarehouse',
  rest: 'IngestRest',
  kafka: 'KafkaDrain',
};

/** `order_events` → `OrderEvents`: state names from source names. */
function pascal(name: string): string {
  return name
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: readonly string[]): string {
  return items.length < 2
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/** The Comments a source's job and ingest Task carry, from config or said from its settings. */
export function sourceComments(
  name: string,
  source: SourceConfig,
): { readonly job: string; readonly ingest: string } {
  const datasets = listed(Object.keys(source.datasets));
  const said = (() => {
    switch (source.kind) {
      case 'warehouse': {
        const engine = pascal(source.engine);
        const watermarks = [...new Set(Object.values(source.datasets).map((d) => d.watermark))];
        return {
          job: `${engine} → bronze.`,
          ingest: `${engine} ${datasets}, incrementally by ${listed(watermarks)}.`,
        };
      }
      case 'rest':
        return {
          job: `${name} REST API → bronze.`,
          ingest: `${name} ${datasets} over the REST API.`,
        };
      case 'kafka': {
        const topics = listed(Object.values(source.datasets).map((d) => d.topic));
        return {
          job: `Kafka ${topics} → bronze.`,
          ingest: `${topics} from committed offsets, in MSK-shaped batches.`,
        };
      }
    }
  })();
  return { job: source.comments.job ?? said.job, ingest: source.comments.ingest ?? said.ingest };
}

/** Fills `{{token}}`s inside JSON strings; a token without a value is an error. */
function fill(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Za-z]+)\}\}/g, (_, token: string) => {
    const value = values[token];
    if (value === undefined)
      throw new PipelineError(`source_to_bronze template: no value for {{${token}}}`);
    return JSON.stringify(value).slice(1, -1);
  });
}

/** The state machine of source `name` on its own: run lock, its ingest Task, catalog sync. */
export function sourceJobDefinition(template: string, name: string, source: SourceConfig): string {
  const comments = sourceComments(name, source);
  return fill(template, {
    jobComment: comments.job,
    ingestComment: comments.ingest,
    state: `${pascal(name)}ToBronze`,
    resource: `\${${placeholderOf(ingestTask[source.kind])}}`,
    source: name,
    job: sourceJob(name),
  });
}

interface Definition {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
}

/**
 * The ingest Task of an ingest job: the state its run lock hands over to, as every ingest job of
 * `stepfunctions/` is laid out (AcquireRunLock → ingest Task → ...).
 */
function ingestState(job: string, definition: Definition): [string, Record<string, unknown>] {
  const name = definition.States[definition.StartAt]?.Next;
  const state = typeof name === 'string' ? definition.States[name] : undefined;
  if (state?.Type !== 'Task')
    throw new PipelineError(`${job}: the state after ${definition.StartAt} is not its ingest Task`);
  return [name as string, state];
}

/**
 * `daily` from its template and the ingest jobs' definitions (name → ASL text, in branch order):
 * each branch runs the job's ingest Task alone and ends; the Parallel's own Catch and ResultPath
 * take over the job's.
 */
export function dailyDefinition(
  template: string,
  ingestJobs: ReadonlyArray<readonly [job: string, definition: string]>,
): string {
  const daily = JSON.parse(template) as Definition;
  const parallel = daily.States.IngestSources;
  if (parallel?.Type !== 'Parallel')
    throw new PipelineError('daily template: no IngestSources Parallel state');
  parallel.Branches = ingestJobs.map(([job, text]) => {
    const [name, state] = ingestState(job, JSON.parse(text) as Definition);
    const { ResultPath: _result, Catch: _catch, Next: _next, ...task } = state;
    return { StartAt: name, States: { [name]: { ...task, End: true } } };
  });
  return `${JSON.stringify(daily, null, 2)}\n`;
}
