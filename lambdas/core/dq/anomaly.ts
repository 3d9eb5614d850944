/**
 * Anomaly detection on a metric's history. Two methods, as monitoring tools offer:
 *
 * - `change`: the relative change against the previous run, |x − last| / |last|, must not exceed
 *   `maxChange`. A last value of 0 allows only 0.
 * - `zscore`: x must lie within mean ± k·σ of the last `window` runs (sample standard deviation).
 *   A constant history (σ = 0) allows only that constant.
 *
 * Cold start: with fewer than `minHistory` earlier runs the verdict is "not enough history" and
 * the check is skipped, never failed, so a new dataset cannot fail its first runs on noise.
 */
import type { AnomalyRule } from './checks';

export interface AnomalyVerdict {
  readonly status: 'pass' | 'fail' | 'skip';
  /** The statistic compared with the limit: the relative change, or the z-score. */
  readonly score: number | null;
  readonly message: string;
}

/** Relative tolerance under which two floating-point values count as equal. */
const epsilon = 1e-9;

export function judgeAnomaly(
  rule: AnomalyRule,
  current: number | null,
  /** Earlier runs' values, newest first. */
  history: readonly number[],
): AnomalyVerdict {
  if (current === null) {
    return { status: 'skip', score: null, message: 'no value this run (an empty dataset?)' };
  }
  const needed = rule.minHistory;
  const baseline = history.slice(0, rule.method === 'change' ? 1 : rule.window);
  if (history.length < needed) {
    return {
      status: 'skip',
      score: null,
      message: `not enough history: ${history.length} earlier run(s), ${needed} needed`,
    };
  }
  if (rule.method === 'change') {
    const last = baseline[0]!;
    const change = same(current, last)
      ? 0
      : last === 0
        ? Infinity
        : Math.abs(current - last) / Math.abs(last);
    const message = `${format(current)} against ${format(last)} last run: ${change === Infinity ? 'a change from 0' : `${(change * 100).toFixed(1)}% change`} (at most ${rule.maxChange * 100}%)`;
    return { status: change <= rule.maxChange ? 'pass' : 'fail', score: change, message };
  }
  const mean = baseline.reduce((a, b) => a + b, 0) / baseline.length;
  const sd = Math.sqrt(
    baseline.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(baseline.length - 1, 1),
  );
  const z = same(current, mean) ? 0 : sd === 0 ? Infinity : Math.abs(current - mean) / sd;
  const message = `${format(current)} against ${format(mean)} ± ${format(sd)} over ${baseline.length} run(s): z = ${z === Infinity ? '∞' : z.toFixed(2)} (at most ${rule.k})`;
  return { status: z <= rule.k ? 'pass' : 'fail', score: z, message };
}

function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= epsilon * Math.max(1, Math.abs(a), Math.abs(b));
}

function format(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(3);
}
