/**
 * The audit tables every run writes, defined once: DuckDB creates them when a lakehouse opens,
 * the catalog stack creates them in Glue as Iceberg tables. Columns are [name, portable SQL type,
 * comment].
 */
export interface AuditTable {
  readonly description: string;
  readonly columns: readonly (readonly [name: string, type: string, comment: string])[];
}

export const auditTables: Readonly<Record<string, AuditTable>> = {
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
};
