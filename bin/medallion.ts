#!/usr/bin/env -S node --import tsx
/** The `medallion` CLI: parse arguments, run the command, turn errors into a message and exit code. */
import { describeError, PipelineError } from '../lambdas/core/errors';
import { buildProgram } from '../lambdas/runtime/cli/program';
import { red } from '../lambdas/runtime/cli/output';

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
