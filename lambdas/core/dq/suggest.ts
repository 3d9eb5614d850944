/**
 * Rules proposed from a profile, as Deequ's and Soda's suggestion tools do: a column never NULL
 * → required; every value distinct → unique; a handful of values → accepted values; never
 * negative → minimum 0; one length → fixed length; a few NULLs → a completeness threshold; and a
 * row-count anomaly rule for the dataset. Rules the contract already has are not proposed again.
 */
import type { Contract } from '../contracts/contract';
import type { QualityRule } from '../contracts/schema';
import type { DatasetProfile } from './profile';

export interface Suggestion {
  /** Column, or undefined for a dataset-level rule. */
  readonly column?: string;
  /** Why, in words, from the profile. */
  readonly because: string;
  /** Contract keys to add to the column (or to the dataset's `quality` list). */
  readonly add: Readonly<Record<string, unknown>>;
}

/** Columns with at most this many distinct values get an accepted-values proposal. */
const acceptedValuesUpTo = 10;

export function suggestRules(contract: Contract, profile: DatasetProfile): Suggestion[] {
  const suggestions: Suggestion[] = [];
  if (profile.rows === 0) return suggestions;
  for (const c of profile.columns) {
    const property = contract.column(c.column);
    if (!property) continue;
    const options = property.logicalTypeOptions ?? {};
    const rules = property.quality;
    const has = (metric: QualityRule['metric']) => rules.some((q) => q.metric === metric);
    const nonNull = c.rows - c.nulls;

    if (c.nulls === 0 && !property.required) {
      suggestions.push({
        column: c.column,
        because: 'no NULL in any row',
        add: { required: true },
      });
    } else if (c.nulls > 0 && !property.required && !has('nullValues')) {
      const limit = Math.min(100, Math.ceil(c.nullPercent * 2));
      suggestions.push({
        column: c.column,
        because: `${c.nullPercent}% NULL`,
        add: {
          quality: [
            {
              metric: 'nullValues',
              mustBeLessOrEqualTo: limit,
              unit: 'percent',
              severity: 'warning',
            },
          ],
        },
      });
    }
    // Identifiers and codes can promise uniqueness; times and measures are distinct by chance.
    if (
      nonNull > 1 &&
      c.distinctCount >= nonNull &&
      /^(VARCHAR|CHAR|BIGINT|INTEGER|INT)$/i.test(c.type) &&
      !property.unique &&
      !property.primaryKey &&
      !has('duplicateValues')
    ) {
      suggestions.push({
        column: c.column,
        because: 'every value distinct',
        add: { unique: true },
      });
    }
    const values = c.topValues.filter((v) => v.value !== null).map((v) => v.value!);
    if (
      c.distinctCount > 0 &&
      c.distinctCount <= acceptedValuesUpTo &&
      values.length === c.distinctCount &&
      c.distinctCount < nonNull &&
      /^(VARCHAR|CHAR)/i.test(c.type) &&
      !has('invalidValues')
    ) {
      suggestions.push({
        column: c.column,
        because: `only ${c.distinctCount} distinct value(s)`,
        add: {
          quality: [
            { metric: 'invalidValues', arguments: { validValues: [...values].sort() }, mustBe: 0 },
          ],
        },
      });
    }
    if (
      c.min !== null &&
      c.mean !== null &&
      Number(c.min) >= 0 &&
      !property.primaryKey &&
      options.minimum === undefined
    ) {
      suggestions.push({
        column: c.column,
        because: `never negative (min ${c.min})`,
        add: { logicalTypeOptions: { ...options, minimum: 0 } },
      });
    }
    if (
      c.minLength !== null &&
      c.minLength === c.maxLength &&
      c.minLength > 0 &&
      options.minLength === undefined &&
      options.maxLength === undefined &&
      !options.pattern
    ) {
      suggestions.push({
        column: c.column,
        because: `every value is ${c.minLength} characters long`,
        add: { logicalTypeOptions: { ...options, minLength: c.minLength, maxLength: c.maxLength } },
      });
    }
  }
  const datasetRules = contract.document.schema[0]!.quality;
  if (!datasetRules.some((q) => q.metric === 'rowCount' || q.type === 'custom')) {
    suggestions.push({
      because: `${profile.rows} rows now; alert on a jump rather than a fixed number`,
      add: {
        quality: [
          {
            name: `${contract.document.schema[0]!.name}_volume`,
            type: 'custom',
            engine: 'medallion',
            implementation: { anomaly: { metric: 'rowCount', method: 'zscore', k: 3, window: 14 } },
            severity: 'warning',
          },
        ],
      },
    });
  }
  return suggestions;
}
