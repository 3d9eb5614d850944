/**
 * Data-quality checks, derived from a contract: its columns (required, unique, primary key,
 * constraints, accepted values, foreign keys), its freshness SLA, its schema, and the quality
 * rules it lists (ODCS library metrics with thresholds, SQL rules, anomaly rules). One contract,
 * one set of checks, on both engines.
 */
import * as z from 'zod';
import type { Contract, ContractRegistry } from '../contracts/contract';
import { rowRules } from '../contracts/rules';
import type { QualityRule } from '../contracts/schema';
import { ConfigError } from '../errors';
import type { ColumnSpec, SqlDialect } from '../ports';
import { unknownRuleReferences } from './scope';

export type Severity = 'error' | 'warning' | 'info';
export type Dimension = NonNullable<QualityRule['dimension']>;

/** A number a measurement is compared with; `percent` compares the share of rows, 0–100. */
export interface Threshold {
  readonly operator:
    | 'mustBe'
    | 'mustNotBe'
    | 'mustBeGreaterThan'
    | 'mustBeGreaterOrEqualTo'
    | 'mustBeLessThan'
    | 'mustBeLessOrEqualTo'
    | 'mustBeBetween'
    | 'mustNotBeBetween';
  readonly value: number | readonly [number, number];
  readonly unit: 'rows' | 'percent';
}

/** No failing row at all: the default of every row-level check. */
const noFailingRows: Threshold = { operator: 'mustBe', value: 0, unit: 'rows' };

interface CheckBase {
  /** Unique within the dataset: `email.pattern`, `row_count`, or the rule's own name. */
  readonly name: string;
  /** Contract id of the dataset checked (`silver.orders`). */
  readonly dataset: string;
  /** The relation queried (`silver.orders`). */
  readonly relation: string;
  readonly column?: string;
  readonly severity: Severity;
  readonly dimension: Dimension;
  /** What the check promises, in words, for reports. */
  readonly description: string;
}

export type AnomalyMetric =
  'rowCount' | 'nullPercent' | 'distinctCount' | 'mean' | 'stddev' | 'median' | 'avgLength';

export interface AnomalyRule {
  readonly metric: AnomalyMetric;
  /** `change`: relative change against the last run; `zscore`: mean ± k·σ of the last runs. */
  readonly method: 'change' | 'zscore';
  /** `change`: the largest relative change allowed (0.5 = ±50%). */
  readonly maxChange: number;
  /** `zscore`: how many standard deviations from the mean are allowed. */
  readonly k: number;
  /** `zscore`: how many earlier runs form the baseline. */
  readonly window: number;
  /** Fewer earlier runs than this: "not enough history", never a failure. */
  readonly minHistory: number;
}

export type Check = CheckBase &
  (
    | { readonly kind: 'rows'; readonly failing: string; readonly threshold: Threshold }
    | {
        readonly kind: 'unique';
        readonly columns: readonly string[];
        readonly threshold: Threshold;
      }
    | {
        readonly kind: 'reference';
        readonly column: string;
        readonly parent: string;
        readonly parentColumn: string;
        readonly threshold: Threshold;
      }
    | { readonly kind: 'row_count'; readonly threshold: Threshold }
    | { readonly kind: 'freshness'; readonly column: string; readonly maxAgeHours: number }
    | { readonly kind: 'schema'; readonly columns: readonly ColumnSpec[] }
    | { readonly kind: 'sql'; readonly query: string; readonly threshold: Threshold }
    | { readonly kind: 'anomaly'; readonly rule: AnomalyRule }
    | { readonly kind: 'pii'; readonly contract: Contract; readonly sampleSize: number }
  );

/**
 * Values the gate's PII check samples per column: a hundredth of `pii scan`'s, since it runs on
 * every run, and a column that is mostly e-mails shows it in a thousand values.
 */
export const gatePiiSampleSize = 1000;

const anomalySchema = z.strictObject({
  metric: z.enum([
    'rowCount',
    'nullPercent',
    'distinctCount',
    'mean',
    'stddev',
    'median',
    'avgLength',
  ]),
  method: z.enum(['change', 'zscore']).default('zscore'),
  maxChange: z.number().positive().default(0.5),
  k: z.number().positive().default(3),
  window: z.number().int().min(2).default(10),
  minHistory: z.number().int().min(1).optional(),
});

const hoursPerUnit: Record<string, number> = {
  h: 1,
  hour: 1,
  hours: 1,
  d: 24,
  day: 24,
  days: 24,
  w: 168,
  week: 168,
  weeks: 168,
};

/** Every check of a dataset, in a stable order: schema, PII, row count, columns, dataset rules. */
export function checksFor(
  contract: Contract,
  contracts: ContractRegistry,
  dialect: SqlDialect,
): Check[] {
  const base = { dataset: contract.id, relation: contract.relation };
  const problems: { path: string; expected: string; found: string }[] = [];
  const checks: Check[] = [
    {
      ...base,
      kind: 'schema',
      name: 'schema',
      severity: 'error',
      dimension: 'conformity',
      description: 'columns and types are the contract’s',
      columns: contract.columns,
    },
    {
      ...base,
      kind: 'pii',
      name: 'pii_scan',
      severity: 'error',
      dimension: 'conformity',
      description: 'no column the contract leaves unclassified or does not declare holds PII',
      contract,
      sampleSize: gatePiiSampleSize,
    },
  ];

  for (const rule of rowRules(contract, dialect)) {
    const [column, kind] = rule.id.split('.') as [string, string];
    // Accepted values come from a quality rule, which may say how severe a violation is.
    const source =
      kind === 'accepted_values'
        ? contract.column(column)?.quality.find((q) => isAcceptedValues(q))
        : undefined;
    checks.push({
      ...base,
      kind: 'rows',
      name: rule.id,
      column,
      severity: source?.severity ?? 'error',
      dimension: kind === 'required' ? 'completeness' : 'conformity',
      description: ruleDescriptions[kind] ?? kind,
      failing: rule.failing,
      threshold: noFailingRows,
    });
  }
  const key = contract.primaryKey;
  if (key.length > 0) {
    checks.push({
      ...base,
      kind: 'unique',
      name: `${key.join('_')}.primary_key`,
      column: key.length === 1 ? key[0] : undefined,
      severity: 'error',
      dimension: 'uniqueness',
      description: `(${key.join(', ')}) identifies one row`,
      columns: key,
      threshold: noFailingRows,
    });
  }

  contract.properties.forEach((property, i) => {
    const path = `schema.0.properties.${i}`;
    if (property.unique && !(key.length === 1 && key[0] === property.name)) {
      checks.push({
        ...base,
        kind: 'unique',
        name: `${property.name}.unique`,
        column: property.name,
        severity: 'error',
        dimension: 'uniqueness',
        description: `${property.name} is unique`,
        columns: [property.name],
        threshold: noFailingRows,
      });
    }
    property.relationships.forEach((relationship, r) => {
      const target = referenceTarget(contract, contracts, relationship.to);
      if (!target) {
        problems.push({
          path: `${path}.relationships.${r}.to`,
          expected: 'a <dataset>.<column> of a contract (its schema name, same layer first)',
          found: relationship.to,
        });
        return;
      }
      const severity = relationship.customProperties.find((c) => c.property === 'severity')?.value;
      if (severity !== undefined && !['error', 'warning', 'info'].includes(String(severity))) {
        problems.push({
          path: `${path}.relationships.${r}.customProperties`,
          expected: 'severity error, warning or info',
          found: JSON.stringify(severity),
        });
        return;
      }
      checks.push({
        ...base,
        kind: 'reference',
        name: `${property.name}.references_${target.contract.document.schema[0]!.name}`,
        column: property.name,
        severity: (severity as Severity | undefined) ?? 'error',
        dimension: 'consistency',
        description: `every ${property.name} exists in ${target.contract.relation}.${target.column}`,
        parent: target.contract.relation,
        parentColumn: target.column,
        threshold: noFailingRows,
      });
    });
    property.quality.forEach((rule, q) => {
      const check = qualityCheck(
        rule,
        base,
        dialect,
        property.name,
        `${path}.quality.${q}`,
        problems,
      );
      if (check) checks.push(check);
    });
  });

  const freshness = contract.document.slaProperties.find((s) => s.property === 'freshness');
  if (freshness) {
    const column =
      String(freshness.element ?? '')
        .split('.')
        .at(-1) ?? '';
    const hours = Number(freshness.value) * (hoursPerUnit[String(freshness.unit ?? 'd')] ?? NaN);
    if (!contract.column(column) || !Number.isFinite(hours)) {
      problems.push({
        path: 'slaProperties.freshness',
        expected:
          'element <dataset>.<column> of this contract, a numeric value and a unit (h, d, w)',
        found: JSON.stringify(freshness),
      });
    } else {
      checks.push({
        ...base,
        kind: 'freshness',
        name: 'freshness',
        column,
        severity: 'error',
        dimension: 'timeliness',
        description: `the newest ${column} is at most ${freshness.value}${freshness.unit ?? 'd'} older than the run`,
        maxAgeHours: hours,
      });
    }
  }

  contract.document.schema[0]!.quality.forEach((rule, q) => {
    const check = qualityCheck(rule, base, dialect, undefined, `schema.0.quality.${q}`, problems);
    if (check) checks.push(check);
  });

  const names = new Set<string>();
  for (const check of checks) {
    if (names.has(check.name)) {
      problems.push({
        path: 'quality',
        expected: 'quality rule names used once per dataset',
        found: `${check.name} twice`,
      });
    }
    names.add(check.name);
  }
  if (problems.length > 0) throw new ConfigError(contract.file, problems);
  return checks;
}

const ruleDescriptions: Record<string, string> = {
  required: 'is never missing',
  pattern: 'matches its pattern',
  min_length: 'is not shorter than its minimum length',
  max_length: 'is not longer than its maximum length',
  minimum: 'is not below its minimum',
  maximum: 'is not above its maximum',
  accepted_values: 'is one of its accepted values',
};

/** `customers.customer_id` → the contract named `customers` (same layer first) and its column. */
function referenceTarget(
  from: Contract,
  contracts: ContractRegistry,
  to: string,
): { contract: Contract; column: string } | undefined {
  const [datasetName, column] = to.split('.');
  const candidates = contracts
    .all()
    .filter((c) => c.document.schema[0]!.name === datasetName && c.column(column ?? ''));
  const contract = candidates.find((c) => c.layer === from.layer) ?? candidates[0];
  return contract && column ? { contract, column } : undefined;
}

const operators = [
  'mustBe',
  'mustNotBe',
  'mustBeGreaterThan',
  'mustBeGreaterOrEqualTo',
  'mustBeLessThan',
  'mustBeLessOrEqualTo',
  'mustBeBetween',
  'mustNotBeBetween',
] as const;

function thresholdOf(rule: QualityRule): Threshold | undefined {
  const operator = operators.find((o) => rule[o] !== undefined);
  if (!operator) return undefined;
  return {
    operator,
    value: rule[operator] as Threshold['value'],
    unit: rule.unit === 'percent' ? 'percent' : 'rows',
  };
}

/** One ODCS quality rule as a check; problems name the rule's path in the contract. */
function qualityCheck(
  rule: QualityRule,
  base: { dataset: string; relation: string },
  d: SqlDialect,
  column: string | undefined,
  path: string,
  problems: { path: string; expected: string; found: string }[],
): Check | undefined {
  if (rule.type === 'text') return undefined;
  const severity: Severity = rule.severity ?? 'error';
  const threshold = thresholdOf(rule);
  const col = column === undefined ? undefined : d.quote(column);
  const named = (fallback: string) => rule.name ?? fallback;
  const fail = (expected: string) => {
    problems.push({ path, expected, found: JSON.stringify(rule) });
    return undefined;
  };

  if (rule.type === 'sql') {
    if (!rule.query || !threshold)
      return fail('a sql rule with a query and one operator (mustBe...)');
    if (!rule.name) return fail('a name for the sql rule');
    const unknown = unknownRuleReferences(rule.query);
    if (unknown.length > 0)
      return fail(
        `only \${table}, \${rows}, \${<schema>.<name>} and \${rows:<schema>.<name>} in the query, not ${unknown.join(', ')}`,
      );
    return {
      ...base,
      kind: 'sql',
      name: rule.name,
      column,
      severity,
      dimension: rule.dimension ?? 'accuracy',
      description: rule.description ?? `${rule.query} ${describeThreshold(threshold)}`,
      query: rule.query,
      threshold,
    };
  }
  if (rule.type === 'custom') {
    if (rule.engine !== 'medallion') return undefined;
    const parsed = anomalySchema.safeParse(
      typeof rule.implementation === 'object' ? rule.implementation.anomaly : undefined,
    );
    if (!parsed.success || !rule.name)
      return fail(
        'a named custom rule with implementation.anomaly { metric, method: change|zscore, maxChange | k, window, minHistory }',
      );
    const anomaly = parsed.data;
    if (anomaly.metric !== 'rowCount' && column === undefined)
      return fail(`a column rule for the ${anomaly.metric} metric (or metric rowCount)`);
    return {
      ...base,
      kind: 'anomaly',
      name: rule.name,
      column,
      severity: rule.severity ?? 'warning',
      dimension: rule.dimension ?? 'accuracy',
      description:
        rule.description ??
        (anomaly.method === 'change'
          ? `${anomaly.metric}${column ? ` of ${column}` : ''} changes by at most ${anomaly.maxChange * 100}% from the last run`
          : `${anomaly.metric}${column ? ` of ${column}` : ''} stays within ${anomaly.k}σ of the last ${anomaly.window} runs`),
      rule: { ...anomaly, minHistory: anomaly.minHistory ?? (anomaly.method === 'change' ? 1 : 5) },
    };
  }

  switch (rule.metric) {
    case 'rowCount':
      if (column !== undefined || !threshold)
        return fail('a dataset-level rowCount rule with one operator');
      return {
        ...base,
        kind: 'row_count',
        name: named('row_count'),
        severity,
        dimension: rule.dimension ?? 'coverage',
        description: `row count ${describeThreshold(threshold)}`,
        threshold,
      };
    case 'nullValues':
    case 'missingValues': {
      if (col === undefined) return fail('a column rule');
      const missing = rule.arguments?.missingValues ?? [];
      const failing =
        rule.metric === 'nullValues' || missing.length === 0
          ? `${col} is null`
          : `(${col} is null or ${col} in (${missing.map((v) => (typeof v === 'string' ? d.string(v) : String(v))).join(', ')}))`;
      const t = threshold ?? noFailingRows;
      return {
        ...base,
        kind: 'rows',
        name: named(`${column}.${rule.metric === 'nullValues' ? 'null_values' : 'missing_values'}`),
        column,
        severity,
        dimension: rule.dimension ?? 'completeness',
        description: `${rule.metric === 'nullValues' ? 'null' : 'missing'} ${column} ${describeThreshold(t)}`,
        failing,
        threshold: t,
      };
    }
    case 'invalidValues': {
      if (col === undefined) return fail('a column rule');
      // Accepted values allowing no failing row are already the column's accepted_values check.
      if (isAcceptedValues(rule)) return undefined;
      const valid = rule.arguments?.validValues;
      const pattern = rule.arguments?.pattern;
      if (!valid && !pattern) return fail('arguments.validValues or arguments.pattern');
      const conditions = [
        ...(valid
          ? [
              `${col} not in (${valid.map((v) => (typeof v === 'string' ? d.string(v) : String(v))).join(', ')})`,
            ]
          : []),
        ...(pattern ? [`not ${d.regexMatches(col, pattern)}`] : []),
      ];
      const t = threshold ?? noFailingRows;
      return {
        ...base,
        kind: 'rows',
        name: named(`${column}.invalid_values`),
        column,
        severity,
        dimension: rule.dimension ?? 'conformity',
        description: `invalid ${column} ${describeThreshold(t)}`,
        failing: `${col} is not null and (${conditions.join(' or ')})`,
        threshold: t,
      };
    }
    case 'duplicateValues': {
      const columns = column !== undefined ? [column] : (rule.arguments?.properties ?? []);
      if (columns.length === 0)
        return fail('a column rule, or arguments.properties at dataset level');
      const t = threshold ?? noFailingRows;
      return {
        ...base,
        kind: 'unique',
        name: named(`${columns.join('_')}.duplicate_values`),
        column,
        severity,
        dimension: rule.dimension ?? 'uniqueness',
        description: `rows sharing (${columns.join(', ')}) ${describeThreshold(t)}`,
        columns,
        threshold: t,
      };
    }
    default:
      return fail('a library metric, a sql rule, or a custom rule with engine: medallion');
  }
}

/** An accepted-values rule allowing no invalid row: what the contract's row rules enforce. */
function isAcceptedValues(rule: QualityRule): boolean {
  const t = thresholdOf(rule);
  return (
    rule.metric === 'invalidValues' &&
    rule.arguments?.validValues !== undefined &&
    rule.arguments.pattern === undefined &&
    (t === undefined || (t.operator === 'mustBe' && t.value === 0))
  );
}

/** `mustBeLessOrEqualTo 5 %` → `at most 5%`. */
export function describeThreshold(t: Threshold): string {
  const unit = t.unit === 'percent' ? '%' : '';
  const v = (n: number) => `${n}${unit}`;
  switch (t.operator) {
    case 'mustBe':
      return `is ${v(t.value as number)}`;
    case 'mustNotBe':
      return `is not ${v(t.value as number)}`;
    case 'mustBeGreaterThan':
      return `is more than ${v(t.value as number)}`;
    case 'mustBeGreaterOrEqualTo':
      return `is at least ${v(t.value as number)}`;
    case 'mustBeLessThan':
      return `is less than ${v(t.value as number)}`;
    case 'mustBeLessOrEqualTo':
      return `is at most ${v(t.value as number)}`;
    case 'mustBeBetween': {
      const [a, b] = t.value as readonly [number, number];
      return `is between ${v(a)} and ${v(b)}`;
    }
    case 'mustNotBeBetween': {
      const [a, b] = t.value as readonly [number, number];
      return `is not between ${v(a)} and ${v(b)}`;
    }
  }
}

/** Whether a measurement meets its threshold. */
export function meets(observed: number, t: Threshold): boolean {
  switch (t.operator) {
    case 'mustBe':
      return observed === t.value;
    case 'mustNotBe':
      return observed !== t.value;
    case 'mustBeGreaterThan':
      return observed > (t.value as number);
    case 'mustBeGreaterOrEqualTo':
      return observed >= (t.value as number);
    case 'mustBeLessThan':
      return observed < (t.value as number);
    case 'mustBeLessOrEqualTo':
      return observed <= (t.value as number);
    case 'mustBeBetween': {
      const [a, b] = t.value as readonly [number, number];
      return observed >= a && observed <= b;
    }
    case 'mustNotBeBetween': {
      const [a, b] = t.value as readonly [number, number];
      return observed < a || observed > b;
    }
  }
}
