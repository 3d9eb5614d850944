/** Terminal output of the CLI: tables, numbers and progress lines. */
import Table from 'cli-table3';
import type { Logger } from '../../core/ports';
import type { StepStats } from '../../core/runs';
import { reconciles } from '../../core/stats';
import type { RunOutcome } from '../runner';

const useColor = process.stderr.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (text: string) =>
  useColor ? `\u001b[${code}m${text}\u001b[0m` : text;
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const dim = paint(2);
export const bold = paint(1);

export const count = (n: number) => n.toLocaleString('en-US');

/** Progress lines on stderr, so stdout stays clean for `--format json` and pipes. */
export const progressLogger: Logger = {
  info(message, fields) {
    if (fields && typeof fields.rowsIn === 'number' && typeof fields.dataset === 'string') {
      const f = fields as unknown as StepStats;
      const parts = [`${count(f.rowsIn)} in`, `${count(f.rowsOut)} out`];
      if (f.quarantined) parts.push(yellow(`${count(f.quarantined)} quarantined`));
      if (f.duplicates) parts.push(`${count(f.duplicates)} duplicates`);
      if (f.rejectedFiles?.length)
        parts.push(red(`${count(f.rejectedFiles.length)} files rejected`));
      process.stderr.write(
        `    ${f.dataset.padEnd(28)} ${parts.join(', ')} ${dim(`${f.seconds.toFixed(2)}s`)}\n`,
      );
    }
  },
  warn(message) {
    process.stderr.write(`    ${yellow('!')} ${message}\n`);
  },
};

export function taskProgress(event: {
  state: string;
  phase: 'start' | 'end' | 'error';
  seconds?: number;
  error?: string;
}): void {
  if (event.phase === 'start') process.stderr.write(`  ${dim('▶')} ${event.state}\n`);
  else if (event.phase === 'end')
    process.stderr.write(
      `  ${green('✓')} ${event.state} ${dim(`${event.seconds?.toFixed(1)}s`)}\n`,
    );
  else process.stderr.write(`  ${red('✗')} ${event.state}: ${event.error}\n`);
}

/**
 * The end-of-run summary: one line per dataset step (with the landing files it refused), each
 * refused file with its reason, then the verdict.
 */
export function runSummary(outcome: RunOutcome): string {
  const table = new Table({
    head: [
      'step',
      'dataset',
      'rows in',
      'written',
      'quarantined',
      'duplicates',
      'ins / upd / del',
      'files rejected',
      'seconds',
      'reconciled',
    ],
    colAligns: [
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'center',
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const s of outcome.steps) {
    table.push([
      s.step,
      s.dataset,
      count(s.rowsIn),
      count(s.rowsOut),
      count(s.quarantined),
      count(s.duplicates),
      `${count(s.inserted)} / ${count(s.updated)} / ${count(s.deleted)}`,
      s.rejectedFiles?.length ? red(count(s.rejectedFiles.length)) : '0',
      s.seconds.toFixed(2),
      reconciles(s) ? green('yes') : red('NO'),
    ]);
  }
  const verdict =
    outcome.status === 'succeeded'
      ? green(
          `${outcome.job} for ${outcome.runDate} succeeded in ${outcome.seconds.toFixed(1)}s, ${outcome.transitions} state transitions, ${count(outcome.sql.statements)} SQL statements and ${count(outcome.sql.lookups)} table lookups`,
        )
      : outcome.status === 'interrupted'
        ? yellow(
            `${outcome.job} for ${outcome.runDate} INTERRUPTED after ${outcome.seconds.toFixed(1)}s: the next run resumes where it stopped`,
          )
        : red(
            `${outcome.job} for ${outcome.runDate} FAILED after ${outcome.seconds.toFixed(1)}s: ${outcome.error}`,
          );
  const rejected = outcome.steps.flatMap((s) =>
    (s.rejectedFiles ?? []).map((r) => `${red('✗')} rejected ${r.file}: ${r.reason}\n`),
  );
  return `${outcome.steps.length > 0 ? `${table.toString()}\n` : ''}${rejected.join('')}${qualitySummary(outcome)}${verdict} ${dim(`(run ${outcome.runId})`)}`;
}

/** The quality gates' scores, one row per dataset checked; empty when no gate ran. */
function qualitySummary(outcome: RunOutcome): string {
  if (outcome.quality.length === 0) return '';
  const table = new Table({
    head: ['data quality', 'score', 'rows', 'checks', 'failed errors', 'failed warnings'],
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [], compact: true },
  });
  for (const q of outcome.quality) {
    table.push([
      q.dataset,
      q.score >= 100
        ? green(q.score.toFixed(1))
        : q.failedErrors > 0
          ? red(q.score.toFixed(1))
          : yellow(q.score.toFixed(1)),
      count(q.rows),
      String(q.checks),
      q.failedErrors > 0 ? red(String(q.failedErrors)) : '0',
      q.failedWarnings > 0 ? yellow(String(q.failedWarnings)) : '0',
    ]);
  }
  return `${table.toString()}\n`;
}

export type OutputFormat = 'table' | 'json' | 'csv';

export interface RowsOptions {
  /** At most this many rows; 0 or absent means all. */
  readonly limit?: number;
  /** The table's width in characters; cells are cut to fit. Defaults to the terminal's. */
  readonly width?: number;
}

/**
 * Rows as a table, JSON (an array of objects) or CSV (RFC 4180 quoting). JSON and CSV are cut
 * only at an explicit `limit`, since they feed programs; a cut table ends with a notice saying
 * how many rows were left out and how to see them.
 */
export function formatRows(
  rows: readonly Record<string, unknown>[],
  format: OutputFormat,
  columns?: readonly string[],
  options: RowsOptions = {},
): string {
  const names = columns ?? Object.keys(rows[0] ?? {});
  const shown = options.limit ? rows.slice(0, options.limit) : rows;
  if (format === 'json') return JSON.stringify(shown, null, 2);
  if (format === 'csv') {
    const cell = (v: unknown) => {
      const text =
        v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    return [names.join(','), ...shown.map((r) => names.map((n) => cell(r[n])).join(','))].join(
      '\n',
    );
  }
  const plural = (n: number) => `${count(n)} row${n === 1 ? '' : 's'}`;
  const footer =
    shown.length < rows.length
      ? yellow(
          `${count(shown.length)} of ${plural(rows.length)} shown; ${count(rows.length - shown.length)} not shown (--limit 0 shows all, --format csv or json writes every row)`,
        )
      : dim(plural(rows.length));
  if (names.length === 0) return footer;
  return `${drawTable(names, shown, options.width ?? terminalWidth())}\n${footer}`;
}

/** The terminal's columns; $COLUMNS or 120 when stdout is not a terminal (pipes, tests). */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const fromEnv = Number(process.env.COLUMNS);
  return Number.isSafeInteger(fromEnv) && fromEnv > 0 ? fromEnv : 120;
}

interface Cell {
  readonly text: string;
  readonly isNull: boolean;
  readonly isNumber: boolean;
}

/**
 * Draws in one pass over the rows, in cli-table3's compact look: cli-table3 itself lays out in
 * time quadratic in the rows (8,000 rows took minutes), and never cuts a cell to the terminal.
 */
function drawTable(
  names: readonly string[],
  rows: readonly Record<string, unknown>[],
  width: number,
): string {
  const head: Cell[] = names.map((n) => ({ text: oneLine(n), isNull: false, isNumber: false }));
  const body: Cell[][] = rows.map((row) => names.map((n) => cellOf(row[n])));
  const natural = head.map((h) => length(h.text));
  for (const cells of body)
    cells.forEach((c, i) => {
      natural[i] = Math.max(natural[i]!, length(c.text));
    });
  const widths = fit(natural, width - 3 * names.length - 1);
  const rule = (left: string, middle: string, right: string) =>
    `${left}${widths.map((w) => '─'.repeat(w + 2)).join(middle)}${right}`;
  const line = (cells: readonly Cell[]) =>
    `│${cells
      .map((c, i) => {
        const text = truncate(c.text, widths[i]!);
        const pad = ' '.repeat(widths[i]! - length(text));
        const padded = c.isNumber ? pad + text : text + pad;
        return ` ${c.isNull ? dim(padded) : padded} `;
      })
      .join('│')}│`;
  return [
    rule('┌', '┬', '┐'),
    line(head),
    rule('├', '┼', '┤'),
    ...body.map(line),
    rule('└', '┴', '┘'),
  ].join('\n');
}

/**
 * Column widths within a budget: narrow columns keep their width, the wide ones share what is
 * left equally, and none goes below a few characters (many columns may then overflow).
 */
function fit(natural: readonly number[], budget: number): number[] {
  const floor = 4;
  const widths = [...natural];
  let left = budget;
  let open = natural.map((_, i) => i).sort((a, b) => natural[a]! - natural[b]!);
  while (open.length > 0) {
    const share = Math.max(floor, Math.floor(left / open.length));
    const [first] = open;
    if (natural[first!]! > share) {
      for (const i of open) widths[i] = Math.min(natural[i]!, share);
      break;
    }
    left -= natural[first!]!;
    open = open.slice(1);
  }
  return widths;
}

function cellOf(value: unknown): Cell {
  if (value === null || value === undefined) return { text: 'NULL', isNull: true, isNumber: false };
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return { text: oneLine(text), isNull: false, isNumber: typeof value === 'number' };
}

/** A line break or tab inside a cell would break the table's rows apart. */
const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ');
const length = (text: string) => [...text].length;
const truncate = (text: string, width: number) =>
  length(text) <= width ? text : `${[...text].slice(0, Math.max(0, width - 1)).join('')}…`;
