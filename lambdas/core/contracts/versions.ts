/**
 * The contract registry: every version of every contract that a run has used, in
 * `audit.contract_versions`. It is the baseline `medallion contract check` compares working
 * contracts with, and what transitive compatibility modes check against.
 */
import type { SqlEngine } from '../ports';
import type { Contract } from './contract';
import { compareVersions } from './compatibility';
import type { ContractDocument } from './schema';

export interface Registration {
  /** Contracts whose version was registered now, for the first time. */
  readonly registered: readonly string[];
  /** Contracts whose text differs from what was registered under the same version. */
  readonly drifted: readonly string[];
}

export class ContractVersions {
  constructor(private readonly engine: SqlEngine) {}

  /** Registers each contract's version the first time a run uses it. */
  async register(
    contracts: readonly Contract[],
    runId: string,
    registeredAt: string,
  ): Promise<Registration> {
    const known = new Map(
      (await this.rows()).map((r) => [`${r.contract_id}@${r.version}`, r.document]),
    );
    const fresh = contracts.filter((c) => !known.has(`${c.id}@${c.version}`));
    const drifted = contracts.filter((c) => {
      const document = known.get(`${c.id}@${c.version}`);
      return document !== undefined && document !== JSON.stringify(c.document);
    });
    if (fresh.length > 0) {
      const d = this.engine.dialect;
      const values = fresh.map(
        (c) =>
          `(${[c.id, c.version, JSON.stringify(c.document), runId].map((v) => d.string(v)).join(', ')}, ${d.timestamp(registeredAt)})`,
      );
      await this.engine.execute(
        `insert into ${d.relation('audit.contract_versions')} (contract_id, version, document, run_id, registered_at)
         values ${values.join(', ')}`,
      );
    }
    return { registered: fresh.map((c) => c.id), drifted: drifted.map((c) => c.id) };
  }

  /** Every registered version of every contract, by id, oldest version first. */
  async history(): Promise<Map<string, ContractDocument[]>> {
    const byId = new Map<string, ContractDocument[]>();
    for (const row of await this.rows()) {
      const versions = byId.get(row.contract_id) ?? [];
      versions.push(JSON.parse(row.document) as ContractDocument);
      byId.set(row.contract_id, versions);
    }
    for (const versions of byId.values())
      versions.sort((a, b) => compareVersions(a.version, b.version));
    return byId;
  }

  private rows() {
    return this.engine.query<{ contract_id: string; version: string; document: string }>(
      `select contract_id, version, document from ${this.engine.dialect.relation('audit.contract_versions')}`,
    );
  }
}
