/** `medallion retention apply [--dry-run]`: `maintenance.retention` on the local lake, now. */
import { Command } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { acquireLakeLock } from '../lake-lock';
import { applyRetention } from '../retention';
import { context } from './context';
import { count, dim, formatRows, green } from './output';

export function retentionCommand(): Command {
  const retention = new Command('retention').description(
    'Age rows out of the tables maintenance.retention names (quarantine, audit run history and DQ results).',
  );
  retention
    .command('apply')
    .description(
      "Delete the rows older than their table's retention, as the maintenance job does; --dry-run lists what would go.",
    )
    .option('--dry-run', 'count the rows that would be deleted, delete nothing')
    .addHelpText(
      'after',
      '\nThe same plan and DELETE as `medallion run --job maintenance`, without its version drops. Silver\nand gold are not aged out: they follow bronze. Bronze is append-only Parquet the platform never\nrewrites (on AWS its bucket lifecycle expires landing files, never files under a live table).\n\nExamples:\n  $ medallion retention apply --dry-run\n  $ medallion retention apply',
    )
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const lock = await acquireLakeLock(lakeRoot, 'retention');
      try {
        const lakehouse = await DuckDbLakehouse.open({
          lakeRoot,
          threads: project.config.engine.threads,
          memoryLimit: project.config.engine.memoryLimit,
          bronze: project.contracts.all().filter((c) => c.layer === 'bronze'),
        });
        try {
          const outcomes = await applyRetention({
            lakehouse,
            config: project.config.maintenance,
            now: new Date(),
            dryRun: options.dryRun === true,
          });
          process.stdout.write(
            `${formatRows(
              outcomes.map((o) => ({
                table: o.relation,
                column: o.column,
                older_than: o.before,
                [options.dryRun ? 'rows_to_delete' : 'rows_deleted']: o.rows,
              })),
              'table',
            )}\n`,
          );
          const total = outcomes.reduce((n, o) => n + o.rows, 0);
          process.stderr.write(
            options.dryRun
              ? `${dim('Dry run:')} ${count(total)} row(s) would be deleted from ${outcomes.length} table(s)\n`
              : `${green('Retention applied')}: ${count(total)} row(s) deleted from ${outcomes.length} table(s)\n`,
          );
        } finally {
          lakehouse.close();
        }
      } finally {
        await lock.release();
      }
    });
  return retention;
}
