/**
 * What `medallion new` writes, as text: a contract from inferred columns, a model skeleton over
 * its inputs, a source's config entry. Hand-written contracts mostly restated a CSV header or a
 * model's SELECT; these are generated from the data or the SQL instead, then reviewed.
 */
import { isMap, parseDocument, stringify, type YAMLMap } from 'yaml';
import type { Classification, ContractProperty } from './contracts/schema';
import type { Suggestion } from './dq/suggest';
import { PipelineError } from './errors';
import { typeFamily } from './sql-types';

export type ScaffoldLayer = 'bronze' | 'silver' | 'gold';

/** A column as inferred: its name and engine type (DuckDB's, from DESCRIBE). */
export interface InferredColumn {
  readonly name: string;
  readonly type: string;
}

/**
 * The portable type (see `sql-types.ts`) an engine type is stored as. Nested and exotic values
 * (STRUCT, LIST, JSON, UUID, TIME) are kept as text, as landing keeps a JSON object for a text
 * column; unsigned and huge integers become a DECIMAL wide enough to hold them.
 */
export function portableType(engineType: string): string {
  const t = engineType.toUpperCase().trim();
  const decimal = /^(?:DECIMAL|NUMERIC)\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `DECIMAL(${decimal[1]},${decimal[2]})`;
  if (/^(TINYINT|SMALLINT|INTEGER|INT|UTINYINT|USMALLINT)$/.test(t)) return 'INTEGER';
  if (/^(BIGINT|UINTEGER)$/.test(t)) return 'BIGINT';
  if (t === 'UBIGINT') return 'DECIMAL(20,0)';
  if (/^U?HUGEINT$/.test(t)) return 'DECIMAL(38,0)';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return 'DOUBLE';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'DATE') return 'DATE';
  if (/^TIMESTAMP(_S|_MS|_NS)?\b/.test(t) || t === 'TIMESTAMPTZ') return 'TIMESTAMP';
  return 'VARCHAR';
}

/** The ODCS logical type of a portable physical type. */
export function logicalTypeOf(physicalType: string): ContractProperty['logicalType'] {
  switch (typeFamily(physicalType)) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    default:
      return 'string';
  }
}

/** Columns every bronze table and silver model carries besides the contract's: never declared. */
export const metadataColumns = ['_ingested_at', '_source_ref', '_source_row', '_run_id'];

export interface ContractDraft {
  /** `<source>.<dataset>` for bronze, `<layer>.<name>` otherwise. */
  readonly id: string;
  readonly layer: ScaffoldLayer;
  /** The relation engines query: `bronze.<source>_<dataset>`, `silver.<name>`... */
  readonly relation: string;
  readonly purpose: string;
  readonly owner: string;
  readonly domain?: string;
  readonly columns: readonly InferredColumn[];
  /** Primary key columns, in order. */
  readonly key?: readonly string[];
  /** Columns a PII scan found personal data in: classified pii, the rest internal. */
  readonly pii?: ReadonlySet<string>;
  /** What an input's contract says of a column the model passes on: kept, pii stays pii. */
  readonly inherited?: ReadonlyMap<
    string,
    { readonly classification?: Classification; readonly description?: string }
  >;
  /** `dq suggest` proposals from a profile of the sample. */
  readonly suggestions?: readonly Suggestion[];
  /** Where the columns came from, said in the file's first comment. */
  readonly inferredFrom: string;
}

/** Contract YAML (ODCS v3.1), in the shape of the project's hand-written contracts. */
export function renderContract(draft: ContractDraft): string {
  const columns = draft.columns.filter((c) => !metadataColumns.includes(c.name));
  if (columns.length === 0)
    throw new PipelineError(
      `${draft.id}: no column to declare (inferred from ${draft.inferredFrom})`,
    );
  const key = draft.key ?? [];
  const names = columns.map((c) => c.name);
  const missing = key.filter((k) => !names.includes(k));
  if (missing.length > 0)
    throw new PipelineError(
      `${draft.id}: key column(s) ${missing.join(', ')} not among the columns (${names.join(', ')})`,
    );
  const suggested = (column: string) =>
    (draft.suggestions ?? []).filter((s) => s.column === column);
  const properties = columns.map((c) => {
    const physicalType = portableType(c.type);
    const position = key.indexOf(c.name);
    const inherited = draft.inherited?.get(c.name);
    const classification: Classification = draft.pii?.has(c.name)
      ? 'pii'
      : (inherited?.classification ?? 'internal');
    const property: Record<string, unknown> = {
      name: c.name,
      logicalType: logicalTypeOf(physicalType),
      physicalType,
      ...(inherited?.description ? { description: inherited.description } : {}),
    };
    if (position >= 0)
      Object.assign(property, { primaryKey: true, primaryKeyPosition: position + 1 });
    for (const s of suggested(c.name)) mergeSuggestion(property, s, physicalType);
    if (position >= 0) {
      property.required = true;
      delete property.unique;
    }
    property.classification = classification;
    return property;
  });
  const name = draft.id.split('.')[1];
  const datasetRules = (draft.suggestions ?? [])
    .filter((s) => s.column === undefined)
    .flatMap((s) => (s.add.quality as unknown[] | undefined) ?? []);
  const document = {
    apiVersion: 'v3.1.0',
    kind: 'DataContract',
    id: draft.id,
    name,
    version: '0.1.0',
    status: 'draft',
    ...(draft.domain ? { domain: draft.domain } : {}),
    dataProduct: draft.layer,
    team: { name: draft.owner },
    description: { purpose: draft.purpose },
    schema: [
      {
        name,
        physicalName: draft.relation,
        physicalType: 'table',
        logicalType: 'object',
        description: draft.purpose,
        properties,
        ...(datasetRules.length > 0 ? { quality: datasetRules } : {}),
      },
    ],
  };
  return (
    `# Data contract for ${draft.relation} (Open Data Contract Standard v3.1).\n` +
    `# Generated by medallion new from ${draft.inferredFrom}: describe each column, review the\n` +
    `# classifications and rules (a sample shows what the data is, not what it must be).\n` +
    stringify(document, { lineWidth: 100, singleQuote: true })
  );
}

/**
 * A suggestion's keys on a property. Rules that only fit text (lengths, patterns) are dropped
 * from a column typed otherwise: the contract would not load.
 */
function mergeSuggestion(
  property: Record<string, unknown>,
  suggestion: Suggestion,
  physicalType: string,
): void {
  for (const [key, value] of Object.entries(suggestion.add)) {
    if (key === 'quality')
      property.quality = [...((property.quality as unknown[]) ?? []), ...(value as unknown[])];
    else if (key === 'logicalTypeOptions') {
      const options = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).filter(
          ([o]) =>
            typeFamily(physicalType) === 'text' ||
            !['minLength', 'maxLength', 'pattern'].includes(o),
        ),
      );
      if (Object.keys(options).length > 0)
        property.logicalTypeOptions = {
          ...((property.logicalTypeOptions as Record<string, unknown>) ?? {}),
          ...options,
        };
    } else property[key] = value;
  }
}

/** A model's input: a bronze dataset through `source()`, or a model or seed through `ref()`. */
export type ModelInput =
  | {
      readonly kind: 'source';
      readonly source: string;
      readonly dataset: string;
      readonly columns: readonly InferredColumn[];
    }
  | { readonly kind: 'ref'; readonly name: string; readonly columns: readonly InferredColumn[] };

export interface ModelDraft {
  /** `<layer>.<name>`. */
  readonly name: string;
  readonly description: string;
  readonly materialization: 'table' | 'incremental' | 'scd2';
  readonly inputs: readonly ModelInput[];
  readonly key?: readonly string[];
}

export interface ModelFiles {
  /** The Jinja template, `models/<layer>/<name>.sql`. */
  readonly sql: string;
  /** The same SELECT with inputs named as relations: what DESCRIBE can bind. */
  readonly plainSql: string;
  readonly yml: string;
}

function relationOf(input: ModelInput): string {
  return input.kind === 'source' ? `bronze.${input.source}_${input.dataset}` : input.name;
}

function templateOf(input: ModelInput): string {
  return input.kind === 'source'
    ? `{{ source('${input.source}', '${input.dataset}') }}`
    : `{{ ref('${input.name}') }}`;
}

/**
 * A SELECT over the first input with its columns listed, each later input left-joined by the key;
 * `_ingested_at` is kept for an incremental or scd2 model over a source, as the merge needs it to
 * pick a key's latest row.
 */
export function renderModel(draft: ModelDraft): ModelFiles {
  const [first, ...others] = draft.inputs;
  if (!first) throw new PipelineError(`${draft.name}: give its input with --from`);
  const key = draft.key ?? [];
  if (draft.materialization !== 'table' && key.length === 0)
    throw new PipelineError(
      `${draft.name}: a ${draft.materialization} model needs its unique key (--key a,b)`,
    );
  const aliases = draft.inputs.map((_, i) => `i${i + 1}`);
  const listed = new Set<string>();
  const lines: string[] = [];
  draft.inputs.forEach((input, i) => {
    for (const c of input.columns) {
      if (metadataColumns.includes(c.name) || listed.has(c.name)) continue;
      listed.add(c.name);
      lines.push(`  ${aliases[i]}.${c.name}`);
    }
  });
  for (const input of others) {
    const missing = key.filter((k) => !input.columns.some((c) => c.name === k));
    if (key.length === 0 || missing.length > 0)
      throw new PipelineError(
        `${draft.name}: ${relationOf(input)} is joined to ${relationOf(first)} by --key, which it lacks (${(missing.length > 0 ? missing : ['no --key']).join(', ')})`,
      );
  }
  const keepIngestedAt = draft.materialization !== 'table' && first.kind === 'source';
  const select = (from: (input: ModelInput) => string) => {
    const body = [...lines];
    if (keepIngestedAt) {
      body.push(
        '  -- Kept so the merge picks the latest row of a key, and a run reads only new bronze rows.',
        `  ${aliases[0]}._ingested_at`,
      );
    }
    const columns = body
      .map((line, j) =>
        line.trimStart().startsWith('--') || j === body.length - 1 ? line : `${line},`,
      )
      .join('\n');
    const joins = others.map(
      (input, i) => `left join ${from(input)} ${aliases[i + 1]} using (${key.join(', ')})`,
    );
    return [
      `-- ${draft.description}`,
      'select',
      columns,
      `from ${from(first)} ${aliases[0]}`,
      ...joins,
      '',
    ].join('\n');
  };
  const config: Record<string, unknown> = {
    description: draft.description,
    materialization: draft.materialization,
    ...(key.length > 0 && draft.materialization !== 'table' ? { unique_key: [...key] } : {}),
    ...(keepIngestedAt ? { latest_by: ['_ingested_at'] } : {}),
  };
  if (draft.materialization === 'scd2') {
    const dated = draft.inputs
      .flatMap((input) => input.columns)
      .find((c) => !metadataColumns.includes(c.name) && typeFamily(c.type) === 'timestamp');
    if (!dated)
      throw new PipelineError(
        `${draft.name}: an scd2 model dates each version by a timestamp column, and its inputs have none`,
      );
    config.valid_from = dated.name;
  }
  return { sql: select(templateOf), plainSql: select(relationOf), yml: stringify(config) };
}

/** A source's config entry, by kind, with one dataset when given. */
export interface SourceDraft {
  readonly name: string;
  readonly kind: 'warehouse' | 'rest' | 'kafka';
  readonly description: string;
  /** Warehouse only. */
  readonly engine?: 'snowflake' | 'redshift';
}

export interface DatasetDraft {
  readonly name: string;
  /** Table (warehouse), path (rest) or topic (kafka); the dataset's name when not given. */
  readonly location?: string;
  readonly watermark?: string;
}

export function datasetEntry(
  kind: SourceDraft['kind'],
  dataset: DatasetDraft,
): Record<string, string> {
  switch (kind) {
    case 'warehouse':
      return {
        table: dataset.location ?? dataset.name,
        watermark: dataset.watermark ?? 'updated_at',
      };
    case 'rest':
      return {
        path: dataset.location ?? `/${dataset.name}`,
        watermark: dataset.watermark ?? 'updated_at',
      };
    case 'kafka':
      return { topic: dataset.location ?? dataset.name };
  }
}

/**
 * The config file with `source` added as the last entry of `sources:`. The rest of the file is
 * kept byte for byte (comments, flow maps, quoting): the entry is rendered alone and spliced in
 * where the YAML Document API says the map ends. `file` names the file in errors.
 */
export function withSource(text: string, file: string, source: SourceDraft): string {
  const document = parseDocument(text);
  const sources = blockMap(document.get('sources', true), file, 'sources');
  if (sources.has(source.name))
    throw new PipelineError(`${file}: sources.${source.name} exists already`);
  const entry = {
    kind: source.kind,
    ...(source.kind === 'warehouse' ? { engine: source.engine ?? 'snowflake' } : {}),
    description: source.description,
  };
  const lines = [
    `${source.name}:`,
    ...stringify(entry, { singleQuote: true })
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`),
    '  datasets: {}',
  ];
  return spliced(text, sources, lines, file);
}

/** The config file with `dataset` added to `sources.<source>.datasets`, the rest kept as it is. */
export function withDataset(
  text: string,
  file: string,
  source: string,
  dataset: DatasetDraft,
): string {
  const document = parseDocument(text);
  const sources = blockMap(document.get('sources', true), file, 'sources');
  const entry = sources.get(source, true);
  if (!isMap(entry)) throw new PipelineError(`${file}: no source sources.${source}`);
  const kind = String(entry.get('kind'));
  if (!['warehouse', 'rest', 'kafka'].includes(kind))
    throw new PipelineError(
      `${file}: sources.${source}.kind is ${kind}, not warehouse, rest or kafka`,
    );
  const values = datasetEntry(kind as SourceDraft['kind'], dataset);
  const flow = `{ ${Object.entries(values)
    .map(([k, v]) => `${k}: ${stringify(v, { singleQuote: true }).trimEnd()}`)
    .join(', ')} }`;
  const datasets: unknown = entry.get('datasets', true);
  if (isMap(datasets) && datasets.has(dataset.name))
    throw new PipelineError(`${file}: sources.${source}.datasets.${dataset.name} exists already`);
  if (isMap(datasets) && datasets.flow && datasets.items.length === 0) {
    // `datasets: {}`, as `new source` writes it: replaced by a block map of one entry.
    const [from, to] = datasets.range!;
    const indent = ' '.repeat(columnOf(text, entry.items[0]!.key) + 2);
    return `${text.slice(0, from).trimEnd()}\n${indent}${dataset.name}: ${flow}${text.slice(to)}`;
  }
  return spliced(
    text,
    blockMap(datasets, file, `sources.${source}.datasets`),
    [`${dataset.name}: ${flow}`],
    file,
  );
}

/** `lines` added as the last entries of a block `map`, indented as its keys are. */
function spliced(text: string, map: YAMLMap, lines: readonly string[], file: string): string {
  const last = map.items.at(-1);
  if (!last) throw new PipelineError(`${file}: an empty map cannot be added to in place`);
  const valueEnd = (last.value as { range?: [number, number, number] } | null)?.range?.[1];
  const keyEnd = (last.key as { range?: [number, number, number] }).range![1];
  const end = text.indexOf('\n', Math.max(valueEnd ?? keyEnd, keyEnd) - 1);
  const at = end === -1 ? text.length : end + 1;
  const indent = ' '.repeat(columnOf(text, map.items[0]!.key));
  const added = lines.map((line) => `${indent}${line}\n`).join('');
  const result = `${text.slice(0, at)}${end === -1 ? '\n' : ''}${added}${text.slice(at)}`;
  const check = parseDocument(result);
  if (check.errors.length > 0)
    throw new PipelineError(`${file}: the entry could not be added: ${check.errors[0]!.message}`);
  return result;
}

function columnOf(text: string, node: unknown): number {
  const start = (node as { range?: [number, number, number] }).range![0];
  return start - (text.lastIndexOf('\n', start - 1) + 1);
}

/** The kind of `source` in a config file, undefined when it has no such source. */
export function sourceKind(text: string, source: string): SourceDraft['kind'] | undefined {
  const document = parseDocument(text);
  const kind = document.getIn(['sources', source, 'kind']);
  return kind === 'warehouse' || kind === 'rest' || kind === 'kafka' ? kind : undefined;
}

function blockMap(node: unknown, file: string, path: string): YAMLMap {
  if (!isMap(node) || node.flow)
    throw new PipelineError(`${file}: ${path} is not a block map (one entry per line) to add to`);
  return node;
}
