/**
 * The data subject erase on AWS, step by step, against an engine that answers as Athena would:
 * what the plan resolves and keeps, the statements each table gets, the bronze objects rewritten,
 * and the verification that decides the request's outcome in its log.
 */
import { readFileSync } from 'node:fs';
import {
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { beforeEach, describe, expect, it } from 'vitest';
import { testAthenaDialect } from '../../helpers/athena';
import { athenaSubjectTables } from '../../../lambdas/adapters/aws/athena-subject-tables';
import { ContractRegistry } from '../../../lambdas/core/contracts/contract';
import {
  placeholders,
  substitutePlaceholders,
  taskStates,
} from '../../../lambdas/core/orchestration';
import type { Row, SqlEngine } from '../../../lambdas/core/ports';
import { keyedHash } from '../../../lambdas/core/privacy/keyed-hash';
import { parseRequestLog } from '../../../lambdas/core/privacy/requests';
import { createDsrEraseHandler, requestLogPrefix } from '../../../lambdas/handlers/dsr-erase';
import { ManualClock, silentLogger } from '../../helpers/clock';
import { testContract } from '../../helpers/contracts';
import { MemoryObjectStore } from '../../helpers/memory-store';

const dialect = testAthenaDialect();
const contracts = new ContractRegistry([
  testContract(
    'silver.customers',
    'silver.customers',
    `      - { name: customer_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }
      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: email }] }`,
  ),
  testContract(
    'silver.orders',
    'silver.orders',
    `      - { name: order_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: order_id }] }
      - { name: customer_id, logicalType: integer, physicalType: BIGINT, customProperties: [{ property: subject, value: customer_id }] }`,
  ),
  testContract(
    'crm.contacts',
    'bronze.crm_contacts',
    `      - { name: email, logicalType: string, physicalType: VARCHAR, customProperties: [{ property: subject, value: email }] }`,
  ),
]);
const tables = [
  {
    relation: 'silver.customers',
    columns: [
      { name: 'customer_id', type: 'bigint' },
      { name: 'email', type: 'varchar' },
    ],
  },
  {
    relation: 'silver.orders',
    columns: [
      { name: 'order_id', type: 'bigint' },
      { name: 'customer_id', type: 'bigint' },
    ],
  },
  { relation: 'silver.fx_rates', columns: [{ name: 'rate', type: 'double' }] },
  { relation: 'bronze.crm_contacts', columns: [{ name: 'email', type: 'varchar' }] },
  { relation: 'audit.runs', columns: [{ name: 'error', type: 'varchar' }] },
];
const key = new Uint8Array(32).fill(7);
/** The request as the officer puts it in the inbox; the steps are given its id alone. */
const request = { subject: 'Ann@Example.com', received: '2026-01-10' };
const requestId = 'DSR-14';
const inboxKey = 'privacy/inbox/DSR-14.json';
const pendingKey = 'privacy/pending/DSR-14.json';

/** Athena as the handler sees it: answers by the statement's shape, records every statement. */
class FakeAthena implements SqlEngine {
  readonly dialect = dialect;
  readonly executed: string[] = [];
  readonly queried: string[] = [];
  residue: Record<string, number> = {};
  /** Ann's customer row, which links her email to her customer id, is gone. */
  linkGone = false;
  async execute(sql: string): Promise<number> {
    this.executed.push(sql);
    return sql.startsWith('delete') ? 2 : 0;
  }
  async query<T extends Row = Row>(sql: string): Promise<T[]> {
    this.queried.push(sql);
    const rows = (): Row[] => {
      // A replay's recall: every distinct value of a subject column, hashed in the Lambda.
      const listing = /^select distinct lower\(trim\(cast\("(\w+)" as varchar\)\)\) as v /.exec(
        sql,
      );
      if (listing)
        return (
          {
            email: ['ann@example.com', 'bob@example.com'],
            customer_id: ['21', '22'],
            order_id: ['42', '43'],
          }[listing[1]!] ?? []
        ).map((v) => ({ v }));
      if (sql.includes('"$path"'))
        return [
          { path: 's3://medallion-dev-bronze/crm/contacts/a.parquet' },
          { path: 's3://medallion-dev-bronze/crm/contacts/b.parquet' },
        ];
      const count = /^select count\(\*\) as n from "medallion_dev_(\w+)"\."(\w+)"/.exec(sql);
      if (count) return [{ n: String(this.residue[`${count[1]}.${count[2]}`] ?? 0) }];
      if (sql.includes('"medallion_dev_silver"."customers"'))
        return sql.includes("'ann@example.com'") && !this.linkGone
          ? [{ customer_id: 21n, email: 'Ann@Example.com' }]
          : [];
      if (sql.includes('"medallion_dev_silver"."orders"'))
        return sql.includes("'21'") ? [{ order_id: 42n, customer_id: 21n }] : [];
      return [];
    };
    return rows() as T[];
  }
  async refreshSources(): Promise<void> {}
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }
  async relationExists(): Promise<boolean> {
    return true;
  }
  async describe(): Promise<never[]> {
    return [];
  }
}

let engine: FakeAthena;
let clock: ManualClock;
let audit: MemoryObjectStore;
let rewritten: { uri: string; removes: boolean[] }[];
let landed: { prefix: string; removes: boolean[]; lines: string }[];

function handler() {
  return createDsrEraseHandler({
    engine,
    tables: async () => tables,
    contracts,
    privacyKey: { key: async () => key },
    audit,
    bronze: {
      erase: async (uri, isSubject) => {
        const removes = [{ email: 'ann@example.com' }, { email: 'bob@example.com' }].map(isSubject);
        rewritten.push({ uri, removes });
        return { rowsRemoved: removes.filter(Boolean).length, deleted: false, versionsRemoved: 1 };
      },
    },
    landing: {
      erase: async (prefix, subject) => {
        const test = subject.rowTest(['email', 'note']);
        const removes = [
          { email: 'ANN@example.com', note: null },
          { email: 'bob@example.com', note: 'met ann@example.com' },
          { email: 'bob@example.com', note: 'ann@example.community' },
        ].map(test);
        const lines = subject.withoutLines('a,ann@example.com\nb,bob@example.com').text;
        landed.push({ prefix, removes, lines });
        return { rowsRemoved: 2, rewritten: 1, deleted: 0, versionsRemoved: 3, unreadable: [] };
      },
    },
    clock,
    logger: silentLogger,
  });
}

async function logEntries() {
  const keys = await audit.list(requestLogPrefix);
  return parseRequestLog(
    (await Promise.all(keys.map((k) => audit.getText(k)))).join(''),
    requestLogPrefix,
  );
}

beforeEach(async () => {
  engine = new FakeAthena();
  clock = new ManualClock();
  audit = new MemoryObjectStore();
  await audit.putText(inboxKey, JSON.stringify(request));
  rewritten = [];
  landed = [];
});

describe('dsr erase on AWS', () => {
  it('plans: reads the request from the inbox, resolves the identifiers transitively, keeps both pending, logs the start by keyed hashes only', async () => {
    const plan = await handler()({ step: 'plan', execution: { requestId } });

    expect(plan).toEqual({
      requestId: 'DSR-14',
      relations: [
        'bronze.crm_contacts',
        'silver.customers',
        'silver.orders',
        // Every dataset's landing folder, searched whatever Athena finds.
        'landing/crm/contacts/',
      ],
    });
    // The execution history keeps what the plan returns: no subject.
    expect(JSON.stringify(plan).toLowerCase()).not.toContain('ann@example.com');
    expect(JSON.parse((await audit.getText(pendingKey))!)).toEqual({
      // The regime's default filled in.
      request: { ...request, requestId, regime: 'gdpr' },
      identifiers: { customer_id: ['21'], email: ['ann@example.com'], order_id: ['42'] },
    });
    const [started, ...rest] = await logEntries();
    expect(rest).toEqual([]);
    expect(started).toMatchObject({
      requestId: 'DSR-14',
      kind: 'erase',
      event: 'started',
      regime: 'gdpr',
      received: '2026-01-10',
      subject: keyedHash(key, 'email=ann@example.com'),
      identifiers: { order_id: [keyedHash(key, 'order_id=42')] },
    });
    const logText = (
      await Promise.all((await audit.list(requestLogPrefix)).map((k) => audit.getText(k)))
    ).join('');
    expect(logText.toLowerCase()).not.toContain('ann@example.com');
  });

  it('a missing inbox request fails naming its key; a request that names another id is refused', async () => {
    await audit.delete(inboxKey);
    await expect(handler()({ step: 'plan', execution: { requestId } })).rejects.toThrow(
      'Request DSR-14: no request at privacy/inbox/DSR-14.json in the audit bucket',
    );
    await audit.putText(inboxKey, JSON.stringify({ ...request, requestId: 'DSR-15' }));
    await expect(handler()({ step: 'plan', execution: { requestId } })).rejects.toThrow(
      'privacy/inbox/DSR-14.json in the audit bucket says it is request DSR-15',
    );
    await expect(handler()({ step: 'plan', execution: { requestId: 'replay' } })).rejects.toThrow(
      "Request replay: the name is the replay's",
    );
    expect(await audit.exists(pendingKey)).toBe(false);
  });

  it('a plan run again after a crash keeps the identifiers the first run resolved', async () => {
    await audit.putText(
      pendingKey,
      JSON.stringify({
        request: { ...request, requestId, regime: 'gdpr' },
        identifiers: { customer_id: ['21'], order_id: ['42', '43'] },
      }),
    );
    // The customer row is gone already: the email resolves to nothing else now.
    engine.query = async () => [];
    await handler()({ step: 'plan', execution: { requestId } });
    expect(JSON.parse((await audit.getText(pendingKey))!).identifiers).toEqual({
      customer_id: ['21'],
      email: ['ann@example.com'],
      order_id: ['42', '43'],
    });
  });

  it('erases an Iceberg table: DELETE, then OPTIMIZE and VACUUM with no snapshot kept but the current one', async () => {
    await handler()({ step: 'plan', execution: { requestId } });
    engine.executed.length = 0;

    const erased = await handler()({ step: 'erase', requestId, relation: 'silver.orders' });

    expect(erased).toEqual({ relation: 'silver.orders', rows: 2 });
    expect(engine.executed).toEqual([
      `delete from "medallion_dev_silver"."orders" where (lower(trim(cast("order_id" as varchar))) in ('42') or lower(trim(cast("customer_id" as varchar))) in ('21'))`,
      "alter table medallion_dev_silver.orders set tblproperties ('vacuum_max_snapshot_age_seconds' = '0', 'vacuum_min_snapshots_to_keep' = '1')",
      'optimize medallion_dev_silver.orders rewrite data using bin_pack',
      'vacuum medallion_dev_silver.orders',
    ]);
  });

  it('erases bronze by rewriting each object Athena finds the subject in', async () => {
    await handler()({ step: 'plan', execution: { requestId } });

    const erased = await handler()({ step: 'erase', requestId, relation: 'bronze.crm_contacts' });

    expect(erased).toEqual({ relation: 'bronze.crm_contacts', rows: 2 });
    expect(engine.queried.at(-1)).toBe(
      `select distinct "$path" as path from "medallion_dev_bronze"."crm_contacts" where (lower(trim(cast("email" as varchar))) in ('ann@example.com'))`,
    );
    expect(rewritten).toEqual([
      { uri: 's3://medallion-dev-bronze/crm/contacts/a.parquet', removes: [true, false] },
      { uri: 's3://medallion-dev-bronze/crm/contacts/b.parquet', removes: [true, false] },
    ]);
    expect(engine.executed).toEqual([]);
  });

  it("erases a landing folder: the dataset's contract names the subject columns, the rest is searched as text", async () => {
    await handler()({ step: 'plan', execution: { requestId } });

    const erased = await handler()({ step: 'erase', requestId, relation: 'landing/crm/contacts/' });

    expect(erased).toEqual({ relation: 'landing/crm/contacts/', rows: 2 });
    expect(landed).toEqual([
      {
        // The landing bucket's key prefix.
        prefix: 'crm/contacts/',
        // The email column by value, a note by mention; a longer word is someone else.
        removes: [true, true, false],
        lines: 'b,bob@example.com',
      },
    ]);
    expect(engine.executed).toEqual([]);
    await expect(
      handler()({ step: 'erase', requestId, relation: 'landing/crm/nothing/' }),
    ).rejects.toThrow('landing/crm/nothing/: no bronze contract has this landing folder');
  });

  it('an erase step without a plan fails naming where the identifiers should be', async () => {
    await expect(
      handler()({ step: 'erase', requestId, relation: 'silver.orders' }),
    ).rejects.toThrow(`Request DSR-14: no resolved identifiers at ${pendingKey}`);
    await handler()({ step: 'plan', execution: { requestId } });
    await expect(
      handler()({ step: 'erase', requestId, relation: 'silver.nothing' }),
    ).rejects.toThrow('Request DSR-14: no table silver.nothing in the lake');
  });

  it('finishes: zero residue completes the request and drops the pending file and the inbox request', async () => {
    await handler()({ step: 'plan', execution: { requestId } });
    const done = await handler()({
      step: 'finish',
      requestId,
      erased: [
        { relation: 'silver.orders', rows: 2 },
        { relation: 'silver.fx_rates', rows: 0 },
      ],
    });

    expect(done).toEqual({
      requestId: 'DSR-14',
      rows: { 'silver.orders': 2 },
      residue: 0,
      requests: 1,
    });
    expect(await audit.exists(pendingKey)).toBe(false);
    expect(await audit.exists(inboxKey)).toBe(false);
    expect((await logEntries()).map((e) => [e.event, e.residue])).toEqual([
      ['started', undefined],
      ['completed', 0],
    ]);
    // Every table that could hold the subject was counted, run history included.
    expect(engine.queried.filter((q) => q.startsWith('select count(*)')).length).toBe(4);
  });

  it('finishes: residue fails the request, naming where, and keeps the identifiers for the next run', async () => {
    await handler()({ step: 'plan', execution: { requestId } });
    engine.residue = { 'silver.orders': 1 };

    await expect(handler()({ step: 'finish', requestId, erased: [] })).rejects.toThrow(
      'Request DSR-14: the verification found the subject still in silver.orders (1)',
    );
    expect(await audit.exists(pendingKey)).toBe(true);
    expect(await audit.exists(inboxKey)).toBe(true);
    expect((await logEntries()).at(-1)).toMatchObject({
      event: 'failed',
      residue: 1,
      error: 'residue in silver.orders',
    });
  });

  it('refuses a request without a received date, and a subject kind no contract declares, without quoting the subject', async () => {
    await audit.putText(inboxKey, JSON.stringify({ subject: 'ann@example.com' }));
    await expect(handler()({ step: 'plan', execution: { requestId } })).rejects.toThrow(
      /^Request DSR-14: privacy\/inbox\/DSR-14.json in the audit bucket is not a request: received: /,
    );
    await audit.putText(inboxKey, JSON.stringify({ ...request, subject: 'passport=X1' }));
    const refused = handler()({ step: 'plan', execution: { requestId } });
    await expect(refused).rejects.toThrow(
      '--subject <subject>: no contract declares a column as subject passport',
    );
    await expect(refused).rejects.not.toThrow('X1');
    await audit.putText(inboxKey, 'ann@example.com');
    await expect(handler()({ step: 'plan', execution: { requestId } })).rejects.toThrow(
      /^Request DSR-14: privacy\/inbox\/DSR-14.json in the audit bucket is not JSON$/,
    );
    // The request id names an object key: nothing but a plain name.
    await expect(
      handler()({ step: 'plan', execution: { requestId: 'DSR 14/..' } }),
    ).rejects.toThrow(/dsr-erase: invalid input: .*execution/);
  });
});

describe('a replay on AWS, after a restore from backup', () => {
  /** Ann's erase completed; Bob's only started; then a restore brought both back. */
  async function erasedBefore() {
    await handler()({ step: 'plan', execution: { requestId } });
    await handler()({ step: 'finish', requestId, erased: [] });
    await audit.putText(
      'privacy/inbox/DSR-15.json',
      JSON.stringify({ subject: 'bob@example.com', received: '2026-01-11' }),
    );
    await handler()({ step: 'plan', execution: { requestId: 'DSR-15' } });
    engine.queried.length = 0;
    // The restore, days later.
    await clock.sleep(86_400_000);
  }

  it('recalls every completed erase by keyed hashes, resolves it again, and erases everyone at once', async () => {
    await erasedBefore();

    const plan = await handler()({ step: 'plan', execution: { replay: true } });

    expect(plan).toEqual({
      requestId: 'replay',
      relations: [
        'bronze.crm_contacts',
        'silver.customers',
        'silver.orders',
        'landing/crm/contacts/',
      ],
    });
    expect(JSON.parse((await audit.getText('privacy/pending/replay.json'))!)).toEqual({
      replay: [
        {
          requestId: 'DSR-14',
          regime: 'gdpr',
          received: '2026-01-10',
          subject: keyedHash(key, 'email=ann@example.com'),
          identifiers: { customer_id: ['21'], email: ['ann@example.com'], order_id: ['42'] },
        },
      ],
      identifiers: { customer_id: ['21'], email: ['ann@example.com'], order_id: ['42'] },
    });
    // Athena lists values; the key and the hashes never enter a query.
    const listings = engine.queried.filter((q) => q.startsWith('select distinct lower('));
    expect(listings).toEqual([
      `select distinct lower(trim(cast("email" as varchar))) as v from "medallion_dev_bronze"."crm_contacts" where "email" is not null`,
      `select distinct lower(trim(cast("customer_id" as varchar))) as v from "medallion_dev_silver"."customers" where "customer_id" is not null`,
      `select distinct lower(trim(cast("email" as varchar))) as v from "medallion_dev_silver"."customers" where "email" is not null`,
      `select distinct lower(trim(cast("order_id" as varchar))) as v from "medallion_dev_silver"."orders" where "order_id" is not null`,
      `select distinct lower(trim(cast("customer_id" as varchar))) as v from "medallion_dev_silver"."orders" where "customer_id" is not null`,
    ]);
    const secret = Buffer.from(key).toString('hex');
    for (const q of engine.queried) {
      expect(q).not.toContain(secret);
      expect(q).not.toContain(keyedHash(key, 'email=ann@example.com'));
    }

    const done = await handler()({ step: 'finish', requestId: 'replay', erased: [] });

    expect(done).toMatchObject({ requestId: 'replay', residue: 0, requests: 1 });
    expect(await audit.exists('privacy/pending/replay.json')).toBe(false);
    const ann = (await logEntries()).filter((e) => e.requestId === 'DSR-14');
    expect(ann.map((e) => e.event)).toEqual(['started', 'completed', 'started', 'completed']);
    expect(ann.at(-1)).toMatchObject({
      subject: keyedHash(key, 'email=ann@example.com'),
      identifiers: { order_id: [keyedHash(key, 'order_id=42')] },
      rows: {},
    });
  });

  it('a new erase of someone erased before recalls what the earlier one resolved, once the link is gone', async () => {
    await erasedBefore();
    engine.linkGone = true;
    await audit.putText(
      'privacy/inbox/DSR-20.json',
      JSON.stringify({ subject: 'ANN@example.com', received: '2026-02-01' }),
    );

    await handler()({ step: 'plan', execution: { requestId: 'DSR-20' } });

    expect(JSON.parse((await audit.getText('privacy/pending/DSR-20.json'))!).identifiers).toEqual({
      customer_id: ['21'],
      email: ['ann@example.com'],
      order_id: ['42'],
    });
  });

  it('with nothing recalled, erases nothing and still logs that it looked', async () => {
    await erasedBefore();
    engine.query = async () => [];

    const plan = await handler()({ step: 'plan', execution: { replay: true } });

    expect(plan).toEqual({ requestId: 'replay', relations: [] });
    const done = await handler()({ step: 'finish', requestId: 'replay', erased: [] });
    expect(done).toMatchObject({ residue: 0, requests: 1 });
  });
});

describe('dsr_erase in the Step Functions interpreter', () => {
  /**
   * Runs the machine's definition with the real handler for every DsrErase task; records what each
   * task is given and returns, which is what the execution history keeps.
   */
  async function run(input: { requestId: string } | { replay: true }) {
    const text = readFileSync('stepfunctions/dsr_erase.asl.json', 'utf8');
    const parsed = JSON.parse(text) as StateMachineDefinition;
    const history: string[] = [];
    const erase = handler();
    const stubs: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
      DsrEraseFunctionArn: (event) => erase(event),
      RunLockFunctionArn: async () => ({}),
      NotifyFailureFunctionArn: async () => ({}),
    };
    type Overrides = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
    const overrides = Object.fromEntries(
      taskStates(parsed).map((task) => [
        task.name,
        async (event: Record<string, unknown>) => {
          history.push(JSON.stringify(event));
          const result = await stubs[task.resource.replace(/^\$\{(.+)\}$/, '$1')]!(event);
          history.push(JSON.stringify(result));
          return result;
        },
      ]),
    ) as Overrides;
    const machine = new StateMachine(
      JSON.parse(
        substitutePlaceholders(
          text,
          Object.fromEntries(
            placeholders(text).map((p) => [
              p,
              `arn:aws:lambda:us-east-1:000000000000:function:${p}`,
            ]),
          ),
        ),
      ) as StateMachineDefinition,
      { validationOptions: { checkPaths: true, checkArn: true } },
    );
    const execution = machine.run(input, {
      overrides: { taskResourceLocalHandlers: overrides },
      context: { Execution: { Name: 'dsr-1' }, StateMachine: { Name: 'medallion-dev-dsr_erase' } },
    });
    const output = await execution.result.catch((error: Error) => ({ failed: error }));
    return { history, output };
  }

  it('erases from the request id alone: no task input or output, nor the result, holds the subject', async () => {
    const { history, output } = await run({ requestId });

    expect(output).toMatchObject({
      requestId,
      plan: { requestId },
      summary: { requestId, residue: 0 },
    });
    expect((output as { erased: unknown[] }).erased).toHaveLength(4);
    expect(rewritten).toHaveLength(2);
    expect(landed).toHaveLength(1);
    expect(history.length).toBeGreaterThan(10);
    for (const entry of [...history, JSON.stringify(output)])
      expect(entry.toLowerCase()).not.toContain('ann@example.com');
    expect(await audit.exists(inboxKey)).toBe(false);
  });

  it('replays from {"replay": true}, the subject nowhere in the history either', async () => {
    await run({ requestId });
    const { history, output } = await run({ replay: true });

    expect(output).toMatchObject({ plan: { requestId: 'replay' }, summary: { requests: 1 } });
    for (const entry of [...history, JSON.stringify(output)])
      expect(entry.toLowerCase()).not.toContain('ann@example.com');
  });

  it('fails when the inbox has no such request, naming its key', async () => {
    await audit.delete(inboxKey);

    const { output } = await run({ requestId });

    expect((output as { failed: Error }).failed.message).toContain(
      'no request at privacy/inbox/DSR-14.json in the audit bucket',
    );
    expect(engine.executed).toEqual([]);
  });
});

describe("the lake's tables as Athena lists them", () => {
  it('reads every base table of the Glue databases, named by their lake schema, columns in order', async () => {
    const fake = new FakeAthena();
    fake.query = async <T extends Row = Row>(sql: string) => {
      fake.queried.push(sql);
      return [
        {
          table_schema: 'medallion_dev_bronze',
          table_name: 'crm_contacts',
          column_name: 'email',
          data_type: 'varchar',
        },
        {
          table_schema: 'medallion_dev_gold',
          table_name: 'orders__v1',
          column_name: 'order_id',
          data_type: 'bigint',
        },
        {
          table_schema: 'medallion_dev_gold',
          table_name: 'orders__v1',
          column_name: 'note',
          data_type: 'varchar',
        },
      ] as unknown as T[];
    };

    expect(await athenaSubjectTables(fake, 'medallion', 'dev')).toEqual([
      { relation: 'bronze.crm_contacts', columns: [{ name: 'email', type: 'varchar' }] },
      {
        relation: 'gold.orders__v1',
        columns: [
          { name: 'order_id', type: 'bigint' },
          { name: 'note', type: 'varchar' },
        ],
      },
    ]);
    const [sql] = fake.queried;
    expect(sql).toContain("t.table_type = 'BASE TABLE'");
    expect(sql).toContain("'medallion_dev_bronze', 'medallion_dev_silver', 'medallion_dev_gold'");
    expect(sql).toContain('order by c.table_schema, c.table_name, c.ordinal_position');
  });
});
