/**
 * `medallion test`: the selected models' unit tests (`models/<layer>/<model>.test.yml`), their
 * Athena compile check, and the definition checks `medallion validate` makes. Exit 1 on any
 * failure, 2 on a usage error; `--junit` and `--format json` are for CI.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { ModelGraphError } from '../../core/errors';
import { selectModels } from '../../core/models/selection';
import type { Model } from '../../core/models/project';
import { loadModels } from '../../definitions/project-files';
import { projectRoot } from '../../definitions/project-root';
import { loadContracts } from '../../definitions/source-files';
import { runModelTests, type CaseResult } from '../model-tests';
import { validateProject } from '../validate';
import { bold, dim, green, red, yellow } from './output';

interface GlobalOptions {
  env: string;
  config?: string;
}

interface TestOptions {
  select?: string[];
  exclude?: string[];
  format: 'text' | 'json';
  junit?: string;
  project?: string;
}

export function testCommand(): Command {
  return new Command('test')
    .description(
      "Run the models' unit tests (models/<layer>/<model>.test.yml) on DuckDB, check each model compiles for Athena, and check the definitions as validate does. Exit 1 on any failure.",
    )
    .option(
      '-s, --select <selector...>',
      'models to test (dbt-style: silver.orders, tag:x, +gold.fact_orders)',
    )
    .option('--exclude <selector...>', 'models not to test')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .option('--junit <file>', 'also write a JUnit XML report, one <testcase> per case')
    .option('--project <dir>', 'project folder holding config/ and models/ (default: this one)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion test\n  $ medallion test --select gold.dim_customer+ --junit reports/models.xml\n  $ medallion test --format json',
    )
    .action(async (options: TestOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const root = options.project ? path.resolve(options.project) : projectRoot;
      const started = performance.now();
      // Contracts or models that do not load are the definition checks' to report, file by file;
      // there is then nothing to unit test.
      const loaded = await loadContracts(root)
        .then(async (contracts) => ({ contracts, project: await loadModels(root, contracts) }))
        .catch(() => undefined);
      let models: Model[] = [];
      try {
        if (loaded)
          models = selectModels(loaded.project, {
            select: options.select,
            exclude: options.exclude,
          });
      } catch (error) {
        if (!(error instanceof ModelGraphError)) throw error;
        process.stderr.write(`${red('error:')} ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      const progress = options.format === 'text' ? printProgress : () => {};
      const validation = await validateProject({
        root,
        env: globals.env,
        configFile: globals.config,
      });
      const definitions: CaseResult[] =
        validation.problems.length === 0
          ? [definitionResult('definitions', 'passed', validation.seconds)]
          : [...groupBy(validation.problems, (p) => p.file)].map(([file, problems]) =>
              definitionResult(
                file,
                'failed',
                validation.seconds,
                problems.map((p) => p.message).join('\n'),
              ),
            );
      definitions.forEach(progress);
      const results = [
        ...definitions,
        ...(loaded ? await runModelTests({ root, ...loaded, models, onResult: progress }) : []),
      ];
      const summary = summarize(results, (performance.now() - started) / 1000);
      if (options.junit) writeFileSync(options.junit, junitXml(results, summary.seconds));
      if (options.format === 'json')
        process.stdout.write(`${JSON.stringify({ ...summary, results }, null, 2)}\n`);
      else printSummary(results, summary);
      if (summary.failed + summary.errored > 0) process.exitCode = 1;
    });
}

function definitionResult(
  file: string,
  status: CaseResult['status'],
  seconds: number,
  message?: string,
): CaseResult {
  return {
    model: 'definitions',
    file,
    name: file === 'definitions' ? 'config, contracts and models are valid' : `${file} is valid`,
    status,
    seconds,
    ...(message ? { message } : {}),
  };
}

interface Summary {
  readonly passed: number;
  readonly failed: number;
  readonly errored: number;
  readonly seconds: number;
}

function summarize(results: readonly CaseResult[], seconds: number): Summary {
  const n = (status: CaseResult['status']) => results.filter((r) => r.status === status).length;
  return { passed: n('passed'), failed: n('failed'), errored: n('errored'), seconds };
}

const marks = { passed: green('✓'), failed: red('✗'), errored: red('!') };

function printProgress(result: CaseResult): void {
  process.stderr.write(
    `  ${marks[result.status]} ${result.model} ${dim('›')} ${result.name} ${dim(`${result.seconds.toFixed(2)}s`)}\n`,
  );
}

function printSummary(results: readonly CaseResult[], summary: Summary): void {
  for (const r of results.filter((r) => r.status !== 'passed')) {
    process.stdout.write(
      `\n${bold(`${r.model} › ${r.name}`)} ${dim(`(${r.file})`)}\n${indent(r.message ?? '')}\n`,
    );
  }
  const parts = [green(`${summary.passed} passed`)];
  if (summary.failed > 0) parts.push(red(`${summary.failed} failed`));
  if (summary.errored > 0) parts.push(yellow(`${summary.errored} errored`));
  process.stderr.write(`\n${parts.join(', ')} ${dim(`(${summary.seconds.toFixed(1)}s)`)}\n`);
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/** JUnit XML as CI servers read it: one suite per model, the diff or error in the case's body. */
export function junitXml(results: readonly CaseResult[], seconds: number): string {
  const suites = groupBy(results, (r) => r.model);
  const count = (rs: readonly CaseResult[], s: CaseResult['status']) =>
    rs.filter((r) => r.status === s).length;
  const time = (s: number) => s.toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="medallion test" tests="${results.length}" failures="${count(results, 'failed')}" errors="${count(results, 'errored')}" time="${time(seconds)}">`,
  ];
  for (const [model, cases] of suites) {
    lines.push(
      `  <testsuite name="${xml(model)}" tests="${cases.length}" failures="${count(cases, 'failed')}" errors="${count(cases, 'errored')}" time="${time(cases.reduce((t, c) => t + c.seconds, 0))}">`,
    );
    for (const c of cases) {
      const open = `    <testcase classname="${xml(model)}" name="${xml(c.name)}" file="${xml(c.file)}" time="${time(c.seconds)}"`;
      if (c.status === 'passed') {
        lines.push(`${open}/>`);
        continue;
      }
      const tag = c.status === 'failed' ? 'failure' : 'error';
      const message = c.message ?? '';
      lines.push(
        `${open}>`,
        `      <${tag} message="${xml(message.split('\n')[0] ?? '')}">${xml(message)}</${tag}>`,
        '    </testcase>',
      );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

/** `Map.groupBy`, which Node 20 lacks. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** Text and attribute values escaped; characters XML 1.0 forbids (most controls) dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
