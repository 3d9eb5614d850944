/**
 * `medallion access show|check`: what a persona of `config/access.yaml` reads of each table, and
 * whether the policy and the contracts hold together (every column classified, every name real).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { persona as resolvePersona, policyProblems, tableAccess } from '../../core/access/policy';
import { classifyTables, declaredTables } from '../../core/access/tables';
import type { LakeTable } from '../../core/access/policy';
import type { Project } from '../../definitions/project-files';
import { accessPolicy, context, openReadOnly } from './context';
import { bold, dim, green, red } from './output';

export function accessCommand(): Command {
  const access = new Command('access').description(
    'The access policy (config/access.yaml): what each persona may read, in clear, masked or not at all.',
  );

  access
    .command('show')
    .description(
      'Tables × columns × rows a persona reads: columns in clear, masked (and how), hidden; its row filter.',
    )
    .argument('<persona>', 'a persona of config/access.yaml, e.g. analyst')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', '\nExample:\n  $ medallion access show auditor')
    .action(async (name: string, options: { format: 'text' | 'json' }, command: Command) => {
      const { project, lakeRoot, env } = await context(command);
      const policy = await accessPolicy(project, env);
      const persona = resolvePersona(policy, name);
      const tables = await lakeTables(project, lakeRoot);
      const granted = tables.flatMap((t) => tableAccess(policy, persona, t) ?? []);
      if (options.format === 'json') {
        process.stdout.write(`${JSON.stringify({ persona, tables: granted }, null, 2)}\n`);
        return;
      }
      const lines = [
        `${bold(name)}${persona.description ? `: ${persona.description}` : ''}`,
        dim(
          `workgroup ${persona.workgroup}; reads ${granted.length} of ${tables.length} tables (${policy.file})`,
        ),
      ];
      for (const access of granted) {
        const of = (v: string) =>
          access.columns
            .filter((c) => c.visibility === v)
            .map((c) => (v === 'masked' ? `${c.name} (${c.mask})` : c.name));
        lines.push(
          '',
          `${bold(access.relation)}  ${dim('rows:')} ${access.rows ? `${access.rows.column} in (${access.rows.in.join(', ')})` : 'all'}`,
        );
        for (const [label, names] of [
          ['clear', of('clear')],
          ['masked', of('masked')],
          ['hidden', of('hidden')],
        ] as const)
          if (names.length > 0) lines.push(`  ${label.padEnd(6)}  ${names.join(', ')}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  access
    .command('check')
    .description(
      'Fails when a contract column has no classification, or the policy names a persona, table, pattern or column that does not exist.',
    )
    .addHelpText('after', '\nExample:\n  $ medallion access check')
    .action(async (_options: unknown, command: Command) => {
      const { project, lakeRoot, env } = await context(command);
      const policy = await accessPolicy(project, env);
      const problems = [
        ...project.contracts
          .all()
          .flatMap((c) =>
            c.unclassified.map(
              (column) =>
                `${c.file}: column ${column} has no classification (public, internal, confidential or pii)`,
            ),
          ),
        ...policyProblems(policy, await lakeTables(project, lakeRoot)),
      ];
      for (const problem of problems) process.stdout.write(`${red('✗')} ${problem}\n`);
      if (problems.length > 0) {
        process.stderr.write(`${red(`${problems.length} problem(s)`)} in the access policy\n`);
        process.exitCode = 1;
      } else
        process.stderr.write(
          `${green('✓')} ${Object.keys(policy.document.personas).length} personas; every column of ${project.contracts.all().length} contracts is classified\n`,
        );
    });

  return access;
}

/** The lake's tables when a run made them, else those the definitions declare. */
async function lakeTables(project: Project, lakeRoot: string): Promise<LakeTable[]> {
  if (!existsSync(path.join(lakeRoot, 'lakehouse.duckdb')))
    return classifyTables(declaredTables(project.contracts), project.contracts);
  const lakehouse = await openReadOnly(project, lakeRoot);
  try {
    return classifyTables(await lakehouse.columns(), project.contracts);
  } finally {
    lakehouse.close();
  }
}
