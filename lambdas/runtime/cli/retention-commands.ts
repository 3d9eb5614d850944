/**
 * `medallion retention apply [--dry-run]`: the contracts' retention and `maintenance.retention`
 * on the local lake, now.
 */
import { Command } from 'commander';
import { DuckDbLakehouse } from '../../adapters/duckdb/engine';
import { FsObjectStore } from '../../adapters/local/object-store';
import { PipelineError } from '../../core/errors';
import { retentionProblems, retentionRules } from '../../core/maintenance';
import { acquireLakeLock } from '../lake-lock';
import { applyRetention } from '../retention';
import { context } from './context';
import { count, dim, formatRows, green } from './output';

export function retentionCommand(): Command {
  const retention = new Command('retention').description(
    'Age rows out of the tables whose contract (slaProperties retention) or maintenance.retention keeps them for a time: bronze partitions, quarantine, audit history, incremental silver and gold.',
  );
  retention
    .command('apply')
    .description(
      "Delete the rows older than their table's retention, as the maintenance job does; --dry-run lists what would go.",
    )
    .option('--dry-run', 'count the rows and bronze files that would be deleted, delete nothing')
    .addHelpText(
      'after',
      '\nThe same plan, DELETE and bronze expiry as `medallion run --job maintenance`, without its version\ndrops. Bronze goes a whole ingest_date partition at a time (on AWS every version of its objects);\nsilver and gold only where an incremental model builds the table. An S3 lifecycle rule never\nexpires files under a live table.\n\nExamples:\n  $ medallion retention apply --dry-run\n  $ medallion retention apply',
    )
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const { project, lakeRoot } = await context(command);
      const contracts = project.contracts.all();
      const problems = retentionProblems(
        retentionRules(project.config.maintenance, contracts),
        project.models.models,
      );
      if (problems.length > 0)
        throw new PipelineError(
          `Retention would be undone or break a table:\n${problems.map((p) => `  - ${p.file}: ${p.message}`).join('\n')}`,
        );
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
            bronze: new FsObjectStore(lakeRoot),
            config: project.config.maintenance,
            contracts,
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
                [options.dryRun ? 'files_to_delete' : 'files_deleted']: o.files ?? '',
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
