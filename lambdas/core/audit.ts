/**
 * The audit tables every run writes, defined once: DuckDB creates them when a lakehouse opens;
 * on AWS each task creates, as Iceberg tables, those it writes (`adapters/aws/audit-tables.ts`).
 * Columns are [name, portable SQL type, comment].
 */
export interface AuditTable {
  readonly description: string;
  readonly columns: readonly (readonly [name: string, type: string, comment: string])[];
  /** Columns that may carry the lake's own values (failing rows): read as pii by the access policy. */
  readonly rowValues?: readonly string[];
}

export const auditTables = {
  runs: {
    description: 'One row per pipeline run.',
    columns: [
      ['run_id', 'VARCHAR', 'Execution name, a UUIDv7.'],
      ['job', 'VARCHAR', 'State machine (job) that ran.'],
      ['env', 'VARCHAR', 'Environment.'],
      ['run_date', 'DATE', 'Logical date of the run.'],
      ['status', 'VARCHAR', 'running, succeeded, failed or interrupted.'],
      ['started_at', 'TIMESTAMP', 'Start of the run.'],
      ['ended_at', 'TIMESTAMP', 'End of the run.'],
      ['seconds', 'DOUBLE', 'Duration.'],
      ['error', 'VARCHAR', 'Why it failed.'],
      [
        'transitions',
        'BIGINT',
        'State transitions (states entered and retries): what Step Functions bills; null where not counted.',
      ],
    ],
  },
  run_datasets: {
    description: 'One row per dataset step of a run, with its reconciliation.',
    columns: [
      ['run_id', 'VARCHAR', 'Run.'],
      ['step', 'VARCHAR', 'Step (state) of the run.'],
      ['dataset', 'VARCHAR', 'Dataset written.'],
      ['layer', 'VARCHAR', 'bronze, silver or gold.'],
      ['rows_in', 'BIGINT', 'Rows read.'],
      ['rows_out', 'BIGINT', 'Rows written.'],
      ['quarantined', 'BIGINT', 'Rows quarantined.'],
      ['duplicates', 'BIGINT', 'Duplicates dropped.'],
      ['inserted', 'BIGINT', 'Rows inserted.'],
      ['updated', 'BIGINT', 'Rows updated.'],
      ['deleted', 'BIGINT', 'Rows deleted.'],
      ['seconds', 'DOUBLE', 'Duration.'],
      ['reconciled', 'BOOLEAN', 'rows in = rows out + quarantined + duplicates.'],
      [
        'files_rejected',
        'BIGINT',
        'Landing files refused whole; their rows are in no other count.',
      ],
      ['notes', 'VARCHAR', 'Each rejected file with its reason, and other notes, one per line.'],
      [
        'bytes_scanned',
        'BIGINT',
        "Bytes the step's Athena queries scanned (what Athena bills); null where not measured (DuckDB).",
      ],
      [
        'statements',
        'BIGINT',
        'SQL statements the step sent (on Athena, one query execution each); null where not counted.',
      ],
      [
        'task',
        'VARCHAR',
        'Function of the task catalogue that ran the step (Transform...); null where not known.',
      ],
    ],
  },
  model_state: {
    description: 'Watermarks of incremental models: what each has consumed.',
    columns: [
      ['model', 'VARCHAR', 'Model.'],
      ['input', 'VARCHAR', 'Input (source window or change feed).'],
      ['watermark', 'VARCHAR', 'Last input consumed.'],
      ['run_id', 'VARCHAR', 'Run that consumed it.'],
      ['updated_at', 'TIMESTAMP', 'When.'],
    ],
  },
  contract_versions: {
    description:
      'Every contract version a run has used: the baseline of `medallion contract check`.',
    columns: [
      ['contract_id', 'VARCHAR', 'Contract.'],
      ['version', 'VARCHAR', 'Its semantic version.'],
      ['document', 'VARCHAR', 'The contract as JSON, as first registered under this version.'],
      ['run_id', 'VARCHAR', 'Run that registered it.'],
      ['registered_at', 'TIMESTAMP', 'When.'],
    ],
  },
  dq_results: {
    description:
      'Every data-quality check of every run: its outcome, measurement and failing sample.',
    rowValues: ['sample'],
    columns: [
      ['run_id', 'VARCHAR', 'Run.'],
      ['run_date', 'DATE', 'Logical date of the run.'],
      ['dataset', 'VARCHAR', 'Dataset (contract id).'],
      ['layer', 'VARCHAR', 'silver or gold.'],
      ['check_name', 'VARCHAR', 'Check, unique within the dataset.'],
      ['kind', 'VARCHAR', 'rows, unique, reference, row_count, freshness, schema, sql or anomaly.'],
      ['column_name', 'VARCHAR', 'Column checked, if one.'],
      ['severity', 'VARCHAR', 'error, warning or info.'],
      ['dimension', 'VARCHAR', 'Completeness, uniqueness, conformity, consistency, timeliness...'],
      ['status', 'VARCHAR', 'pass, fail, error (could not run) or skip (e.g. not enough history).'],
      ['observed', 'DOUBLE', 'What was measured.'],
      ['expected', 'VARCHAR', 'The threshold, in words.'],
      ['failing_rows', 'BIGINT', 'Rows that failed a row-level check.'],
      ['total_rows', 'BIGINT', 'Rows checked.'],
      ['sample', 'VARCHAR', 'Up to five failing rows, as JSON.'],
      ['message', 'VARCHAR', 'The outcome, in words.'],
      ['checked_at', 'TIMESTAMP', 'When.'],
    ],
  },
  dq_scores: {
    description: 'One quality score per dataset per run.',
    columns: [
      ['run_id', 'VARCHAR', 'Run.'],
      ['run_date', 'DATE', 'Logical date of the run.'],
      ['dataset', 'VARCHAR', 'Dataset (contract id).'],
      ['layer', 'VARCHAR', 'silver or gold.'],
      ['score', 'DOUBLE', 'Quality score, 0 to 100 (docs/adding-things.md gives the formula).'],
      ['row_count', 'BIGINT', 'Rows in the dataset.'],
      ['checks', 'BIGINT', 'Checks run.'],
      ['failed_errors', 'BIGINT', 'Checks of severity error that failed or could not run.'],
      [
        'failed_warnings',
        'BIGINT',
        'Checks of severity warning or info that failed or could not run.',
      ],
      ['checked_at', 'TIMESTAMP', 'When.'],
    ],
  },
  dq_profiles: {
    description: 'Column profiles per dataset per run.',
    columns: [
      ['run_id', 'VARCHAR', 'Run.'],
      ['run_date', 'DATE', 'Logical date of the run.'],
      ['dataset', 'VARCHAR', 'Dataset (contract id).'],
      ['column_name', 'VARCHAR', 'Column.'],
      ['data_type', 'VARCHAR', 'Its contract type.'],
      ['row_count', 'BIGINT', 'Rows in the dataset.'],
      ['nulls', 'BIGINT', 'NULL values.'],
      ['null_percent', 'DOUBLE', 'Share of NULLs, 0 to 100.'],
      [
        'distinct_count',
        'BIGINT',
        'Distinct values: exact up to a million rows, HyperLogLog beyond.',
      ],
      ['min_value', 'VARCHAR', 'Smallest value, as text; NULL for pii and confidential columns.'],
      ['max_value', 'VARCHAR', 'Largest value, as text; NULL for pii and confidential columns.'],
      ['mean', 'DOUBLE', 'Mean (numbers).'],
      ['stddev', 'DOUBLE', 'Sample standard deviation (numbers).'],
      [
        'p25',
        'DOUBLE',
        'First quartile (numbers; exact up to a million rows on DuckDB, else a sketch); NULL for pii.',
      ],
      [
        'median',
        'DOUBLE',
        'Median (numbers; exact up to a million rows on DuckDB, else a sketch); NULL for pii.',
      ],
      [
        'p75',
        'DOUBLE',
        'Third quartile (numbers; exact up to a million rows on DuckDB, else a sketch); NULL for pii.',
      ],
      ['min_length', 'BIGINT', 'Shortest text.'],
      ['avg_length', 'DOUBLE', 'Mean text length.'],
      ['max_length', 'BIGINT', 'Longest text.'],
      [
        'top_values',
        'VARCHAR',
        'Most frequent values with counts, as JSON (few-valued columns); empty for pii.',
      ],
      [
        'partial',
        'BOOLEAN',
        'A quality gate’s profile: only the row count and the metrics its checks read, any other NULL (not computed); `medallion dq profile` computes them all. NULL: saved before gates profiled partially (full).',
      ],
      ['profiled_at', 'TIMESTAMP', 'When.'],
    ],
  },
} satisfies Readonly<Record<string, AuditTable>>;

export type AuditTableName = keyof typeof auditTables;
