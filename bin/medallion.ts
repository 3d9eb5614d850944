#!/usr/bin/env -S node --import tsx
/** The `medallion` CLI: parse arguments, run the command, turn errors into a message and exit code. */
import { CommanderError } from 'commander';
import { describeError, PipelineError } from '../lambdas/core/errors';
import { buildProgram } from '../lambdas/runtime/cli/program';
import { red } from '../lambdas/runtime/cli/output';

// A reader that stops early (`| head`) is not an error: stop quietly, as Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the help, the version or the usage error already.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(
      `${red('error:')} ${error instanceof PipelineError ? error.message : describeError(error)}\n`,
    );
    if (!(error instanceof PipelineError) && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
