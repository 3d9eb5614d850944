/**
 * A project without the sample domain (`docs/adding-a-source.md`): its own config with one REST
 * source, that source's bronze contract, no models, and the repository's `stepfunctions/` as is.
 * `daily` is built from the config and runs end to end, landing the source in bronze.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsOf } from '../../lambdas/core/orchestration';
import { loadProject } from '../../lambdas/definitions/project-files';
import { projectRoot } from '../../lambdas/definitions/project-root';
import type { LocalPlatform } from '../../lambdas/runtime/local-platform';
import { runJob } from '../../lambdas/runtime/runner';
import { day1, openPlatform } from '../helpers/lake';

const config = `env: local
lake: { root: .lake }
engine: { threads: 1, memoryLimit: 512MB }
simulators: { throttleEvery: 3, serverErrorRate: 0, retryAfterSeconds: 0 }
sources:
  billing_api:
    kind: rest
    description: Invoices of the billing system.
    pageSize: 2
    retry: { baseDelayMs: 1, maxDelayMs: 5 }
    datasets:
      invoices: { path: /v1/invoices, watermark: updated_at }
`;

const contract = `apiVersion: v3.1.0
kind: DataContract
id: billing_api.invoices
name: invoices
version: 1.0.0
status: active
domain: billing
dataProduct: bronze
team:
  name: billing
description:
  purpose: Invoices as the billing API serves them.
schema:
  - name: invoices
    physicalName: bronze.billing_api_invoices
    physicalType: table
    logicalType: object
    description: Invoices as the billing API serves them.
    properties:
      - name: invoice_id
        logicalType: string
        physicalType: VARCHAR
        description: Invoice number.
        primaryKey: true
        primaryKeyPosition: 1
        required: true
        classification: internal
      - name: amount
        logicalType: string
        physicalType: VARCHAR
        description: Amount due (JSON number).
        classification: internal
      - name: updated_at
        logicalType: string
        physicalType: VARCHAR
        description: Last change; the extraction watermark.
        required: true
        classification: internal
`;

const invoices = [
  { invoice_id: 'INV-1', amount: 120.5, updated_at: '2025-12-31T08:00:00Z' },
  { invoice_id: 'INV-2', amount: 80, updated_at: '2025-12-31T09:00:00Z' },
  { invoice_id: 'INV-3', amount: 15.25, updated_at: '2026-01-01T10:00:00Z' },
];

describe('a project with its own source and no sample', () => {
  let root: string;
  let platform: LocalPlatform;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'medallion-own-source-'));
    mkdirSync(path.join(root, 'config/contracts'), { recursive: true });
    writeFileSync(path.join(root, 'config/local.yaml'), config);
    writeFileSync(path.join(root, 'config/contracts/billing_api.invoices.yaml'), contract);
    cpSync(path.join(projectRoot, 'stepfunctions'), path.join(root, 'stepfunctions'), {
      recursive: true,
    });
    // What the local REST stand-in serves for the source: `_sim/<source>/<dataset>.jsonl`.
    const sim = path.join(root, '.lake/_sim');
    mkdirSync(path.join(sim, 'billing_api'), { recursive: true });
    writeFileSync(path.join(sim, 'manifest.json'), '{}\n');
    writeFileSync(
      path.join(sim, 'billing_api/invoices.jsonl'),
      invoices.map((i) => JSON.stringify(i)).join('\n'),
    );
    const project = await loadProject({ root, env: 'local' });
    platform = await openPlatform(project, path.join(root, '.lake'));
  });
  afterAll(async () => {
    await platform?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('has its source’s job and the fixed ones, none of the sample’s', () => {
    expect(jobsOf(platform.project.config.sources)).toEqual([
      'billing_api_to_bronze',
      'landing_to_bronze',
      'bronze_to_silver',
      'silver_to_gold',
      'daily',
      'maintenance',
    ]);
  });

  it('runs daily, which lands the source in bronze', async () => {
    const outcome = await runJob(platform, 'daily', { runDate: day1, retryIntervalMs: 0 });
    expect(outcome.error).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(Object.keys(outcome.attempts)).toEqual(
      expect.arrayContaining(['BillingApiToBronze', 'LandingToBronze']),
    );
    expect(outcome.attempts).not.toHaveProperty('CrmToBronze');
    const rows = await platform.lakehouse.query<{ invoice_id: string }>(
      'select invoice_id from bronze.billing_api_invoices order by invoice_id',
    );
    expect(rows.map((r) => r.invoice_id)).toEqual(['INV-1', 'INV-2', 'INV-3']);
  });

  it('runs the source’s own job: nothing new since daily', async () => {
    const outcome = await runJob(platform, 'billing_api_to_bronze', {
      runDate: day1,
      retryIntervalMs: 0,
    });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => [s.dataset, s.rowsOut])).toEqual([['billing_api.invoices', 0]]);
  });
});
