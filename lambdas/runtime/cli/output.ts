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

/** The end-of-run summary: one line per dataset step, then the verdict. */
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
      'seconds',
      'reconciled',
    ],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'center'],
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
  return `${outcome.steps.length > 0 ? `${table.toString()}\n` : ''}${qualitySummary(outcome)}${verdict} ${dim(`(run ${outcome.runId})`)}`;
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

/** Rows as a table, JSON (an array of objects) or CSV (RFC 4180 quoting). */
export function formatRows(
  rows: readonly Record<string, unknown>[],
  format: OutputFormat,
  columns?: readonly string[],
): string {
  const names = columns ?? Object.keys(rows[0] ?? {});
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format === 'csv') {
    const cell = (v: unknown) => {
      const text =
        v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    };
    return [names.join(','), ...rows.map((r) => names.map((n) => cell(r[n])).join(','))].join('\n');
  }
  const table = new Table({ head: [...names], style: { head: [], border: [], compact: true } });
  for (const row of rows) table.push(names.map((n) => display(row[n])));
  return `${table.toString()}\n${dim(`${count(rows.length)} row${rows.length === 1 ? '' : 's'}`)}`;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return dim('NULL');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
