/**
 * A running pipeline as another process sees it: the local runner keeps this snapshot as its
 * states start and end (the lakehouse, a single-writer DuckDB file, cannot be read while a run
 * holds it), and `medallion status --watch` draws it. Pure: building, updating and rendering.
 */
import type { RunStatus } from './runs';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export interface StateProgress {
  readonly name: string;
  readonly status: StepStatus;
  /** Calls started, retries and Map iterations included. */
  readonly attempts: number;
  /** Calls under way: a Map state runs several at once. */
  readonly active: number;
  /** Seconds of its latest call to end. */
  readonly seconds?: number;
  readonly error?: string;
}

export interface DatasetProgress {
  /** The Task state whose call wrote it. */
  readonly state: string;
  readonly step: string;
  readonly dataset: string;
  readonly layer: string;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly quarantined: number;
}

export interface GateProgress {
  readonly state: string;
  readonly step: string;
  readonly outcome: 'pass' | 'fail';
  readonly scores: readonly { readonly dataset: string; readonly score: number }[];
}

export interface RunProgress {
  readonly runId: string;
  readonly job: string;
  readonly runDate: string;
  readonly startedAt: string;
  /** The process running it: once gone, a run still marked running was abandoned. */
  readonly pid: number;
  readonly status: RunStatus;
  readonly seconds?: number;
  readonly error?: string;
  readonly states: readonly StateProgress[];
  readonly datasets: readonly DatasetProgress[];
  readonly gates: readonly GateProgress[];
}

/** A run just started: every Task state of its state machine pending, in definition order. */
export function startProgress(
  run: Pick<RunProgress, 'runId' | 'job' | 'runDate' | 'startedAt' | 'pid'>,
  states: readonly string[],
): RunProgress {
  return {
    ...run,
    status: 'running',
    states: [...new Set(states)].map((name) => ({
      name,
      status: 'pending',
      attempts: 0,
      active: 0,
    })),
    datasets: [],
    gates: [],
  };
}

export type TaskProgressEvent =
  | { readonly state: string; readonly phase: 'start' }
  | {
      readonly state: string;
      readonly phase: 'end';
      readonly seconds: number;
      /** What the call's dataset steps wrote (extra fields of a step's stats are left out). */
      readonly datasets?: readonly Omit<DatasetProgress, 'state'>[];
      readonly gate?: Omit<GateProgress, 'state'>;
    }
  | {
      readonly state: string;
      readonly phase: 'error';
      readonly seconds: number;
      readonly error: string;
    };

/** The snapshot after a Task state's call started, ended or failed. */
export function applyTaskEvent(progress: RunProgress, event: TaskProgressEvent): RunProgress {
  const known = progress.states.some((s) => s.name === event.state);
  const states = (
    known
      ? progress.states
      : [
          ...progress.states,
          { name: event.state, status: 'pending' as const, attempts: 0, active: 0 },
        ]
  ).map((s): StateProgress => {
    if (s.name !== event.state) return s;
    if (event.phase === 'start') {
      const { error: _error, ...rest } = s;
      return { ...rest, status: 'running', attempts: s.attempts + 1, active: s.active + 1 };
    }
    const active = Math.max(s.active - 1, 0);
    if (event.phase === 'error')
      return { ...s, status: 'failed', active, seconds: event.seconds, error: event.error };
    return {
      ...s,
      status: active > 0 ? 'running' : s.status === 'failed' ? 'failed' : 'succeeded',
      active,
      seconds: event.seconds,
    };
  });
  if (event.phase !== 'end') return { ...progress, states };
  const landed = (event.datasets ?? []).map((d) => ({
    state: event.state,
    step: d.step,
    dataset: d.dataset,
    layer: d.layer,
    rowsIn: d.rowsIn,
    rowsOut: d.rowsOut,
    quarantined: d.quarantined,
  }));
  // A retried step reports its datasets again: the latest attempt's figures replace the earlier.
  const key = (d: DatasetProgress) => `${d.step}\u0000${d.dataset}`;
  const replaced = new Set(landed.map(key));
  return {
    ...progress,
    states,
    datasets: [...progress.datasets.filter((d) => !replaced.has(key(d))), ...landed],
    gates: event.gate
      ? [
          ...progress.gates.filter((g) => g.step !== event.gate!.step),
          { state: event.state, ...event.gate },
        ]
      : progress.gates,
  };
}

/** The snapshot once the run has ended. */
export function finishProgress(
  progress: RunProgress,
  end: {
    readonly status: Exclude<RunStatus, 'running'>;
    readonly seconds: number;
    readonly error?: string;
  },
): RunProgress {
  return { ...progress, ...end };
}

/**
 * A run still marked running whose process is gone: it died without recording its end (the next
 * run marks it interrupted in the history).
 */
export function abandonedProgress(progress: RunProgress, now: Date): RunProgress {
  return finishProgress(progress, {
    status: 'interrupted',
    seconds: elapsedSeconds(progress, now),
    error: `its process (pid ${progress.pid}) ended before the run did`,
  });
}

export function elapsedSeconds(progress: RunProgress, now: Date): number {
  return progress.seconds ?? Math.max((now.getTime() - Date.parse(progress.startedAt)) / 1000, 0);
}

/** How a watcher's process should exit once the run it followed is over, as `medallion run` does. */
export function exitCodeOfProgress(progress: RunProgress): number {
  return progress.status === 'succeeded' ? 0 : progress.status === 'interrupted' ? 130 : 1;
}

/** Colours for a terminal; identity functions for plain text. */
export interface Painter {
  readonly green: (text: string) => string;
  readonly red: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

const plain = (text: string) => text;
export const plainPainter: Painter = {
  green: plain,
  red: plain,
  yellow: plain,
  dim: plain,
  bold: plain,
};

const count = (n: number) => n.toLocaleString('en-US');
const seconds = (s: number) => `${s.toFixed(1)}s`;

function statusMark(status: StepStatus, paint: Painter): string {
  return {
    pending: paint.dim('·'),
    running: paint.yellow('▶'),
    succeeded: paint.green('✓'),
    failed: paint.red('✗'),
  }[status];
}

function stateLine(state: StateProgress, over: boolean, paint: Painter): string {
  const retried = state.attempts > 1 ? paint.dim(` (${state.attempts} calls)`) : '';
  const detail =
    state.status === 'pending'
      ? paint.dim(over ? 'not run' : 'pending')
      : state.status === 'running'
        ? paint.yellow(state.active > 1 ? `running ×${state.active}` : 'running')
        : state.status === 'failed'
          ? paint.red(`failed${state.error ? `: ${state.error}` : ''}`)
          : `${paint.green('succeeded')} ${paint.dim(seconds(state.seconds ?? 0))}`;
  return `  ${statusMark(state.status, paint)} ${state.name.padEnd(32)} ${detail}${retried}`;
}

/** The last line: how the run ended (or where it stands), with its totals. */
export function summaryLine(
  progress: RunProgress,
  now: Date,
  paint: Painter = plainPainter,
): string {
  const written = progress.datasets.reduce((n, d) => n + d.rowsOut, 0);
  const quarantined = progress.datasets.reduce((n, d) => n + d.quarantined, 0);
  const done = progress.states.filter((s) => s.status === 'succeeded').length;
  const failedGates = progress.gates.filter((g) => g.outcome === 'fail').length;
  const totals = `${done}/${progress.states.length} states, ${progress.datasets.length} datasets, ${count(written)} rows written, ${count(quarantined)} quarantined, ${progress.gates.length - failedGates}/${progress.gates.length} gates passed`;
  const head = `${progress.job} for ${progress.runDate}`;
  const took = seconds(elapsedSeconds(progress, now));
  switch (progress.status) {
    case 'running':
      return `${head} running for ${took}: ${totals}`;
    case 'succeeded':
      return paint.green(`${head} succeeded in ${took}: ${totals}`);
    case 'interrupted':
      return paint.yellow(`${head} INTERRUPTED after ${took}: ${progress.error ?? 'stopped'}`);
    case 'failed':
      return paint.red(`${head} FAILED after ${took}: ${progress.error ?? 'a state failed'}`);
  }
}

/**
 * The whole view, redrawn in place on a terminal. Given the terminal's `rows`, the earliest
 * datasets give way first, so the run's head and its summary stay in sight.
 */
export function renderProgressFrame(
  progress: RunProgress,
  now: Date,
  paint: Painter = plainPainter,
  rows = Number.POSITIVE_INFINITY,
): string {
  const over = progress.status !== 'running';
  const lines = [
    `${paint.bold(progress.job)} for ${progress.runDate}  ${paint.dim(`run ${progress.runId}`)}`,
    `started ${progress.startedAt}  elapsed ${seconds(elapsedSeconds(progress, now))}`,
    '',
    paint.bold('States'),
    ...progress.states.map((s) => stateLine(s, over, paint)),
  ];
  const gateLines = progress.gates.length > 0 ? 2 + progress.gates.length : 0;
  // Room left for dataset lines: the heading, the summary and its blank line, one spare row.
  const room = rows - lines.length - gateLines - 2 - 3;
  const hidden =
    progress.datasets.length > room
      ? Math.min(progress.datasets.length, progress.datasets.length - room + 1)
      : 0;
  if (progress.datasets.length > 0) {
    lines.push(
      '',
      `${paint.bold('Datasets'.padEnd(36))} ${'layer'.padEnd(7)} ${'rows in'.padStart(12)} ${'rows out'.padStart(12)} ${'quarantined'.padStart(12)}`,
    );
    if (hidden > 0) lines.push(paint.dim(`  … ${hidden} earlier dataset(s)`));
    for (const d of progress.datasets.slice(hidden))
      lines.push(
        `  ${d.dataset.padEnd(34)} ${d.layer.padEnd(7)} ${count(d.rowsIn).padStart(12)} ${count(d.rowsOut).padStart(12)} ${(d.quarantined > 0 ? paint.yellow : plain)(count(d.quarantined).padStart(12))}`,
      );
  }
  if (progress.gates.length > 0) {
    lines.push('', paint.bold('Quality gates'));
    for (const g of progress.gates) lines.push(`  ${gateLine(g, paint)}`);
  }
  lines.push('', summaryLine(progress, now, paint));
  return lines.join('\n');
}

function gateLine(gate: GateProgress, paint: Painter): string {
  const outcome = gate.outcome === 'pass' ? paint.green('pass') : paint.red('FAIL');
  const lowest = [...gate.scores].sort((a, b) => a.score - b.score)[0];
  return `${gate.step} ${outcome}${lowest ? paint.dim(` (${gate.scores.length} datasets, lowest ${lowest.dataset} ${lowest.score.toFixed(1)})`) : ''}`;
}

/**
 * What changed from one snapshot to the next, one line each: the view where the output is not a
 * terminal (a log, a CI job), so nothing is redrawn. `previous` undefined means a new run.
 */
export function progressChanges(
  previous: RunProgress | undefined,
  next: RunProgress,
  now: Date,
  paint: Painter = plainPainter,
): string[] {
  const same = previous?.runId === next.runId ? previous : undefined;
  const at = paint.dim(`[${seconds(elapsedSeconds(next, now)).padStart(7)}]`);
  const lines: string[] = [];
  if (!same)
    lines.push(
      `${paint.bold(`${next.job} for ${next.runDate}`)} ${paint.dim(`run ${next.runId}, started ${next.startedAt}`)}`,
    );
  const before = new Map(same?.states.map((s) => [s.name, s]));
  const landed = new Set(
    same?.datasets.map((d) => `${d.step}\u0000${d.dataset}\u0000${d.rowsOut}`),
  );
  const gated = new Set(same?.gates.map((g) => `${g.step}\u0000${g.outcome}`));
  // Each state's line, then what its calls wrote and decided, so a log reads in order.
  for (const state of next.states) {
    const was = before.get(state.name);
    const changed =
      state.status !== 'pending' &&
      !(
        was &&
        was.status === state.status &&
        was.attempts === state.attempts &&
        was.active === state.active
      );
    if (changed) lines.push(`${at} ${stateLine(state, false, paint).trimStart()}`);
    for (const d of next.datasets)
      if (d.state === state.name && !landed.has(`${d.step}\u0000${d.dataset}\u0000${d.rowsOut}`))
        lines.push(
          `${at}   ${d.dataset} (${d.layer}): ${count(d.rowsIn)} in, ${count(d.rowsOut)} out, ${count(d.quarantined)} quarantined`,
        );
    for (const g of next.gates)
      if (g.state === state.name && !gated.has(`${g.step}\u0000${g.outcome}`))
        lines.push(`${at}   gate ${gateLine(g, paint)}`);
  }
  if (next.status !== 'running' && same?.status !== next.status)
    lines.push(summaryLine(next, now, paint));
  return lines;
}
