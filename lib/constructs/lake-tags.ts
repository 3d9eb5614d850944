import { Stack } from 'aws-cdk-lib';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import { Construct, type IDependable } from 'constructs';
import { classifications } from '../../config/access-schema';
import { columnTags } from '../../lambdas/core/access/cells';
import type { LakeTable } from '../../lambdas/core/access/policy';
import { glueDatabaseName, lakeSchemas, type LakeSchema } from '../../lambdas/core/aws-names';
import type { ContractRegistry } from '../../lambdas/core/contracts/contract';
import { pascal } from '../names';

export interface LakeTagsProps {
  readonly project: string;
  readonly env: string;
  readonly contracts: ContractRegistry;
  /** The tables CloudFormation owns (bronze, lineage events), classified. */
  readonly tables: readonly LakeTable[];
  /** The settings that make CloudFormation's role a Lake Formation admin: tags need it first. */
  readonly settings: IDependable;
}

/** The LF-tags, keys and their values. */
export function lakeTagValues(contracts: ContractRegistry): Record<string, string[]> {
  const domains = [
    ...new Set(contracts.all().flatMap((c) => (c.document.domain ? [c.document.domain] : []))),
  ].sort();
  return {
    classification: [...classifications],
    layer: [...lakeSchemas],
    ...(domains.length > 0 ? { domain: domains } : {}),
  };
}

/**
 * LF-tags from the contracts: `classification`, `layer` and `domain`. Every database carries its
 * `layer` and `classification=pii`, which its tables and their columns inherit: a column nobody
 * tagged more precisely counts as pii, failing closed. The tables CloudFormation owns get their
 * contract's domain and each column its contract classification; the pipeline's tables are
 * created at run time and tagged then.
 * https://docs.aws.amazon.com/lake-formation/latest/dg/tag-based-access-control.html
 */
export class LakeTags extends Construct {
  readonly tags: Record<string, lakeformation.CfnTag>;

  constructor(scope: Construct, id: string, props: LakeTagsProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    const database = (schema: LakeSchema) => glueDatabaseName(props.project, props.env, schema);
    this.tags = Object.fromEntries(
      Object.entries(lakeTagValues(props.contracts)).map(([key, values]) => {
        const tag = new lakeformation.CfnTag(this, `${pascal(key)}Tag`, {
          catalogId,
          tagKey: key,
          tagValues: values,
        });
        tag.node.addDependency(props.settings);
        return [key, tag];
      }),
    );
    const associate = (
      id: string,
      resource: lakeformation.CfnTagAssociation.ResourceProperty,
      tags: Record<string, string>,
    ) => {
      const association = new lakeformation.CfnTagAssociation(this, id, {
        resource,
        lfTags: Object.entries(tags).map(([tagKey, value]) => ({
          catalogId,
          tagKey,
          tagValues: [value],
        })),
      });
      for (const key of Object.keys(tags)) association.addResourceDependency(this.tags[key]!);
      return association;
    };
    for (const schema of lakeSchemas)
      associate(
        `${pascal(schema)}Database`,
        { database: { catalogId, name: database(schema) } },
        { layer: schema, classification: 'pii' },
      );
    for (const table of props.tables) {
      const [schema, name] = table.relation.split('.') as [LakeSchema, string];
      const domain = props.contracts.forRelation(table.relation)?.document.domain;
      if (domain)
        associate(
          `${pascal(table.relation)}Domain`,
          { table: { catalogId, databaseName: database(schema), name } },
          { domain },
        );
      for (const { classification, columns } of columnTags(table))
        associate(
          `${pascal(table.relation)}${pascal(classification)}Columns`,
          {
            tableWithColumns: {
              catalogId,
              databaseName: database(schema),
              name,
              columnNames: columns,
            },
          },
          { classification },
        );
    }
  }
}
