/**
 * The one schema for `config/*.yaml`. The same parsed object configures the local runtime (CLI)
 * and, on AWS, the CDK stacks, so every setting has one home and one default. The ground floor:
 * it imports nothing of the platform's (`lambdas/core/config.ts` parses files with it).
 */
import * as z from 'zod';
import { longestGapHours } from './cron';
import { bucketRoles, lakeSchemas, schemaLocations, type BucketRole } from './layout';

const identifier = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a lower_snake_case identifier');
const isoDate = z.iso.date();
const positiveInt = z.number().int().positive();

/** Client-side retry of REST calls: exponential backoff with full jitter, honouring `Retry-After`. */
const retrySchema = z.strictObject({
  /** @default 6 */
  maxAttempts: positiveInt.max(20).default(6),
  /** @default 200 */
  baseDelayMs: z.number().int().nonnegative().default(200),
  /** @default 8000 */
  maxDelayMs: positiveInt.default(8_000),
});

/**
 * Dates and timestamps silver parses from text (`try_cast(x, 'date')`, `iso_timestamp(x)`) must
 * fall in this range or their row is quarantined: sentinels and typos (`2999-01-01`, `0201-03-04`)
 * parse fine but are not dates anyone meant. A year ahead admits planned dates (a CRM
 * opportunity's close date) while refusing those.
 */
const plausibleDatesSchema = z.strictObject({
  /** The earliest plausible day. @default '1900-01-01' */
  earliest: isoDate.default('1900-01-01'),
  /** How many days after the run date a value may fall. @default 366 */
  daysAhead: z.number().int().nonnegative().default(366),
});

export type PlausibleDates = z.output<typeof plausibleDatesSchema>;

export const defaultPlausibleDates: PlausibleDates = { earliest: '1900-01-01', daysAhead: 366 };

/**
 * The Comments of a source's state machine (`stepfunctions/templates/source_to_bronze.asl.json`)
 * and of its ingest Task, here and in `daily`; left out, they are said from the source's kind,
 * engine and datasets (`lambdas/core/job-definitions.ts`).
 */
const sourceCommentsSchema = z
  .strictObject({
    /** The state machine's, e.g. `CRM REST API → bronze.` */
    job: z.string().min(1).optional(),
    /** What the ingest Task reads, one sentence, e.g. `CRM accounts over the REST API.` */
    ingest: z.string().min(1).optional(),
  })
  .default({});

const warehouseSource = z.strictObject({
  kind: z.literal('warehouse'),
  /** Which warehouse the AWS connector talks to; locally a DuckDB file stands in for either. */
  engine: z.enum(['snowflake', 'redshift']),
  description: z.string().default(''),
  comments: sourceCommentsSchema,
  /** Connection settings for the AWS connector (account, database, schema, secret name...). */
  connection: z.record(z.string(), z.string()).default({}),
  datasets: z.record(
    identifier,
    z.strictObject({
      /** Table (or view) in the warehouse. */
      table: z.string().min(1),
      /** Monotonic column used for incremental extraction. @default 'updated_at' */
      watermark: identifier.default('updated_at'),
    }),
  ),
});

const restSource = z.strictObject({
  kind: z.literal('rest'),
  description: z.string().default(''),
  comments: sourceCommentsSchema,
  /** Base URL of the API. Left out locally: the runner starts the local simulator and uses its URL. */
  baseUrl: z.url().optional(),
  /** Secrets Manager secret holding the API token (AWS only). */
  secret: z.string().optional(),
  /** @default 500 */
  pageSize: positiveInt.max(10_000).default(500),
  /** @default 10000 */
  timeoutMs: positiveInt.default(10_000),
  retry: retrySchema.default(retrySchema.parse({})),
  datasets: z.record(
    identifier,
    z.strictObject({
      /** Path of the collection, e.g. `/crm/v1/accounts`. */
      path: z.string().startsWith('/'),
      /** Field compared with the stored watermark (`updated_since`). */
      watermark: identifier,
    }),
  ),
});

const kafkaSource = z.strictObject({
  kind: z.literal('kafka'),
  description: z.string().default(''),
  comments: sourceCommentsSchema,
  /** MSK bootstrap brokers (AWS only). */
  bootstrapServers: z.string().optional(),
  /** The MSK cluster (AWS only). */
  mskClusterArn: z
    .string()
    .regex(/^arn:aws:kafka:/, 'an MSK cluster ARN')
    .optional(),
  /** Deliver messages through an MSK event source mapping to the Kafka handler (AWS only). @default false */
  eventSourceMapping: z.boolean().default(false),
  /** Most records per MSK-shaped batch handed to the handler. @default 5000 */
  batchSize: positiveInt.max(10_000).default(5_000),
  datasets: z.record(identifier, z.strictObject({ topic: z.string().min(1) })),
});

const sourceSchema = z.discriminatedUnion('kind', [warehouseSource, restSource, kafkaSource]);

const pipelineSchema = z.strictObject({
  /** EventBridge Scheduler expression, e.g. `cron(0 2 * * ? *)`. No schedule: started by hand. */
  schedule: z
    .string()
    .regex(/^(cron|rate)\(.+\)$/, 'a cron(...) or rate(...) expression')
    .optional(),
  /** @default 'UTC' */
  timezone: z.string().default('UTC'),
  /** Minutes the scheduler may delay a start to spread load; 0 starts on time. @default 15 */
  flexibleWindowMinutes: z.number().int().min(0).max(1440).default(15),
  /** How the scheduler retries a start that fails (throttling, a busy account). */
  retry: z
    .strictObject({
      /** @default 3 */
      maximumRetryAttempts: z.number().int().min(0).max(185).default(3),
      /** @default 3600 */
      maximumEventAgeSeconds: z.number().int().min(60).max(86_400).default(3600),
    })
    .default({ maximumRetryAttempts: 3, maximumEventAgeSeconds: 3600 }),
});

const storageClasses = [
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'GLACIER_IR',
  'GLACIER',
  'DEEP_ARCHIVE',
] as const;

/**
 * Classes whose objects Athena skips without an error until they are restored: a query or a
 * replay over them silently reads less. Only buckets nothing queries or replays may use them.
 */
const unreadableByAthena: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** One bucket's lifecycle: transitions by age, optional expiry, clean-up of old versions and failed uploads. */
const lifecycleSchema = z
  .strictObject({
    transitions: z
      .array(z.strictObject({ storageClass: z.enum(storageClasses), days: positiveInt }))
      .default([]),
    /** Delete objects this many days after creation. */
    expirationDays: positiveInt.optional(),
    /**
     * Expire only objects under these key prefixes (each ending in `/`) instead of the whole
     * bucket: how the results bucket expires query results but not the scratch tables beside them.
     */
    expirationPrefixes: z
      .array(z.string().regex(/^[^/].*\/$/, 'a key prefix ending in / (no leading /)'))
      .min(1)
      .optional(),
    /** Delete replaced and deleted versions this many days after they stop being current. @default 30 */
    noncurrentVersionExpirationDays: positiveInt.default(30),
    /** @default 1 */
    abortIncompleteMultipartUploadDays: positiveInt.default(1),
  })
  .superRefine((rule, ctx) => {
    if (rule.expirationPrefixes && rule.expirationDays === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expirationDays'],
        message: 'the days after which objects under expirationPrefixes expire',
        input: undefined,
      });
    }
    rule.transitions.forEach((t, i) => {
      const previous = rule.transitions[i - 1];
      if (previous && t.days <= previous.days) {
        ctx.addIssue({
          code: 'custom',
          path: ['transitions', i, 'days'],
          message: `more days than the transition before (${previous.days})`,
          input: t.days,
        });
      }
      if (rule.expirationDays !== undefined && t.days >= rule.expirationDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['transitions', i, 'days'],
          message: `fewer days than expirationDays (${rule.expirationDays})`,
          input: t.days,
        });
      }
    });
  });

/**
 * Lifecycle defaults per bucket: tiering only into classes Athena reads, expiry only where no
 * table lives (landing files, query results, access logs). Table rows (and bronze partitions) age
 * out through retention (contracts, `maintenance.retention`), never through S3 expiry under a live
 * table.
 */
const lifecycleDefaults = {
  landing: { expirationDays: 30 },
  bronze: {
    transitions: [
      { storageClass: 'STANDARD_IA', days: 30 },
      { storageClass: 'GLACIER_IR', days: 90 },
    ],
  },
  silver: { transitions: [{ storageClass: 'INTELLIGENT_TIERING', days: 30 }] },
  gold: {},
  quarantine: {},
  audit: {
    transitions: [
      { storageClass: 'STANDARD_IA', days: 90 },
      { storageClass: 'GLACIER_IR', days: 365 },
    ],
  },
  athenaResults: { expirationDays: 7, expirationPrefixes: ['engineering/', 'auditors/'] },
  reports: { transitions: [{ storageClass: 'STANDARD_IA', days: 90 }] },
  accessLogs: { expirationDays: 365 },
} as const;

export const bucketNames = Object.keys(lifecycleDefaults) as (keyof typeof lifecycleDefaults)[];
type LifecycleBucket = (typeof bucketNames)[number];

/**
 * Where tables live, per bucket: the schemas' locations (`schemaLocations`) and the OpenLineage
 * events table under the audit bucket's `lineage/`. S3 expiry there would delete files a table
 * still references (Iceberg) or rows a replay needs (bronze).
 */
const tableLocations: Readonly<Partial<Record<LifecycleBucket, readonly string[]>>> = (() => {
  const locations: Partial<Record<BucketRole, string[]>> = { audit: ['lineage/'] };
  for (const schema of lakeSchemas) {
    const { bucket, prefix } = schemaLocations[schema];
    (locations[bucket] ??= []).push(prefix);
  }
  return locations;
})();

/** Buckets a query or a replay reads: every one but the reports and the access logs. */
const readByQueries = new Set<LifecycleBucket>(
  bucketNames.filter((b) => b !== 'reports' && b !== 'accessLogs'),
);

/** The lifecycle rules that would break what lives in a bucket, each reported on its key. */
function refuseUnsafeLifecycle(
  bucket: LifecycleBucket,
  rule: z.output<typeof lifecycleSchema>,
  ctx: z.core.$RefinementCtx,
): void {
  const path = ['lifecycle', bucket];
  if (rule.expirationDays !== undefined) {
    const tables = tableLocations[bucket] ?? [];
    const scopes = rule.expirationPrefixes ?? [''];
    const overlapping = tables.filter((t) =>
      scopes.some((s) => t.startsWith(s) || s.startsWith(t)),
    );
    if (overlapping.length > 0) {
      const where = overlapping.map((t) => (t === '' ? 'the bucket root' : t)).join(', ');
      ctx.addIssue({
        code: 'custom',
        path: [...path, rule.expirationPrefixes ? 'expirationPrefixes' : 'expirationDays'],
        message: `no S3 expiry over live tables (${bucket} holds tables under ${where}): table rows age out through retention (a contract's slaProperties or maintenance.retention: DELETE, then snapshot expiry; bronze whole ingest_date partitions with every version); expire only expirationPrefixes that hold no table`,
        input: rule.expirationPrefixes ?? rule.expirationDays,
      });
    }
  }
  if (readByQueries.has(bucket)) {
    rule.transitions.forEach((t, i) => {
      if (!unreadableByAthena.has(t.storageClass)) return;
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'transitions', i, 'storageClass'],
        message: `a class Athena reads (STANDARD_IA, INTELLIGENT_TIERING or GLACIER_IR): Athena silently skips ${t.storageClass} objects, and ${bucket} is read by queries or replays`,
        input: t.storageClass,
      });
    });
  }
}

const storageSchema = z
  .strictObject({
    lifecycle: z
      .strictObject(
        Object.fromEntries(
          bucketNames.map((b) => [
            b,
            lifecycleSchema.default(lifecycleSchema.parse(lifecycleDefaults[b])),
          ]),
        ) as Record<(typeof bucketNames)[number], z.ZodDefault<typeof lifecycleSchema>>,
      )
      .default(
        Object.fromEntries(
          bucketNames.map((b) => [b, lifecycleSchema.parse(lifecycleDefaults[b])]),
        ) as never,
      ),
    /**
     * What `cdk destroy` does to buckets and keys: `retain` keeps the data; `destroy` deletes it,
     * allowed only in an environment named dev. @default 'retain'
     */
    removalPolicy: z.enum(['retain', 'destroy']).default('retain'),
  })
  .superRefine((storage, ctx) => {
    for (const bucket of bucketNames) refuseUnsafeLifecycle(bucket, storage.lifecycle[bucket], ctx);
  });

/**
 * Tables whose rows may age out: bronze datasets (whole ingestion-day partitions), quarantine,
 * the audit history tables, and silver or gold tables by name (only those an incremental model
 * builds: `retentionProblems` checks it against the models). The other audit tables are the
 * platform's own state (watermarks, contract baselines).
 */
const retentionTarget =
  /^(bronze(\.[a-z][a-z0-9_]*)?|quarantine(\.[a-z][a-z0-9_]*)?|(silver|gold)\.[a-z][a-z0-9_]*|audit\.(runs|dq_results|dq_scores|dq_profiles))$/;

/** The maintenance job (`stepfunctions/maintenance.asl.json`): what it drops, keeps and compacts. */
const maintenanceSchema = z.strictObject({
  /**
   * Superseded table versions and leftover scratch tables are dropped once this old. At least
   * 3 hours: longer than the longest run (daily times out after 2 hours), so no run or query that
   * started before a version was superseded still reads it. @default 24
   */
  dropAfterHours: z
    .number()
    .int()
    .min(3, 'at least 3 hours: longer than the longest run (daily times out after 2 hours)')
    .default(24),
  /** Days of snapshots an Iceberg table keeps for time travel; VACUUM expires older ones. @default 7 */
  snapshotRetentionDays: positiveInt.default(7),
  /**
   * Rows older than `days` are deleted from the table (a layer key such as `quarantine` covers
   * its tables; a table key such as `quarantine.orders` overrides it), by the timestamp `column`
   * (default: `_quarantined_at` in quarantine, the audit table's own time column; silver and gold
   * need one). Overrides the retention a contract declares in `slaProperties`. Bronze ages by
   * ingestion day: its `ingest_date=` partitions older than `days` are deleted whole.
   * @default { quarantine: { days: 90 } }
   */
  retention: z
    .record(z.string(), z.strictObject({ days: positiveInt, column: identifier.optional() }))
    .default({ quarantine: { days: 90 } })
    .superRefine((retention, ctx) => {
      for (const [key, rule] of Object.entries(retention)) {
        if (key.split('.')[0] === 'bronze' && rule.column !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key, 'column'],
            message:
              'no column: bronze ages by ingestion day, whole ingest_date partitions at a time',
            input: rule.column,
          });
        if (retentionTarget.test(key)) continue;
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            'a table whose rows may age out: bronze, bronze.<table>, quarantine, quarantine.<table>, silver.<table>, gold.<table>, audit.runs, audit.dq_results, audit.dq_scores or audit.dq_profiles',
          input: key,
        });
      }
    }),
});

/** Buckets AWS Backup protects: the lake's data and its audit trail (not landing, query results or reports, which are transient or rendered again). */
const backedUpBuckets = ['bronze', 'silver', 'gold', 'quarantine', 'audit'] as const;
const cronExpression = z.string().regex(/^cron\(.+\)$/, 'a cron(...) expression');

/** One layer's recovery targets, and whether it can be rebuilt from bronze instead of restored. */
const layerBackupSchema = z.strictObject({
  /**
   * Most data, in hours, the layer may lose: what its backups' frequency must meet (checked:
   * continuous backup gives 15 minutes, a snapshot rule the longest wait between its runs).
   */
  rpoHours: z.number().positive(),
  /** Longest time, in hours, a restore (or a rebuild) of the layer may take. */
  rtoHours: z.number().positive(),
  /**
   * Rebuilt by replaying the pipeline over bronze: it gets snapshots (a faster way back than a
   * replay) but no continuous backup. @default false
   */
  rebuildableFromBronze: z.boolean().default(false),
});

/** A scheduled snapshot rule: when, how long recovery points are kept, when they move to cold storage. */
const snapshotRuleSchema = z
  .strictObject({
    /** When the snapshot starts, a `cron(...)` expression in UTC. */
    schedule: cronExpression,
    /** Days a recovery point is kept. */
    retentionDays: positiveInt,
    /**
     * Days after which a recovery point moves to cold storage, for resource types AWS Backup can
     * move (others ignore it). Cold storage keeps a point at least 90 days, so retention must be
     * 90 days longer.
     */
    coldStorageAfterDays: positiveInt.optional(),
    /** Snapshot the layers rebuildable from bronze too. @default false */
    includeRebuildable: z.boolean().default(false),
  })
  .superRefine((rule, ctx) => {
    if (
      rule.coldStorageAfterDays !== undefined &&
      rule.retentionDays < rule.coldStorageAfterDays + 90
    )
      ctx.addIssue({
        code: 'custom',
        path: ['retentionDays'],
        message: `at least coldStorageAfterDays + 90 (${rule.coldStorageAfterDays + 90}): AWS Backup keeps a point in cold storage for 90 days at least`,
        input: rule.retentionDays,
      });
  });

/**
 * The data a continuous backup may lose, in hours: it restores to any point in time, behind the
 * bucket by minutes at most; counted as a quarter of an hour.
 */
const continuousRpoHours = 0.25;

/**
 * Refuses an RPO target the backup rules cannot meet. A layer nothing rebuilds has continuous
 * backup (minutes); a layer rebuildable from bronze gets the snapshot rules that include it, the
 * most frequent of which sets its RPO, or, when bronze is backed up, bronze's (it is replayed).
 */
function refuseUnreachableRpo(
  backup: {
    layers: Partial<Record<string, { rpoHours: number; rebuildableFromBronze: boolean }>>;
    snapshots: Record<string, { schedule: string; includeRebuildable: boolean }>;
  },
  ctx: z.core.$RefinementCtx,
): void {
  const gaps: { name: string; schedule: string; hours: number; includeRebuildable: boolean }[] = [];
  for (const [name, rule] of Object.entries(backup.snapshots)) {
    try {
      const hours = longestGapHours(rule.schedule);
      if (hours !== undefined) gaps.push({ name, ...rule, hours });
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        path: ['snapshots', name, 'schedule'],
        message: `a schedule the RPO check can read: ${(error as Error).message}`,
        input: rule.schedule,
      });
    }
  }
  const bronze = backup.layers.bronze;
  const bronzeContinuous = bronze !== undefined && !bronze.rebuildableFromBronze;
  for (const [layer, target] of Object.entries(backup.layers)) {
    if (!target) continue;
    const best = gaps
      .filter((g) => g.includeRebuildable || !target.rebuildableFromBronze)
      .sort((a, b) => a.hours - b.hours)[0];
    const continuous = !target.rebuildableFromBronze || (layer !== 'bronze' && bronzeContinuous);
    const reachable = Math.min(continuous ? continuousRpoHours : Infinity, best?.hours ?? Infinity);
    if (target.rpoHours >= reachable) continue;
    const given = target.rebuildableFromBronze
      ? best
        ? `its most frequent snapshot rule, ${best.name} (${best.schedule}), leaves up to ${best.hours} hours between recovery points${continuous ? ', and a replay of bronze loses what bronze lost, minutes' : ''}`
        : 'no snapshot rule includes it (includeRebuildable) and bronze has no continuous backup to replay from'
      : `continuous backup keeps it to within ${continuousRpoHours * 60} minutes at best${best ? ` and its most frequent snapshot rule, ${best.name} (${best.schedule}), leaves up to ${best.hours} hours between recovery points` : ''}`;
    ctx.addIssue({
      code: 'custom',
      path: ['layers', layer, 'rpoHours'],
      message: `an RPO the backup rules can meet: ${layer} targets ${target.rpoHours} hours, but ${given}`,
      input: target.rpoHours,
    });
  }
}

/**
 * AWS Backup of the lake's buckets (the Backup stack). Bronze and audit, which nothing rebuilds,
 * get continuous backup (point-in-time restore within `continuousRetentionDays`) and every
 * snapshot rule; layers rebuildable from bronze only the rules that include them.
 */
const backupSchema = z
  .strictObject({
    /** Recovery targets per backed-up bucket; a bucket left out is not backed up. */
    layers: z.partialRecord(z.enum(backedUpBuckets), layerBackupSchema),
    /** Days of continuous (point-in-time) backup; AWS Backup keeps at most 35. @default 35 */
    continuousRetentionDays: positiveInt.max(35).default(35),
    /** Snapshot rules by name (`daily`, `weekly`, `monthly`...). */
    snapshots: z.record(identifier, snapshotRuleSchema).default({}),
    /**
     * A disaster-recovery vault in another Region or account: every snapshot is copied there, kept
     * as long as the rule keeps it (or `retentionDays`). Its access policy must let this account copy in.
     */
    copy: z
      .strictObject({
        vaultArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:.+$/, 'a backup vault ARN'),
        retentionDays: positiveInt.optional(),
      })
      .optional(),
    /**
     * Vault lock (compliance mode once `changeableForDays` pass): nobody, root included, can delete
     * a recovery point before `minRetentionDays` or keep one past `maxRetentionDays`.
     */
    vaultLock: z
      .strictObject({
        minRetentionDays: positiveInt,
        maxRetentionDays: positiveInt,
        /** Days during which the lock can still be removed; at least 3 (AWS's minimum). */
        changeableForDays: z.number().int().min(3),
      })
      .optional(),
    /** Principals (role ARNs) still allowed to delete recovery points the vault lock lets go. @default [] */
    recoveryPointAdmins: z.array(z.string().startsWith('arn:')).default([]),
    /** A restore test of the latest snapshot, validated by the restore validation function. */
    restoreTesting: z
      .strictObject({
        /** When the test restores, a `cron(...)` expression in UTC. */
        schedule: cronExpression,
        /** Hours the restored copy is kept for validation before AWS Backup deletes it. @default 4 */
        validationWindowHours: z.number().int().min(1).max(168).default(4),
        /** Restore the newest recovery point at most this many days old. @default 7 */
        selectionWindowDays: z.number().int().min(1).max(365).default(7),
      })
      .optional(),
    /**
     * The Glue Data Catalog, which AWS Backup does not cover: the catalog export function writes
     * every database and table definition of the project (Iceberg metadata locations included)
     * to the audit bucket's `dr/catalog/` on this schedule; S3 expires exports after
     * `retentionDays`. The catalog restore function recreates them from an export on demand.
     */
    catalogExport: z
      .strictObject({
        /** When the export runs, a `cron(...)` expression in UTC. */
        schedule: cronExpression,
        /** Days an export is kept (S3 expiry of `dr/catalog/`, where no table lives). */
        retentionDays: positiveInt,
      })
      .optional(),
  })
  .superRefine((backup, ctx) => {
    refuseUnreachableRpo(backup, ctx);
    // Copies live in the DR vault, under that vault's lock, not this one's.
    const retentions = [
      ...Object.entries(backup.snapshots).map(([name, r]) => ({
        path: ['snapshots', name, 'retentionDays'],
        days: r.retentionDays,
      })),
      { path: ['continuousRetentionDays'], days: backup.continuousRetentionDays },
    ];
    const lock = backup.vaultLock;
    if (!lock) return;
    if (lock.maxRetentionDays <= lock.minRetentionDays)
      ctx.addIssue({
        code: 'custom',
        path: ['vaultLock', 'maxRetentionDays'],
        message: `more than minRetentionDays (${lock.minRetentionDays})`,
        input: lock.maxRetentionDays,
      });
    for (const { path, days } of retentions)
      if (days < lock.minRetentionDays || days > lock.maxRetentionDays)
        ctx.addIssue({
          code: 'custom',
          path,
          message: `within the vault lock's retention (${lock.minRetentionDays} to ${lock.maxRetentionDays} days): the locked vault refuses other recovery points`,
          input: days,
        });
  });

export type BackupConfig = z.output<typeof backupSchema>;

/**
 * AWS list prices (on demand, arm64; the same in us-east-1 and eu-west-1 for these three, December
 * 2026) that the cost recommendations estimate savings at and `medallion cost estimate` prices the
 * local runs at. Override them for another Region or a negotiated rate.
 */
const costPricesSchema = z.strictObject({
  /**
   * Lambda on arm64 (Graviton), USD per GB-second, first 7.5 billion GB-seconds a month.
   * https://aws.amazon.com/lambda/pricing/ @default 0.0000133334
   */
  lambdaArmGbSecondUsd: z.number().positive().default(0.0000133334),
  /** Athena SQL, USD per terabyte scanned. https://aws.amazon.com/athena/pricing/ @default 5 */
  athenaTerabyteUsd: z.number().positive().default(5),
  /**
   * Step Functions standard workflows, USD per 1,000 state transitions.
   * https://aws.amazon.com/step-functions/pricing/ @default 0.025
   */
  stepFunctionsThousandTransitionsUsd: z.number().nonnegative().default(0.025),
  /**
   * S3 storage, USD per GB-month (GB of 2³⁰ bytes), first 50 TB a month, by storage class; the
   * Intelligent-Tiering tiers are priced as the class they match (frequent as Standard, infrequent
   * as Standard-IA, archive instant as Glacier Instant Retrieval...). https://aws.amazon.com/s3/pricing/
   * @default 0.023, 0.0125, 0.01, 0.004, 0.0036 and 0.00099
   */
  s3StandardGbMonthUsd: z.number().nonnegative().default(0.023),
  s3StandardIaGbMonthUsd: z.number().nonnegative().default(0.0125),
  s3OneZoneIaGbMonthUsd: z.number().nonnegative().default(0.01),
  s3GlacierIrGbMonthUsd: z.number().nonnegative().default(0.004),
  s3GlacierGbMonthUsd: z.number().nonnegative().default(0.0036),
  s3DeepArchiveGbMonthUsd: z.number().nonnegative().default(0.00099),
  /**
   * S3 lifecycle transition requests, USD per 1,000, into Standard-IA and into Glacier Instant
   * Retrieval. https://aws.amazon.com/s3/pricing/ (Requests & data retrievals) @default 0.01 and 0.02
   */
  s3StandardIaTransitionThousandUsd: z.number().nonnegative().default(0.01),
  s3GlacierIrTransitionThousandUsd: z.number().nonnegative().default(0.02),
});

export type CostPrices = z.output<typeof costPricesSchema>;
export const defaultCostPrices: CostPrices = costPricesSchema.parse({});

/** The cost recommendations' assumptions: what the advice is expected to achieve. */
const costAdviceSchema = z.strictObject({
  /** Memory advised for a function: p99 of its max memory used times this. @default 1.2 */
  lambdaMemoryHeadroom: z.number().min(1).default(1.2),
  /** Memory sizes are advised in steps of this many MB (Lambda allows 128 to 10240). @default 64 */
  lambdaMemoryStepMb: z.number().int().min(1).max(1024).default(64),
  /**
   * The share of a model's bytes scanned that partitioning, compaction or column pruning is
   * assumed to save: the Athena savings are this share of what the model scans. @default 0.5
   */
  athenaScanReduction: z.number().gt(0).max(1).default(0.5),
  /** How many of the models scanning the most bytes get advice. @default 5 */
  athenaModels: z.number().int().min(1).default(5),
  /**
   * The buckets whose objects are written once and rarely read again: a Standard byte there older
   * than 30 days is advised to move to {@link coldStorageClass} when no lifecycle rule moves it.
   * @default landing, bronze, quarantine, audit, reports
   */
  coldBuckets: z
    .array(z.enum(bucketRoles))
    .default(['landing', 'bronze', 'quarantine', 'audit', 'reports']),
  /**
   * Where the cold buckets' aged objects are advised to go: Standard-IA (retrieval 0.01 USD/GB) or
   * Glacier Instant Retrieval (cheaper to keep, 0.03 USD/GB to read, 90 days minimum).
   * @default STANDARD_IA
   */
  coldStorageClass: z.enum(['STANDARD_IA', 'GLACIER_IR']).default('STANDARD_IA'),
});

export type CostAdvice = z.output<typeof costAdviceSchema>;
export const defaultCostAdvice: CostAdvice = costAdviceSchema.parse({});

/** The weekly cost report, cost anomaly alerts and the monthly budget (AWS only). */
const costSchema = z.strictObject({
  /** When the weekly report is made, a `cron(...)` expression in UTC. @default Mondays 06:00 */
  schedule: cronExpression.default('cron(0 6 ? * MON *)'),
  /**
   * When the cost optimizer records S3 storage, lifecycle rules and idle resources for the report:
   * before {@link schedule} on the same UTC day, as the report reads the answers of its own day.
   * @default Mondays 05:30
   */
  optimizerSchedule: cronExpression.default('cron(30 5 ? * MON *)'),
  /** Addresses subscribed to the cost topic: the weekly summary, anomalies, budget alerts. @default [] */
  emails: z.array(z.email()).default([]),
  /**
   * The environment's monthly budget in USD: alerts at 80 % and 100 % of it, actual and
   * forecast. Without it, no budget.
   */
  monthlyBudgetUsd: z.number().positive().optional(),
  /** Anomalies costing at least this many USD above expected are alerted as they are found. @default 10 */
  anomalyAlertUsd: z.number().nonnegative().default(10),
  prices: costPricesSchema.default(defaultCostPrices),
  advice: costAdviceSchema.default(defaultCostAdvice),
});

export type CostConfig = z.output<typeof costSchema>;

/**
 * Alarm thresholds of the Pipeline stack's monitoring (AWS only): every alarm goes to the failure
 * topic, with an OK action when it clears. Freshness comes from each gold contract's
 * `slaProperties` freshness, and a dataset's quality score minimum from its contract's
 * `customProperties` `qualityScoreMin` when it declares one; these are the defaults.
 */
const monitoringSchema = z.strictObject({
  /** A dataset whose quality score (0–100) falls below this alarms. @default 95 */
  qualityScoreMin: z.number().min(0).max(100).default(95),
  /** A silver dataset quarantining more than this share of the rows it reads alarms. @default 0.05 */
  quarantineRateMax: z.number().min(0).max(1).default(0.05),
  /**
   * Rows in below the expected band alarm: the band is CloudWatch anomaly detection's, this many
   * standard deviations wide. @default 2
   */
  rowsInBandWidth: z.number().positive().max(10).default(2),
  /** A function whose p99 duration exceeds this share of its timeout alarms. @default 0.8 */
  durationShareOfTimeout: z.number().gt(0).max(1).default(0.8),
  /** Bytes the engineering workgroup's queries may scan in a day (one daily run). @default 100 GiB */
  athenaBytesPerDayMax: positiveInt.default(100 * 1024 ** 3),
  /** Freshness of a gold table whose contract declares none, in hours. @default 26 */
  defaultFreshnessHours: positiveInt.max(168).default(26),
  /**
   * How often the freshness probe measures each gold table's minutes since its last publish; a
   * freshness alarm also fires when the probe has reported nothing for two of these. @default 15
   */
  freshnessProbeMinutes: positiveInt.min(5).max(60).default(15),
  /**
   * A function whose maximum memory used in an invocation reaches this share of its configured
   * memory alarms: the next larger input may run it out of memory. @default 0.9
   */
  memoryNearLimit: z.number().gt(0).max(1).default(0.9),
});

export type MonitoringConfig = z.output<typeof monitoringSchema>;

/** Days between the quality gates' full checks: weekly (on Sundays, see `core/dq/scope.ts`). */
export const defaultFullChecksEvery = 7;

export const configSchema = z
  .strictObject({
    /** Environment name: local, dev, prod... Stack ids and resource names carry it. */
    env: identifier,
    /** @default 'medallion' */
    project: identifier.default('medallion'),
    lake: z
      .strictObject({
        /** Local lake root: the folder that mirrors the S3 buckets. @default '.lake' */
        root: z.string().min(1).default('.lake'),
      })
      .default({ root: '.lake' }),
    engine: z
      .strictObject({
        /** DuckDB worker threads. @default 2 */
        threads: positiveInt.default(2),
        /** DuckDB memory limit; it spills to disk beyond it. @default '3GB' */
        memoryLimit: z
          .string()
          .regex(/^\d+(\.\d+)?\s*(MB|GB)$/i, 'a size such as 3GB')
          .default('3GB'),
      })
      .default({ threads: 2, memoryLimit: '3GB' }),
    transform: z
      .strictObject({
        /**
         * Models of one DAG level built at once, each its own Lambda invocation and Athena queries
         * (the state machines' `MaxConcurrencyPath`). Bounded by Athena's active DML query quota
         * (per account and region) shared with everything else; an inline Map runs 40 at most.
         * Locally the models still take turns on the one DuckDB connection. @default 4
         */
        concurrency: positiveInt.max(40).default(4),
        plausibleDates: plausibleDatesSchema.default(defaultPlausibleDates),
      })
      .default({ concurrency: 4, plausibleDates: defaultPlausibleDates }),
    sample: z
      .strictObject({
        /** Orders in the initial load. @default 100000 */
        scale: positiveInt.default(100_000),
        /** Days generated: day 1 is the initial load, later days carry ~1% changes. @default 2 */
        days: positiveInt.max(366).default(2),
        /** @default 42 */
        seed: z.number().int().nonnegative().default(42),
        /** The first generated day. @default '2026-01-01' */
        startDate: isoDate.default('2026-01-01'),
      })
      .default({ scale: 100_000, days: 2, seed: 42, startDate: '2026-01-01' }),
    /** Behaviour of the local stand-ins for the REST APIs. */
    simulators: z
      .strictObject({
        /** Every Nth request gets a 429 with Retry-After. 0 disables. @default 9 */
        throttleEvery: z.number().int().nonnegative().default(9),
        /** Share of requests answered with a 5xx. @default 0.03 */
        serverErrorRate: z.number().min(0).max(0.5).default(0.03),
        /** Seconds announced in Retry-After. @default 1 */
        retryAfterSeconds: z.number().int().nonnegative().default(1),
      })
      .default({ throttleEvery: 9, serverErrorRate: 0.03, retryAfterSeconds: 1 }),
    /**
     * The privacy key on AWS (pseudonyms, `lambdas/core/privacy/operators.ts`): the Secrets
     * Manager secret holding it as hex text. Locally the key is `.secrets/privacy.key`, created on
     * first use. Needed once a model pseudonymizes a column.
     */
    privacy: z.strictObject({ keySecret: z.string().min(1) }).optional(),
    sources: z.record(identifier, sourceSchema),
    pipelines: z.record(identifier, pipelineSchema).default({}),
    notifications: z
      .strictObject({
        /** Addresses subscribed to failure notifications (SNS on AWS). @default [] */
        emails: z.array(z.email()).default([]),
      })
      .default({ emails: [] }),
    /** Where to deploy. Both optional: without them the stacks are environment-agnostic. */
    aws: z
      .strictObject({
        account: z
          .string()
          .regex(/^\d{12}$/, 'a 12-digit AWS account id')
          .optional(),
        region: z
          .string()
          .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1')
          .optional(),
        /**
         * Principals (role ARNs) made Lake Formation admins besides CloudFormation's execution
         * role, e.g. the platform team's role; admins already there are kept. @default []
         */
        lakeFormationAdmins: z.array(z.string().startsWith('arn:')).default([]),
      })
      .default({ lakeFormationAdmins: [] }),
    storage: storageSchema.default(storageSchema.parse({})),
    maintenance: maintenanceSchema.default(maintenanceSchema.parse({})),
    athena: z
      .strictObject({
        /** Queries scanning more are cancelled (per query, both workgroups). @default 10 GiB */
        bytesScannedCutoffPerQuery: z
          .number()
          .int()
          .min(10_485_760)
          .default(10 * 1024 ** 3),
      })
      .default({ bytesScannedCutoffPerQuery: 10 * 1024 ** 3 }),
    /**
     * OpenLineage events are always kept in the audit store; with an endpoint (Marquez:
     * `http://host:5000/api/v1/lineage`) each is also POSTed there, best effort.
     */
    lineage: z
      .strictObject({
        endpoint: z.url().optional(),
        timeoutMs: positiveInt.default(5_000),
      })
      .default({ timeoutMs: 5_000 }),
    /** AWS Backup of the lake (AWS only): without it there is no Backup stack. */
    backup: backupSchema.optional(),
    cost: costSchema.default(costSchema.parse({})),
    monitoring: monitoringSchema.default(monitoringSchema.parse({})),
    quality: z
      .strictObject({
        /**
         * Days between full checks: on those run dates (counted from Sunday 1970-01-04, so 7 is
         * every Sunday) the quality gates read every table whole; on the others, the checks of a
         * merged dataset read the rows the run wrote (see docs/data-quality.md). 0: never
         * periodic (`--full-checks` still asks for one). @default 7
         */
        fullChecksEvery: z.number().int().nonnegative().max(366).default(defaultFullChecksEvery),
      })
      .default({ fullChecksEvery: defaultFullChecksEvery }),
  })
  .superRefine((config, ctx) => {
    if ('landing' in config.sources)
      ctx.addIssue({
        code: 'custom',
        path: ['sources', 'landing'],
        message:
          'another name: landing_to_bronze is the landing zone’s job (a landing source needs contracts only)',
        input: config.sources.landing,
      });
    for (const [name, source] of Object.entries(config.sources)) {
      if (source.kind === 'kafka' && source.eventSourceMapping && !source.mskClusterArn) {
        ctx.addIssue({
          code: 'custom',
          path: ['sources', name, 'mskClusterArn'],
          message: 'the MSK cluster ARN (required by eventSourceMapping: true)',
          input: undefined,
        });
      }
    }
    if (config.storage.removalPolicy === 'destroy' && config.env !== 'dev') {
      ctx.addIssue({
        code: 'custom',
        path: ['storage', 'removalPolicy'],
        message: `retain outside the dev environment (this is ${config.env}): destroying data is allowed in dev only`,
        input: 'destroy',
      });
    }
  });

export type PlatformConfig = z.output<typeof configSchema>;
export type SourceConfig = PlatformConfig['sources'][string];
export type WarehouseSourceConfig = Extract<SourceConfig, { kind: 'warehouse' }>;
export type RestSourceConfig = Extract<SourceConfig, { kind: 'rest' }>;
export type KafkaSourceConfig = Extract<SourceConfig, { kind: 'kafka' }>;
export type RetryPolicy = z.output<typeof retrySchema>;
export type MaintenanceConfig = z.output<typeof maintenanceSchema>;

/**
 * The smoke test after a stage (`medallion smoke`): a small landing file of one dataset goes into
 * the landing bucket, the pipeline runs, and its rows must be in bronze exactly once.
 */
const smokeSchema = z.strictObject({
  /** The landing dataset the file belongs to: `landing/<source>/<dataset>/`. */
  source: identifier,
  dataset: identifier,
  /** The file, relative to the repository root (csv, json or jsonl). */
  file: z.string().regex(/\.(csv|json|jsonl)$/, 'a .csv, .json or .jsonl file'),
  /** The pipeline (state machine) started. @default 'daily' */
  pipeline: identifier.default('daily'),
  /** A run still going after this long fails the smoke test (its execution keeps running). @default 90 */
  timeoutMinutes: positiveInt.max(480).default(90),
});

export type SmokeConfig = z.output<typeof smokeSchema>;

/**
 * `config/delivery.yaml`: the CDK Pipelines stack that deploys the environments from git (the
 * Delivery stack, `npx cdk synth -c env=delivery`). Without the file there is no Delivery stack.
 */
export const deliverySchema = z
  .strictObject({
    /** @default 'medallion' */
    project: identifier.default('medallion'),
    /** The account and region the pipeline lives in (a tooling account, or one of the environments'). */
    aws: z.strictObject({
      account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as eu-west-1'),
    }),
    /** The AWS CodeConnections connection to the repository's host, created and authorized beforehand. */
    connectionArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/,
        'a CodeConnections connection ARN',
      ),
    /** The repository, `owner/name`. */
    repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
    /** The branch whose pushes are deployed. @default 'main' */
    branch: z.string().min(1).default('main'),
    /**
     * The environments deployed, in order, each built from its `config/<env>.yaml` (which must
     * name its account and region). `approval` waits for a manual approval before the stage;
     * `smoke` runs the smoke test after it.
     */
    stages: z
      .array(
        z.strictObject({
          env: identifier,
          /** @default false */
          approval: z.boolean().default(false),
          smoke: smokeSchema.optional(),
        }),
      )
      .min(1),
  })
  .superRefine((delivery, ctx) => {
    delivery.stages.forEach((stage, i) => {
      if (delivery.stages.findIndex((s) => s.env === stage.env) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'env'],
          message: `an environment not deployed already (${stage.env} is)`,
          input: stage.env,
        });
    });
  });

export type DeliveryConfig = z.output<typeof deliverySchema>;
