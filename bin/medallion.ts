#!/usr/bin/env -S node --import tsx
/** The `medallion` CLI: parse arguments, run the command, turn errors into a message and exit code. */
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
  process.stderr.write(
    `${red('error:')} ${error instanceof PipelineError ? error.message : describeError(error)}\n`,
  );
  if (!(error instanceof PipelineError) && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
}
