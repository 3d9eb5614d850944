import { ConfigError } from '../errors';
import { anonymizeSchema, type Anonymize } from '../privacy/operators';
import type { ColumnSpec, LandingColumn } from '../ports';
import { portableTypeProblem, typeFamily } from '../sql-types';
import { parseYamlWith } from '../validation';
import { compatibilityModes, defaultCompatibility, type CompatibilityMode } from './compatibility';
import { parseRetention, type ContractRetention } from './retention';
import {
  contractSchema,
  type Classification,
  type ContractDocument,
  type ContractProperty,
} from './schema';

export type Layer = 'bronze' | 'silver' | 'gold';

/**
 * A contract column with its classification decided (`internal` when the contract leaves it out)
 * and, when it identifies a person, its subject kind (`customProperties` → `subject`).
 */
export type ClassifiedProperty = ContractProperty & {
  readonly classification: Classification;
  readonly subject?: string;
  /** How the column leaves an anonymized export (`customProperties` → `anonymize`). */
  readonly anonymize?: Anonymize;
};

/** The kind of identifier a column holds, from its `subject` custom property. */
function subjectOf(property: ContractProperty): unknown {
  return customProperty(property, 'subject');
}

function customProperty(property: ContractProperty, name: string): unknown {
  return property.customProperties?.find((c) => c.property === name)?.value;
}

/** A parsed, checked data contract: one dataset, its columns and the rules rows must obey. */
export class Contract {
  readonly layer: Layer;
  readonly properties: readonly ClassifiedProperty[];
  /** Columns the contract does not classify (they count as `internal`; `access check` names them). */
  readonly unclassified: readonly string[];

  constructor(
    readonly document: ContractDocument,
    readonly file: string,
  ) {
    const dataset = document.schema[0]!;
    this.properties = dataset.properties.map((p) => {
      const subject = subjectOf(p);
      const anonymize = anonymizeSchema.safeParse(customProperty(p, 'anonymize'));
      return {
        ...p,
        classification: p.classification ?? 'internal',
        ...(typeof subject === 'string' ? { subject } : {}),
        ...(anonymize.success ? { anonymize: anonymize.data } : {}),
      };
    });
    this.unclassified = dataset.properties.filter((p) => !p.classification).map((p) => p.name);
    this.layer = dataset.physicalName.split('.')[0] as Layer;
  }

  /** Rows older than this age out (`slaProperties` retention); undefined keeps them. */
  get retention(): ContractRetention | undefined {
    return parseRetention(this.document).retention;
  }

  get id(): string {
    return this.document.id;
  }

  get version(): string {
    return this.document.version;
  }

  get owner(): string {
    return this.document.team.name;
  }

  /** The relation engines query, e.g. `bronze.snowflake_orders` or `silver.orders`. */
  get relation(): string {
    return this.document.schema[0]!.physicalName;
  }

  get primaryKey(): string[] {
    return this.properties
      .filter((p) => p.primaryKey)
      .sort((a, b) => (a.primaryKeyPosition ?? 0) - (b.primaryKeyPosition ?? 0))
      .map((p) => p.name);
  }

  get columns(): ColumnSpec[] {
    return this.properties.map((p) => ({ name: p.name, type: p.physicalType }));
  }

  /** The columns a landing file is cast to, with what each holds: a refusal quotes only harmless values. */
  get landingColumns(): LandingColumn[] {
    return this.properties.map((p) => ({
      name: p.name,
      type: p.physicalType,
      classification: p.classification,
      ...(p.subject ? { subject: p.subject } : {}),
    }));
  }

  column(name: string): ClassifiedProperty | undefined {
    return this.properties.find((p) => p.name === name);
  }

  /** How this contract may evolve: `customProperties` → `compatibility`, FORWARD by default. */
  get compatibility(): CompatibilityMode {
    return compatibilityOf(this.document);
  }

  /**
   * The quality score (0–100) below which the dataset alarms on AWS: `customProperties` →
   * `qualityScoreMin`, where a dataset's owner holds it to more (or less) than the environment's
   * `monitoring.qualityScoreMin`; undefined when the contract declares none.
   */
  get qualityScoreMin(): number | undefined {
    const value = this.document.customProperties.find(
      (p) => p.property === 'qualityScoreMin',
    )?.value;
    return typeof value === 'number' ? value : undefined;
  }
}

export function compatibilityOf(document: ContractDocument): CompatibilityMode {
  const value = document.customProperties.find((p) => p.property === 'compatibility')?.value;
  return (value as CompatibilityMode | undefined) ?? defaultCompatibility;
}

/** Parses a contract file; errors name the file, the key path, what was expected and what was found. */
export function parseContract(text: string, file: string): Contract {
  const document = parseYamlWith(contractSchema, text, file);
  const problems: { path: string; expected: string; found: string }[] = [];
  const properties = document.schema[0]!.properties;
  const seen = new Set<string>();
  properties.forEach((p, i) => {
    const path = `schema.0.properties.${i}`;
    if (seen.has(p.name))
      problems.push({
        path: `${path}.name`,
        expected: 'a column name used once',
        found: `'${p.name}' again`,
      });
    seen.add(p.name);
    if (p.primaryKey && !p.required) {
      problems.push({
        path: `${path}.required`,
        expected: 'true for a primary key column',
        found: 'false',
      });
    }
    const typeProblem = portableTypeProblem(p.physicalType);
    if (typeProblem)
      problems.push({
        path: `${path}.physicalType`,
        expected: `a supported SQL type for column ${p.name}`,
        found: typeProblem,
      });
    else if (
      typeFamily(p.physicalType) !== 'text' &&
      ['minLength', 'maxLength', 'pattern'].some((o) => p.logicalTypeOptions?.[o] !== undefined)
    )
      problems.push({
        path: `${path}.logicalTypeOptions`,
        expected: `minLength, maxLength and pattern only on a VARCHAR column`,
        found: `column ${p.name} of type ${p.physicalType}`,
      });
    const subject = subjectOf(p);
    if (
      subject !== undefined &&
      !(typeof subject === 'string' && /^[a-z_][a-z0-9_]*$/.test(subject))
    )
      problems.push({
        path: `${path}.customProperties`,
        expected: `a subject kind in lower_snake_case for column ${p.name}, such as email or customer_id`,
        found: JSON.stringify(subject),
      });
    const anonymize = customProperty(p, 'anonymize');
    const operator = anonymizeSchema.safeParse(anonymize);
    if (anonymize !== undefined && !operator.success)
      problems.push({
        path: `${path}.customProperties`,
        expected: `an anonymize operator for column ${p.name}: ${operator.error.issues.map((i) => `${i.path.join('.') || 'method'}: ${i.message}`).join('; ')}`,
        found: JSON.stringify(anonymize),
      });
    const pattern = p.logicalTypeOptions?.pattern;
    if (pattern !== undefined) {
      try {
        new RegExp(pattern);
      } catch (error) {
        problems.push({
          path: `${path}.logicalTypeOptions.pattern`,
          expected: 'a valid regular expression',
          found: String(error),
        });
      }
    }
  });
  document.customProperties.forEach((p, i) => {
    if (
      p.property === 'compatibility' &&
      !(compatibilityModes as readonly unknown[]).includes(p.value)
    ) {
      problems.push({
        path: `customProperties.${i}.value`,
        expected: `a compatibility mode: ${compatibilityModes.join(', ')}`,
        found: JSON.stringify(p.value),
      });
    }
    if (
      p.property === 'qualityScoreMin' &&
      !(typeof p.value === 'number' && p.value >= 0 && p.value <= 100)
    ) {
      problems.push({
        path: `customProperties.${i}.value`,
        expected: 'a quality score minimum from 0 to 100',
        found: JSON.stringify(p.value),
      });
    }
  });
  problems.push(...parseRetention(document).problems);
  const expectedPrefix = document.id.split('.')[0];
  const layer = document.schema[0]!.physicalName.split('.')[0];
  if (layer !== 'bronze' && layer !== expectedPrefix) {
    problems.push({
      path: 'schema.0.physicalName',
      expected: `a ${expectedPrefix}.* relation for contract ${document.id}`,
      found: document.schema[0]!.physicalName,
    });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return new Contract(document, file);
}

/** All contracts of the project, looked up by id or by relation. */
export class ContractRegistry {
  private readonly byId = new Map<string, Contract>();
  private readonly byRelation = new Map<string, Contract>();

  constructor(contracts: Iterable<Contract>) {
    for (const contract of contracts) {
      const clash = this.byId.get(contract.id) ?? this.byRelation.get(contract.relation);
      if (clash) {
        throw new ConfigError(contract.file, [
          {
            path: 'id',
            expected: `an id and relation not used by ${clash.file}`,
            found: `${contract.id} (${contract.relation})`,
          },
        ]);
      }
      this.byId.set(contract.id, contract);
      this.byRelation.set(contract.relation, contract);
    }
  }

  get(id: string): Contract {
    const contract = this.byId.get(id);
    if (!contract) {
      throw new ConfigError('config/contracts', [
        {
          path: id,
          expected: `a contract with id ${id}`,
          found: `only ${[...this.byId.keys()].sort().join(', ')}`,
        },
      ]);
    }
    return contract;
  }

  forRelation(relation: string): Contract | undefined {
    return this.byRelation.get(relation);
  }

  all(): Contract[] {
    return [...this.byId.values()];
  }
}
