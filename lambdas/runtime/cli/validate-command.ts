/**
 * `medallion validate`: config, contracts and models checked before any run, every problem as
 * `file: message`; and the same check `run` and `pipeline` make before they start anything.
 */
import { Command, Option } from 'commander';
import { PipelineError } from '../../core/errors';
import { projectRoot } from '../../definitions/project-root';
import { validateProject, type Validation } from '../validate';
import { bold, count, dim, green, red } from './output';

interface GlobalOptions {
  env: string;
  config?: string;
}

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'Check config, contracts and SQL models without running anything: every model is built on empty inputs and must match its contract. Exit 1 on any problem.',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ medallion validate\n  $ medallion --env prod validate --format json',
    )
    .action(async (options: { format: 'text' | 'json' }, command: Command) => {
      const validation = await validate(command);
      if (options.format === 'json')
        process.stdout.write(
          `${JSON.stringify({ valid: validation.problems.length === 0, ...validation }, null, 2)}\n`,
        );
      else {
        for (const line of problemLines(validation)) process.stdout.write(`${line}\n`);
        process.stderr.write(`${summary(validation)}\n`);
      }
      if (validation.problems.length > 0) process.exitCode = 1;
    });
}

/**
 * Before a run: a definition that cannot work would fail the run halfway, after other datasets
 * were published. Prints every problem and throws; a clean project passes in silence.
 */
export async function refuseInvalidProject(command: Command): Promise<void> {
  const validation = await validate(command);
  if (validation.problems.length === 0) return;
  for (const line of problemLines(validation)) process.stderr.write(`${line}\n`);
  throw new PipelineError(
    `${summary(validation)}: nothing was run (\`medallion validate\` checks again)`,
  );
}

function validate(command: Command): Promise<Validation> {
  const options = command.optsWithGlobals<GlobalOptions>();
  return validateProject({ root: projectRoot, env: options.env, configFile: options.config });
}

function problemLines(validation: Validation): string[] {
  return validation.problems.map((p) => `${bold(p.file)}: ${p.message}`);
}

function summary({ problems, contracts, models, seconds }: Validation): string {
  const checked = dim(
    `(${count(contracts)} contracts, ${count(models)} models built on empty inputs, ${seconds.toFixed(1)}s)`,
  );
  if (problems.length === 0) return `${green('valid')} ${checked}`;
  const files = new Set(problems.map((p) => p.file)).size;
  return `${red(`${problems.length} problem(s)`)} in ${files} file(s) ${checked}`;
}
