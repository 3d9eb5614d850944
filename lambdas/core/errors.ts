/**
 * Errors of the platform. Every error the platform raises on purpose is a {@link PipelineError};
 * its `name` is what a state machine's `Retry`/`Catch` matches (`ErrorEquals`), so names are
 * part of the contract with `stepfunctions/*.asl.json` and must not change casually.
 */
export class PipelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
  }
}

/** A config or contract file is invalid: names the file, the key path, what was expected and found. */
export class ConfigError extends PipelineError {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      `${file} is invalid:\n` +
        problems
          .map((p) => `  - ${p.path || '(root)'}: expected ${p.expected}, found ${p.found}`)
          .join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface ConfigProblem {
  /** Dotted key path, e.g. `sources.crm.pageSize`. */
  readonly path: string;
  readonly expected: string;
  readonly found: string;
}

/** The SQL model graph is broken: unknown ref, cycle, missing sibling `.yml`. */
export class ModelGraphError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelGraphError';
  }
}

/** A failure worth retrying (throttling, 5xx, a busy resource). State machines retry on this name. */
export class TransientError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Input the platform refuses outright (e.g. a landing file that cannot be read as its format). */
export class DataError extends PipelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
  }
}

/** Counts do not add up: rows were lost or invented. The run fails rather than publish them. */
export class ReconciliationError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'ReconciliationError';
  }
}

/** Another run holds the lake: the second run fails with who holds it, never corrupts. */
export class LakeBusyError extends PipelineError {
  constructor(message: string) {
    super(message);
    this.name = 'LakeBusyError';
  }
}

/**
 * Another run holds the lake's run lock (see `core/run-lock.ts`). State machines retry on this
 * name for a bounded time, then fail with this message, which names the holder.
 */
export class RunLockHeldError extends LakeBusyError {
  constructor(
    message: string,
    readonly holder: { readonly owner: string; readonly job: string },
  ) {
    super(message);
    this.name = 'RunLockHeldError';
  }
}

/** Renders any thrown value as a one-line message, keeping causes. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (caused by: ${describeError(error.cause)})` : '';
  return `${error.message}${cause}`;
}
