/**
 * The PII scanner measured on the labelled corpus (test/helpers/pii-corpus.ts): per column,
 * precision and recall of PII verdicts (right entity, or it counts as a miss and a false alarm),
 * and quasi-identifiers reported as such, never as PII.
 */
import { describe, expect, it } from 'vitest';
import { scanColumn, quasiIdentifiers } from '../../lambdas/core/privacy/pii-scan';
import { piiCorpus } from '../helpers/pii-corpus';

const corpus = piiCorpus();
const verdicts = corpus.map((column) => ({
  column,
  finding: scanColumn(column.name, column.values, { referenceYear: 2026 }),
}));
const isQuasi = (label: string) => (quasiIdentifiers as readonly string[]).includes(label);

describe('the PII scanner on the labelled corpus', () => {
  const pii = verdicts.filter((v) => v.column.label !== 'none' && !isQuasi(v.column.label));
  const truePositives = verdicts.filter(
    (v) => v.finding.kind === 'pii' && v.finding.entity === v.column.label,
  );
  const flagged = verdicts.filter((v) => v.finding.kind === 'pii');
  const recall = truePositives.length / pii.length;
  const precision = truePositives.length / flagged.length;
  const wrong = verdicts
    .filter(
      (v) =>
        (v.finding.kind === 'pii' || !isQuasi(v.column.label)) &&
        (v.finding.kind === 'none' ? 'none' : v.finding.entity) !== v.column.label,
    )
    .map(
      (v) => `${v.column.name}: labelled ${v.column.label}, found ${v.finding.entity ?? 'none'}`,
    );

  it('finds at least 99% of the PII columns, with their entity', () => {
    console.info(
      `PII scanner on ${corpus.length} labelled columns (${pii.length} PII): recall ${recall.toFixed(4)}, precision ${precision.toFixed(4)}`,
    );
    expect(wrong).toEqual([]);
    expect(recall).toBeGreaterThanOrEqual(0.99);
  });

  it('is right about at least 97% of the columns it flags', () => {
    expect(precision).toBeGreaterThanOrEqual(0.97);
  });

  it('reports postal codes, birth years and gender as quasi-identifiers, not PII', () => {
    const quasi = verdicts.filter((v) => isQuasi(v.column.label));
    expect(quasi.length).toBeGreaterThan(0);
    expect(
      quasi
        .filter((v) => v.finding.kind !== 'quasi_identifier' || v.finding.entity !== v.column.label)
        .map((v) => v.column.name),
    ).toEqual([]);
  });

  it('covers every entity, in clean and dirty columns, and more negatives than positives', () => {
    const labels = new Set(corpus.map((c) => c.label));
    expect(labels.size).toBeGreaterThanOrEqual(16);
    expect(corpus.filter((c) => c.label === 'none').length).toBeGreaterThan(pii.length);
    expect(corpus.some((c) => c.values.includes(null))).toBe(true);
  });
});
