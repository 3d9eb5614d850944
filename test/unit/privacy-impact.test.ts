import { beforeAll, describe, expect, it } from 'vitest';
import type { AccessPolicy } from '../../lambdas/core/access/policy';
import { buildLineageGraph } from '../../lambdas/core/lineage/graph';
import { privacyImpact, type PrivacyImpactReport } from '../../lambdas/core/privacy/impact';
import { projectRoot } from '../../lambdas/definitions/project-root';
import { loadProject, type Project } from '../../lambdas/definitions/project-files';
import { loadAccessPolicy } from '../../lambdas/definitions/source-files';
import { renderPrivacyReportHtml } from '../../lambdas/runtime/reports/privacy-html';

describe('the privacy impact report (sample project)', () => {
  let project: Project;
  let policy: AccessPolicy;
  let report: PrivacyImpactReport;
  const now = new Date('2026-03-01T00:00:00.000Z');

  beforeAll(async () => {
    project = await loadProject({ root: projectRoot });
    policy = (await loadAccessPolicy(projectRoot, project.config.env))!;
    report = privacyImpact({
      config: project.config,
      contracts: project.contracts,
      graph: buildLineageGraph(project),
      policy,
      requests: [
        {
          id: 'r-1',
          kind: 'erase',
          received: '2026-01-10',
          deadline: '2026-02-10',
          status: 'received',
          overdue: true,
        },
        {
          id: 'r-2',
          kind: 'export',
          received: '2026-02-20',
          deadline: '2026-03-20',
          status: 'completed',
          overdue: false,
        },
      ],
      findings: [
        { dataset: 'silver.orders', column: 'note', found: 'email (0.98)', declared: 'internal' },
      ],
      now,
    });
  });

  const column = (dataset: string, name: string) =>
    report.datasets.find((d) => d.dataset === dataset)?.columns.find((c) => c.name === name);

  it('lists every contract column classified pii or confidential, and no other', () => {
    const expected = project.contracts
      .all()
      .flatMap((c) =>
        c.properties
          .filter((p) => p.classification === 'pii' || p.classification === 'confidential')
          .map((p) => `${c.id}.${p.name}`),
      )
      .sort();
    const listed = report.datasets
      .flatMap((d) => d.columns.map((c) => `${d.dataset}.${c.name}`))
      .sort();
    expect(listed).toEqual(expected);
    expect(report.summary.piiColumns).toBeGreaterThan(0);
  });

  it('follows a bronze email down to gold through the column lineage', () => {
    const email = column('snowflake.customers', 'email')!;
    expect(email.classification).toBe('pii');
    expect(email.flowsTo).toEqual(
      expect.arrayContaining(['silver.customers.email', 'gold.customer_360.email']),
    );
    expect(report.flows).toEqual(
      expect.arrayContaining([{ from: 'snowflake.customers', to: 'silver.customers' }]),
    );
    expect(report.reached).toEqual(
      expect.arrayContaining([{ dataset: 'gold.customer_360', layer: 'gold' }]),
    );
  });

  it('says who reads each column and how, from the access policy', () => {
    const readers = Object.fromEntries(
      column('gold.customer_360', 'email')!.readers.map((r) => [r.persona, r.visibility]),
    );
    expect(readers).toMatchObject({ auditor: 'masked', privacy_officer: 'clear' });
    expect(readers.analyst).toBeUndefined();
    expect(report.summary.clearPiiReaders).toContain('privacy_officer');
    expect(report.summary.clearPiiReaders).not.toContain('analyst');
  });

  it('states retention from the contract or config and counts open and overdue requests', () => {
    expect(report.datasets.find((d) => d.dataset === 'snowflake.customers')!.retention).toMatch(
      /^kept; replaced object versions expire after \d+ days/,
    );
    expect(report.datasets.find((d) => d.dataset === 'kafka.order_events')!.retention).toBe(
      '400 days (config/contracts/kafka.order_events.yaml)',
    );
    expect(report.summary).toMatchObject({ openRequests: 1, overdueRequests: 1 });
  });

  it('renders one offline page: a picture of the flows, every dataset, findings and requests', () => {
    const html = renderPrivacyReportHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg role="img"');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    for (const d of report.datasets) expect(html).toContain(`<code>${d.dataset}</code>`);
    expect(html).toContain('<code>silver.orders.note</code>');
    expect(html).toContain('2026-02-10 (overdue)');
  });
});
