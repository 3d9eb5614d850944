import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { dailyDefinition, sourceComments } from '../../lambdas/core/job-definitions';
import { fixedJobs, jobsOf, taskStates } from '../../lambdas/core/orchestration';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { loadConfig } from '../../lambdas/definitions/source-files';
import {
  stateMachineDefinition,
  stateMachineDefinitions,
} from '../../lambdas/definitions/state-machine-files';
import {
  landingOnlyConfig,
  oneRestSourceConfig,
  sampleConfig,
  sampleDefinitions,
} from '../helpers/state-machines';

interface Definition {
  Comment: string;
  States: Record<string, { Type: string; Branches?: { StartAt: string }[] } & object>;
}
const parsed = (text: string) => JSON.parse(text) as Definition;
const branches = (daily: string) =>
  parsed(daily).States.IngestSources!.Branches!.map((b) => b.StartAt);

describe('jobs from config', () => {
  it('one job per source, in config order, then the fixed ones', () => {
    expect(jobsOf(sampleConfig.sources)).toEqual([
      'snowflake_to_bronze',
      'redshift_to_bronze',
      'crm_to_bronze',
      'fx_to_bronze',
      'kafka_to_bronze',
      ...fixedJobs,
    ]);
    expect(jobsOf(oneRestSourceConfig.sources)).toEqual(['billing_api_to_bronze', ...fixedJobs]);
    expect(jobsOf({})).toEqual(fixedJobs);
  });

  it('refuses a source named landing: landing_to_bronze is the landing zone’s', () => {
    expect(() =>
      parseConfig(
        'env: test\nsources:\n  landing:\n    kind: kafka\n    datasets: { e: { topic: e } }\n',
        'config/test.yaml',
      ),
    ).toThrow(/sources\.landing: expected another name: landing_to_bronze is the landing zone/);
  });
});

describe('the sample’s state machines', () => {
  // The hand-written definitions these templates replaced, as reviewed (fixtures/asl-sample/).
  it.each(
    ['snowflake', 'redshift', 'crm', 'fx', 'kafka'].map((s) => `${s}_to_bronze`).concat('daily'),
  )(
    '%s is built exactly as it was written by hand, Comments, retries and timeouts included',
    (job) => {
      const written = JSON.parse(
        readFileSync(`fixtures/asl-sample/${job}.asl.json`, 'utf8'),
      ) as object;
      expect(JSON.parse(sampleDefinitions.get(job as 'daily')!)).toEqual(written);
    },
  );

  it('every env builds the same, as the envs configure the same sources', async () => {
    for (const env of ['prod', 'local']) {
      const { config } = await loadConfig({ root: projectRoot, env });
      expect(stateMachineDefinitions(projectRoot, config), env).toEqual(sampleDefinitions);
    }
  });
});

describe('a project without the sample', () => {
  const definitions = stateMachineDefinitions(projectRoot, oneRestSourceConfig);

  it('builds its source’s job from the template, Comments said from the source', () => {
    const job = parsed(definitions.get('billing_api_to_bronze')!);
    expect(job.Comment).toBe('billing_api REST API → bronze.');
    const [ingest] = taskStates(job).filter((t) => t.name === 'BillingApiToBronze');
    expect(ingest?.resource).toBe('${IngestRestFunctionArn}');
    expect(ingest?.definition).toMatchObject({
      Comment: expect.stringMatching(/^billing_api invoices over the REST API\. Retried on/),
      Parameters: { source: 'billing_api' },
    });
    expect(definitions.get('billing_api_to_bronze')).toContain('"job": "billing_api_to_bronze"');
  });

  it('daily ingests its source and the landing zone, nothing of the sample', () => {
    expect(branches(definitions.get('daily')!)).toEqual(['BillingApiToBronze', 'LandingToBronze']);
    expect(definitions.get('daily')).not.toMatch(/snowflake|crm|kafka/i);
    expect(branches(stateMachineDefinitions(projectRoot, landingOnlyConfig).get('daily')!)).toEqual(
      ['LandingToBronze'],
    );
  });

  it('has no job of the sample’s sources', () => {
    expect([...definitions.keys()]).not.toContain('crm_to_bronze');
    expect(() => stateMachineDefinition(projectRoot, oneRestSourceConfig, 'crm_to_bronze')).toThrow(
      /No job crm_to_bronze in this config \(jobs: billing_api_to_bronze, landing_to_bronze,/,
    );
  });
});

describe('source comments', () => {
  const source = (yaml: string) =>
    parseConfig(`env: test\nsources:\n  s:\n${yaml}`, 'config/test.yaml').sources.s!;

  it('are said from the kind, engine and datasets when config gives none', () => {
    expect(
      sourceComments(
        's',
        source(
          '    kind: warehouse\n    engine: redshift\n    datasets:\n      a: { table: a }\n      b: { table: b, watermark: loaded_at }\n',
        ),
      ),
    ).toEqual({
      job: 'Redshift → bronze.',
      ingest: 'Redshift a and b, incrementally by updated_at and loaded_at.',
    });
    expect(
      sourceComments('s', source('    kind: kafka\n    datasets: { e: { topic: clicks } }\n')),
    ).toEqual({
      job: 'Kafka clicks → bronze.',
      ingest: 'clicks from committed offsets, in MSK-shaped batches.',
    });
  });

  it('are config’s when given', () => {
    expect(
      sourceComments(
        's',
        source(
          '    kind: rest\n    comments: { job: "Billing → bronze.", ingest: \'Invoices, "paged".\' }\n    datasets: { i: { path: /i, watermark: w } }\n',
        ),
      ),
    ).toEqual({ job: 'Billing → bronze.', ingest: 'Invoices, "paged".' });
  });

  it('survive quotes in the JSON they are written into', () => {
    const config = parseConfig(
      'env: test\nsources:\n  s:\n    kind: rest\n    comments: { ingest: \'The "S" API.\' }\n    datasets: { i: { path: /i, watermark: w } }\n',
      'config/test.yaml',
    );
    const job = parsed(stateMachineDefinitions(projectRoot, config).get('s_to_bronze')!);
    expect(JSON.stringify(job)).toContain('The \\"S\\" API. Retried on');
  });
});

describe('the daily template', () => {
  it('refuses an ingest job whose lock does not hand over to a Task', () => {
    const template = readFileSync('stepfunctions/templates/daily.asl.json', 'utf8');
    const broken = JSON.stringify({
      StartAt: 'AcquireRunLock',
      States: { AcquireRunLock: { Type: 'Task', Next: 'Wait' }, Wait: { Type: 'Wait' } },
    });
    expect(() => dailyDefinition(template, [['x_to_bronze', broken]])).toThrow(
      /x_to_bronze: the state after AcquireRunLock is not its ingest Task/,
    );
  });
});
