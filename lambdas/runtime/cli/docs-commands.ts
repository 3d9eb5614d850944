/**
 * `medallion docs build|serve`: the docs site (see `core/docs/site.ts`) written to a folder that
 * opens from `file://`, and served on localhost for those who prefer a URL.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { PipelineError } from '../../core/errors';
import { buildCatalog, DatasetStatuses, type DatasetRun } from '../../core/catalog';
import { buildDocsSite, siteDatasets, type DocsInput, type ScorePoint } from '../../core/docs/site';
import { buildLineageGraph } from '../../core/lineage/graph';
import { context, openReadOnly } from './context';
import { bold, dim, green } from './output';

/** Runs per dataset page, and DQ scores per trend line. */
const lastRuns = 10;
const trendPoints = 30;

export function docsCommand(): Command {
  const docs = new Command('docs').description(
    'The docs site: a page per dataset (schema, owner, lineage, quality, freshness, runs), search, and the lineage graph.',
  );

  docs
    .command('build')
    .description(
      'Write the docs site to a folder: static HTML that opens from file:// and fetches nothing.',
    )
    .option('--out <dir>', 'where to write it (default: <lake>/docs)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion docs build                 # then open .lake/docs/index.html\n  $ medallion docs build --out site',
    )
    .action(async (options: { out?: string }, command: Command) => {
      await build(command, options.out);
    });

  docs
    .command('serve')
    .description('Build the docs site, then serve it on localhost until Ctrl-C.')
    .option('--out <dir>', 'the site folder (default: <lake>/docs)')
    .option('--port <n>', 'port to listen on (0: any free port)', portOption, 4173)
    .option('--no-build', 'serve the folder as it is, without building it first')
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion docs serve                 # http://127.0.0.1:4173/\n  $ medallion docs serve --port 8080 --no-build',
    )
    .action(async (options: { out?: string; port: number; build: boolean }, command: Command) => {
      const out = options.build
        ? await build(command, options.out)
        : path.resolve(options.out ?? path.join((await context(command)).lakeRoot, 'docs'));
      if (!existsSync(path.join(out, 'index.html'))) {
        throw new PipelineError(
          `No docs site in ${out}: run \`medallion docs build\` first, or drop --no-build.`,
        );
      }
      await serve(out, options.port);
    });

  return docs;
}

async function build(command: Command, outOption: string | undefined): Promise<string> {
  const { project, lakeRoot } = await context(command);
  const out = path.resolve(outOption ?? path.join(lakeRoot, 'docs'));
  const graph = buildLineageGraph(project);
  let statuses = new Map();
  let lake: DocsInput['lake'];
  if (existsSync(path.join(lakeRoot, 'lakehouse.duckdb'))) {
    process.stderr.write(`${dim(`Reading run history and quality scores from ${lakeRoot}`)}\n`);
    const lakehouse = await openReadOnly(project, lakeRoot);
    try {
      const reader = new DatasetStatuses(lakehouse);
      statuses = await reader.all();
      const scores: Map<string, ScorePoint[]> = await reader.scoreTrends(trendPoints);
      const runs = new Map<string, DatasetRun[]>();
      for (const contract of project.contracts.all()) {
        runs.set(contract.id, await reader.history(contract.id, lastRuns));
      }
      lake = { runs, scores };
    } finally {
      lakehouse.close();
    }
  } else {
    process.stderr.write(
      `${dim(`No lake at ${lakeRoot} yet: the site shows the definitions only (run \`npm run pipeline\` for run figures).`)}\n`,
    );
  }
  const generatedAt = new Date();
  const entries = buildCatalog(project.contracts, statuses, generatedAt, graph.datasetEdges);
  const input: DocsInput = {
    title: `${project.config.project} (${project.config.env})`,
    entries,
    graph,
    ...(lake ? { lake } : {}),
    lakeRoot,
    generatedAt,
  };
  const files = buildDocsSite(input);
  await mkdir(path.join(out, 'datasets'), { recursive: true });
  await Promise.all(files.map((f) => writeFile(path.join(out, f.path), f.content)));
  const pages = siteDatasets(input).length;
  process.stderr.write(
    `${green('Wrote')} ${files.length} pages (${pages} datasets, the index and the lineage graph) to ${out}\n` +
      `Open ${bold(pathToFileURL(path.join(out, 'index.html')).href)} or run \`medallion docs serve\`.\n`,
  );
  return out;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Serves `root` on 127.0.0.1 until Ctrl-C; only files inside `root` are served. */
async function serve(root: string, port: number): Promise<void> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const relative = decodeURIComponent(url.pathname).replace(/\/$/, '/index.html');
    const file = path.resolve(root, `.${relative}`);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (!file.startsWith(root + path.sep)) {
      response.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        response.writeHead(200, {
          'Content-Type': contentTypes[path.extname(file)] ?? 'application/octet-stream',
          'Content-Length': body.length,
        });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      () => response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`Serving ${root} at http://127.0.0.1:${bound}/ (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      process.stderr.write('\nStopped.\n');
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
}

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 65_535)
    throw new InvalidArgumentError('expected a port number (0 to 65535)');
  return n;
}
