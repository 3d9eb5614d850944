/**
 * `medallion catalog search|show`: the datasets of the platform as their contracts describe them,
 * with their lineage neighbours and what the runs recorded about them (rows, last update,
 * freshness against the SLA, DQ score).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { distance } from 'fastest-levenshtein';
import {
  buildCatalog,
  DatasetStatuses,
  searchCatalog,
  type CatalogEntry,
  type DatasetRun,
  type DatasetStatus,
} from '../../core/catalog';
import { PipelineError } from '../../core/errors';
import { buildLineageGraph } from '../../core/lineage/graph';
import type { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { context, openReadOnly } from './context';
import { bold, dim, formatRows, type OutputFormat } from './output';

export function catalogCommand(): Command {
  const catalog = new Command('catalog').description(
    'The data catalog: find datasets and columns, and see one dataset’s schema, owner, PII, lineage and runs.',
  );

  catalog
    .command('search')
    .description(
      'Datasets whose name, description, owner, domain or tags, or whose columns’ names, descriptions, tags or classifications, contain the term.',
    )
    .argument('<term>', 'text to look for, case-insensitive (e.g. pii, email, finance)')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion catalog search pii          # every dataset with PII columns, and which\n  $ medallion catalog search customer --format json',
    )
    .action(async (term: string, options: { format: OutputFormat }, command: Command) => {
      const entries = await catalogEntries(command);
      const hits = searchCatalog(entries, term);
      if (options.format === 'json') {
        process.stdout.write(
          `${JSON.stringify(
            hits.map((h) => ({ ...h.entry, matches: h.matches })),
            null,
            2,
          )}\n`,
        );
        return;
      }
      process.stderr.write(`${hits.length} dataset(s) match "${term}"\n`);
      if (hits.length === 0) return;
      const rows = hits.map(({ entry, matches }) => ({
        dataset: entry.dataset,
        layer: entry.layer,
        owner: entry.owner,
        rows: entry.status.rowCount ?? '',
        dq_score: entry.status.dqScore ?? '',
        matches: matches.join('; '),
      }));
      process.stdout.write(`${formatRows(rows, options.format)}\n`);
    });

  catalog
    .command('show')
    .description(
      'One dataset: description, owner, schema with classifications, PII columns, upstream and downstream, freshness, DQ score and last runs.',
    )
    .argument('<dataset>', 'a dataset id, e.g. gold.customer_360 or snowflake.customers')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', '\nExample:\n  $ medallion catalog show gold.customer_360')
    .action(async (dataset: string, options: { format: 'text' | 'json' }, command: Command) => {
      const { entries, runs } = await catalogEntries(command, dataset);
      const entry = entries.find((e) => e.dataset === dataset || e.relation === dataset);
      if (!entry) {
        const near = entries
          .map((e) => ({ dataset: e.dataset, d: distance(e.dataset, dataset) }))
          .filter((e) => e.d <= Math.max(3, dataset.length / 4))
          .sort((a, b) => a.d - b.d)
          .map((e) => e.dataset);
        throw new PipelineError(
          `No dataset ${dataset} in the catalog${near.length > 0 ? ` (did you mean ${near.slice(0, 5).join(', ')}?)` : ''}`,
        );
      }
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ ...entry, runs }, null, 2)}\n`);
        return;
      }
      process.stdout.write(showText(entry, runs));
    });

  return catalog;
}

type Runs = DatasetRun[];

/** The catalog from the definitions, with the lake's run figures when there is a lake. */
async function catalogEntries(command: Command): Promise<CatalogEntry[]>;
async function catalogEntries(
  command: Command,
  dataset: string,
): Promise<{ entries: CatalogEntry[]; runs: Runs }>;
async function catalogEntries(command: Command, dataset?: string) {
  const { project, lakeRoot } = await context(command);
  let statuses = new Map<string, DatasetStatus>();
  let runs: Runs = [];
  if (existsSync(path.join(lakeRoot, 'lakehouse.duckdb'))) {
    const lakehouse: DuckDbLakehouse = await openReadOnly(project, lakeRoot);
    try {
      const reader = new DatasetStatuses(lakehouse);
      statuses = await reader.all();
      if (dataset) runs = await reader.history(dataset, 5);
    } finally {
      lakehouse.close();
    }
  } else {
    process.stderr.write(
      `${dim(`No lake at ${lakeRoot} yet: showing the definitions only (run \`npm run pipeline\` for run figures).`)}\n`,
    );
  }
  const graph = buildLineageGraph(project);
  const entries = buildCatalog(project.contracts, statuses, new Date(), graph.datasetEdges);
  return dataset === undefined ? entries : { entries, runs };
}

function showText(entry: CatalogEntry, runs: Runs): string {
  const { status, freshness } = entry;
  const pii = entry.columns.filter((c) => c.classification === 'pii').map((c) => c.name);
  const lines = [
    `${bold(entry.dataset)} (${entry.layer}, table ${entry.relation}, contract ${entry.version})`,
    entry.description,
    '',
    `Owner:        ${entry.owner}${entry.domain ? ` (domain ${entry.domain})` : ''}`,
    ...(entry.tags.length > 0 ? [`Tags:         ${entry.tags.join(', ')}`] : []),
    `PII columns:  ${pii.length > 0 ? pii.join(', ') : 'none'}`,
    `Rows:         ${status.rowCount ?? status.rowsWritten ?? 'unknown (no run yet)'}`,
    `DQ score:     ${status.dqScore ?? 'not checked'}`,
    `Last updated: ${status.updatedAt ? `${status.updatedAt} by run ${status.lastRunId}` : 'never'}`,
    ...(freshness
      ? [
          `Freshness:    ${freshness.ageHours} h old${freshness.slaHours === undefined ? '' : `, SLA ${freshness.slaHours} h: ${freshness.fresh ? 'fresh' : 'STALE'}`}`,
        ]
      : []),
    `Upstream:     ${entry.upstream.join(', ') || 'none'}`,
    `Downstream:   ${entry.downstream.join(', ') || 'none'}`,
    '',
    formatRows(
      entry.columns.map((c) => ({
        column: c.name,
        type: c.type,
        classification: c.classification,
        description: c.description,
      })),
      'table',
    ),
  ];
  if (runs.length > 0) {
    lines.push('', 'Last runs:', formatRows(runs, 'table'));
  }
  return `${lines.join('\n')}\n`;
}
