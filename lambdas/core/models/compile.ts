/**
 * A model's SELECT as a run sends it (`medallion compile`, `medallion show`): the template
 * rendered for one engine, `ref()`, `source()` and `changes()` resolved to the relations a build
 * reads. The lake's state is not read: the full-refresh form is exactly what a first build (or
 * `--full-refresh`) runs; the incremental form shows where the last run's watermarks go.
 */
import { inputPlan } from './materialize';
import { hasIncrementalForm, type Model, type ModelProject } from './project';
import { renderModel, type TemplateDialect } from './render';
import type { SqlDialect } from '../ports';

const dayMs = 86_400_000;

export type CompiledForm = 'full-refresh' | 'incremental';

export interface CompiledModel {
  readonly model: Model;
  readonly form: CompiledForm;
  /** Why the form differs from the one asked for, or where the SQL holds stand-in values. */
  readonly notes: readonly string[];
  readonly sql: string;
  /** Rendered without the privacy key a pseudonym needs: compile again with it to run the SQL. */
  readonly needsPrivacyKey: boolean;
}

export interface CompileOptions {
  /** The incremental form, for the models that have one (see {@link hasIncrementalForm}). */
  readonly incremental: boolean;
  /** `run_date()`. */
  readonly runDate: string;
  /** Upper bound of the bronze windows (a run's plan time): bronze ingested later is left out. */
  readonly snapshotAt: string;
  /** For `anonymize(..., { method: 'pseudonym' })`; without it the SQL holds an all-zero key. */
  readonly privacyKey?: Uint8Array;
}

export { hasIncrementalForm };

export function compileModel(
  model: Model,
  project: ModelProject,
  dialect: SqlDialect & TemplateDialect,
  options: CompileOptions,
): CompiledModel {
  const incremental = options.incremental && hasIncrementalForm(model);
  const notes: string[] = [];
  if (options.incremental && !incremental)
    notes.push(`a ${model.config.materialization} model is rebuilt whole: no incremental form`);
  // Stand-ins for the watermarks the model's last publish saved: a day before the snapshot, and
  // change feeds from their start.
  const since = new Date(Date.parse(options.snapshotAt) - dayMs).toISOString();
  const previous = new Map<string, string>(
    incremental
      ? [
          ...model.sources.map(([s, d]) => [`source:${s}.${d}`, since] as const),
          ...model.changes.map((m) => [`changes:${m}`, '0'] as const),
        ]
      : [],
  );
  if (incremental && model.sources.length > 0)
    notes.push(`bronze since the last run's watermark, shown as ${since}`);
  if (incremental && model.changes.length > 0)
    notes.push('change feeds past the sequence the last run consumed, shown as 0');
  const plan = inputPlan(model, project, dialect, {
    incremental,
    previous,
    latestSeq: new Map(),
    snapshotAt: options.snapshotAt,
    runDate: options.runDate,
  });
  const rendered = renderModel(model, dialect, {
    ...plan,
    ...(options.privacyKey ? { privacyKey: options.privacyKey } : {}),
  });
  if (rendered.needsPrivacyKey)
    notes.push('pseudonyms use an all-zero key here, not the privacy key');
  return {
    model,
    form: incremental ? 'incremental' : 'full-refresh',
    notes,
    sql: rendered.sql.trim(),
    needsPrivacyKey: rendered.needsPrivacyKey,
  };
}
