import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { classifications } from '../../config/access-schema';
import { personaDatabases } from '../../lambdas/core/access/persona-views';
import {
  accessMatrix,
  persona,
  personaNames,
  personaSchemas,
} from '../../lambdas/core/access/policy';
import { classifyTables } from '../../lambdas/core/access/tables';
import {
  bucketName,
  glueDatabaseName,
  personaDatabaseName,
  lakeSchemas,
  schemaLocations,
  workgroupName,
  type LakeSchema,
} from '../../lambdas/core/aws-names';
import { taskNames, type TaskName } from '../../lambdas/core/tasks';
import { accessSyncTask, lakeUses, type LakeUse } from '../../lib/constructs/pipeline-lake-grants';
import { synthesize } from '../helpers/cdk';

type Resource = { Type: string; Properties: Record<string, unknown> };
type LfTag = { TagKey: string; TagValues: string[] };
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** A CloudFormation value as text: `<AWS::Partition>` for a Ref. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (v['Fn::Join']) return v['Fn::Join'][1].map(rendered).join(v['Fn::Join'][0]);
  if (v.Ref) return `<${v.Ref}>`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const resources = (template: Template, type: string) =>
  Object.entries(template.findResources(type) as Record<string, Resource>);

describe.each(['dev', 'prod'])('access stack (%s)', (env) => {
  const access = async () => {
    const synthesized = await synthesize(env);
    const { project, templates, stacks } = synthesized;
    const { config } = project;
    const database = (schema: LakeSchema) => glueDatabaseName(config.project, env, schema);
    const schemaOf = (name: string) => lakeSchemas.find((s) => database(s) === name)!;
    const tables = classifyTables(stacks.catalog.tables, project.contracts);
    const roleIdOf = (task: TaskName) =>
      stacks.pipeline.getLogicalId(
        stacks.pipeline.functions[task].role!.node.defaultChild as never,
      );
    const personaRoleId = (name: string) =>
      stacks.access.getLogicalId(stacks.access.personaRoles[name]!.node.defaultChild as never);
    const bucket = (role: Parameters<typeof bucketName>[2]) =>
      bucketName(config.project, env, role, config.aws.account!, config.aws.region!);
    return {
      ...synthesized,
      config,
      policy: project.access,
      template: templates.access,
      database,
      schemaOf,
      tables,
      roleIdOf,
      personaRoleId,
      bucket,
    };
  };

  it('merges the admins through the settings resource: CloudFormation’s execution role, config’s, and its own', async () => {
    const { policy, template, config, stacks, database } = await access();
    const [[, settings]] = resources(template, 'Custom::LakeFormationSettings') as [
      [string, Resource],
    ];
    const handlerRole = stacks.access.getLogicalId(
      stacks.access.settings.function.role!.node.defaultChild as never,
    );
    expect(settings.Properties.Admins).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:iam::${config.aws.account}:role/cdk-hnb659fds-cfn-exec-role-${config.aws.account}-${config.aws.region}`,
      },
      ...config.aws.lakeFormationAdmins,
      { 'Fn::GetAtt': [handlerRole, 'Arn'] },
    ]);
    expect(settings.Properties.Databases).toEqual([
      ...lakeSchemas.map(database),
      ...personaDatabases(policy, {
        database: (name, schema) => personaDatabaseName(config.project, config.env, name, schema),
      }),
    ]);
    // No AWS::LakeFormation::DataLakeSettings: it would replace the admins, not add to them.
    template.resourceCountIs('AWS::LakeFormation::DataLakeSettings', 0);
  });

  it('gives no new table of our databases an IAMAllowedPrincipals grant', async () => {
    const { templates } = await access();
    const databases = resources(templates.catalog, 'AWS::Glue::Database');
    expect(databases).toHaveLength(lakeSchemas.length);
    for (const [, db] of databases)
      expect(db.Properties.DatabaseInput).toMatchObject({ CreateTableDefaultPermissions: [] });
  });

  it('defines the LF-tags classification, layer and domain from the contracts', async () => {
    const { template, project } = await access();
    const tags = Object.fromEntries(
      resources(template, 'AWS::LakeFormation::Tag').map(([, t]) => [
        t.Properties.TagKey,
        t.Properties.TagValues,
      ]),
    );
    expect(tags).toEqual({
      classification: [...classifications],
      layer: [...lakeSchemas],
      domain: [...new Set(project.contracts.all().flatMap((c) => c.document.domain ?? []))].sort(),
    });
  });

  it('tags every database with its layer and pii, and every column of CloudFormation’s tables with its contract classification', async () => {
    const { template, database, schemaOf, tables } = await access();
    const associations = resources(template, 'AWS::LakeFormation::TagAssociation').map(
      ([, a]) =>
        a.Properties as { Resource: Record<string, Record<string, unknown>>; LFTags: LfTag[] },
    );
    const tagsOf = (a: { LFTags: LfTag[] }) =>
      Object.fromEntries(a.LFTags.map((t) => [t.TagKey, t.TagValues]));
    for (const schema of lakeSchemas)
      expect(
        associations.filter((a) => a.Resource.Database?.Name === database(schema)).map(tagsOf),
      ).toEqual([{ layer: [schema], classification: ['pii'] }]);
    const tagged = associations
      .filter((a) => a.Resource.TableWithColumns)
      .flatMap((a) => {
        const t = a.Resource.TableWithColumns as {
          DatabaseName: string;
          Name: string;
          ColumnNames: string[];
        };
        return t.ColumnNames.map((column) => ({
          relation: `${schemaOf(t.DatabaseName)}.${t.Name}`,
          column,
          classification: tagsOf(a).classification![0],
        }));
      });
    const expected = tables.flatMap((t) =>
      t.columns.map((c) => ({
        relation: t.relation,
        column: c.name,
        classification: c.classification,
      })),
    );
    const order = (rows: { relation: string; column: string; classification?: string }[]) =>
      [...rows].sort((a, b) =>
        `${a.relation}.${a.column}`.localeCompare(`${b.relation}.${b.column}`),
      );
    expect(order(tagged)).toEqual(order(expected));
    expect(tables.map((t) => t.relation)).toContain('audit.lineage_events');
  });

  it('registers every schema’s location with a role of its own that may use the lake key', async () => {
    const { template, bucket, stacks } = await access();
    const registered = resources(template, 'AWS::LakeFormation::Resource').map(
      ([, r]) =>
        r.Properties as { ResourceArn: string; UseServiceLinkedRole: boolean; RoleArn: unknown },
    );
    const roleId = stacks.access.getLogicalId(
      stacks.access.node.findChild('Locations').node.findChild('RegistrationRole').node
        .defaultChild as never,
    );
    for (const r of registered)
      expect(r).toMatchObject({
        UseServiceLinkedRole: false,
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
      });
    const arns = registered.map((r) => rendered(r.ResourceArn));
    for (const schema of lakeSchemas) {
      const { bucket: role, prefix } = schemaLocations[schema];
      const bucketArn = `arn:<AWS::Partition>:s3:::${bucket(role)}`;
      // Each schema's files lie in a registered location: its bucket, or a prefix holding them.
      expect(
        arns.some((arn) => arn === bucketArn || `${bucketArn}/${prefix}`.startsWith(`${arn}/`)),
        schema,
      ).toBe(true);
    }
    const statements = resources(template, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements.flatMap((s) => list(s.Action))).toEqual(
      expect.arrayContaining([
        'kms:Encrypt',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'kms:DescribeKey',
      ]),
    );
  });

  it('grants each pipeline role by layer tag what its IAM lets it do with Glue tables, no more', async () => {
    const { template, templates, roleIdOf, schemaOf } = await access();
    const permissions = resources(template, 'AWS::LakeFormation::PrincipalPermissions').map(
      ([, p]) =>
        p.Properties as {
          Principal: { DataLakePrincipalIdentifier: unknown };
          Resource: {
            LFTagPolicy?: { ResourceType: string; Expression: LfTag[] };
            DataLocation?: unknown;
          };
          Permissions: string[];
          PermissionsWithGrantOption?: string[];
        },
    );
    for (const task of taskNames) {
      const roleId = roleIdOf(task);
      // From the IAM policies: which Glue action each layer's tables get.
      const iam: Partial<Record<LakeSchema, Set<string>>> = {};
      // A role's statements beyond the inline policy's size limit spill into a managed policy.
      for (const [, policy] of [
        ...resources(templates.pipeline, 'AWS::IAM::Policy'),
        ...resources(templates.pipeline, 'AWS::IAM::ManagedPolicy'),
      ]) {
        if (!JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)) continue;
        for (const s of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
          for (const action of list(s.Action).filter((a) =>
            /^glue:((Get|Update|Create|Delete)Table|GetTables)$/.test(a),
          ))
            for (const [, name] of JSON.stringify(s.Resource).matchAll(/:table\/([a-z0-9_]+)\//g))
              // Persona databases hold views, granted on their own (below).
              if (schemaOf(name!)) (iam[schemaOf(name!)] ??= new Set()).add(action);
      }
      const expected = Object.fromEntries(
        Object.entries(iam).map(([schema, actions]): [string, LakeUse] => [
          schema,
          actions.has('glue:CreateTable')
            ? 'create'
            : actions.has('glue:DeleteTable')
              ? 'write'
              : actions.has('glue:UpdateTable')
                ? 'alter'
                : actions.has('glue:GetTable')
                  ? 'read'
                  : 'describe',
        ]),
      );
      // IAM cannot tell rows modified in place from a definition altered: both update the table.
      const asIam = (uses: Partial<Record<LakeSchema, LakeUse>>) =>
        Object.fromEntries(Object.entries(uses).map(([s, u]) => [s, u === 'modify' ? 'alter' : u]));
      expect(asIam(lakeUses[task]), task).toEqual(expected);

      const mine = permissions.filter((p) =>
        JSON.stringify(p.Principal.DataLakePrincipalIdentifier).includes(roleId),
      );
      const granted: Record<string, LakeUse> = {};
      // The access sync's grantable grant is asserted on its own, below.
      for (const p of mine.filter(
        (x) =>
          x.Resource.LFTagPolicy?.ResourceType === 'TABLE' &&
          (x.PermissionsWithGrantOption ?? []).length === 0,
      )) {
        const databaseGrant = mine.find(
          (x) =>
            x.Resource.LFTagPolicy?.ResourceType === 'DATABASE' &&
            JSON.stringify(x.Resource.LFTagPolicy.Expression) ===
              JSON.stringify(p.Resource.LFTagPolicy!.Expression),
        )!;
        const use: LakeUse = p.Permissions.includes('ALL')
          ? databaseGrant.Permissions.includes('CREATE_TABLE')
            ? 'create'
            : 'write'
          : p.Permissions.includes('DELETE')
            ? 'modify'
            : p.Permissions.includes('ALTER')
              ? 'alter'
              : p.Permissions.includes('SELECT')
                ? 'read'
                : 'describe';
        expect(p.Resource.LFTagPolicy!.Expression.map((e) => e.TagKey)).toEqual(['layer']);
        for (const schema of p.Resource.LFTagPolicy!.Expression[0]!.TagValues)
          granted[schema] = use;
      }
      expect(granted, task).toEqual(lakeUses[task]);
      // Data location access exactly where it creates tables.
      expect(
        mine.some((p) => p.Resource.DataLocation),
        task,
      ).toBe(Object.values(expected).includes('create'));
    }
  });

  it('lets the catalog export describe every database and table of the lake and the personas, and the catalog restore also create and alter tables', async () => {
    const { template, stacks, policy, config } = await access();
    const roleArnOf = (fn: { role: { node: { defaultChild?: unknown } } }) =>
      stacks.backup.getLogicalId(fn.role.node.defaultChild as never);
    const grantsTo = (roleId: string) =>
      resources(template, 'AWS::LakeFormation::PrincipalPermissions')
        .map(([, p]) => p.Properties as Record<string, unknown>)
        .filter((p) => JSON.stringify(p.Principal).includes(roleId))
        .map((p) => {
          const r = p.Resource as {
            LFTagPolicy?: { ResourceType: string; Expression: LfTag[] };
            Database?: { Name: string };
            Table?: { DatabaseName: string; TableWildcard: unknown };
            DataLocation?: unknown;
          };
          const on = r.LFTagPolicy
            ? `${r.LFTagPolicy.ResourceType} layer=${r.LFTagPolicy.Expression[0]!.TagValues.join('|')}`
            : r.Database
              ? `DATABASE ${r.Database.Name}`
              : r.Table
                ? `TABLE ${r.Table.DatabaseName}.*`
                : 'DATA_LOCATION';
          return `${on}: ${(p.Permissions as string[]).join(' ')}`;
        })
        .sort();
    const layers = `layer=${lakeSchemas.join('|')}`;
    const personas = personaDatabases(policy, {
      database: (name, schema) => personaDatabaseName(config.project, env, name, schema),
    });
    const { export: exporter, restore } = stacks.backup.catalogBackup!;
    expect(grantsTo(roleArnOf(exporter))).toEqual(
      [
        `DATABASE ${layers}: DESCRIBE`,
        `TABLE ${layers}: DESCRIBE`,
        ...personas.flatMap((d) => [`DATABASE ${d}: DESCRIBE`, `TABLE ${d}.*: DESCRIBE`]),
      ].sort(),
    );
    const locations = resources(template, 'AWS::LakeFormation::Resource').length;
    expect(locations).toBeGreaterThan(0);
    expect(grantsTo(roleArnOf(restore))).toEqual(
      [
        `DATABASE ${layers}: DESCRIBE ALTER CREATE_TABLE`,
        `TABLE ${layers}: DESCRIBE ALTER`,
        ...personas.flatMap((d) => [`DATABASE ${d}: DESCRIBE ALTER`, `TABLE ${d}.*: DESCRIBE`]),
        ...Array.from({ length: locations }, () => 'DATA_LOCATION: DATA_LOCATION_ACCESS'),
      ].sort(),
    );
  });

  it('lets only the catalog sync pass SELECT on to personas’ filters and tag columns with their classification', async () => {
    const { template, roleIdOf } = await access();
    const grantable = resources(template, 'AWS::LakeFormation::PrincipalPermissions')
      .map(
        ([, p]) =>
          p.Properties as {
            Principal: unknown;
            Resource: Record<string, unknown>;
            Permissions: string[];
            PermissionsWithGrantOption: string[];
          },
      )
      .filter((p) => p.PermissionsWithGrantOption.length > 0 || p.Resource.LFTag);
    expect(grantable).toHaveLength(2);
    for (const p of grantable)
      expect(JSON.stringify(p.Principal)).toContain(roleIdOf('CatalogSync'));
    expect(grantable.find((p) => p.Resource.LFTagPolicy)).toMatchObject({
      Resource: {
        LFTagPolicy: {
          ResourceType: 'TABLE',
          Expression: [{ TagKey: 'layer', TagValues: lakeSchemas.filter((s) => s !== 'scratch') }],
        },
      },
      PermissionsWithGrantOption: ['SELECT', 'DESCRIBE'],
    });
    expect(grantable.find((p) => p.Resource.LFTag)).toMatchObject({
      Resource: { LFTag: { TagKey: 'classification', TagValues: [...classifications] } },
      Permissions: ['ASSOCIATE', 'DESCRIBE'],
    });
  });

  it('has one role per persona of the policy, assumable by its principals, querying in its own workgroup', async () => {
    const { template, templates, policy, personaRoleId, config } = await access();
    const roles = resources(template, 'AWS::IAM::Role').filter(([, r]) =>
      String(r.Properties.Description).startsWith('Access persona '),
    );
    expect(roles.map(([, r]) => String(r.Properties.Description).split(' ')[2]).sort()).toEqual(
      personaNames(policy).map((p) => `${p}`),
    );
    const workgroups = resources(templates.catalog, 'AWS::Athena::WorkGroup').map(
      ([, w]) =>
        w.Properties as {
          Name: string;
          WorkGroupConfiguration: {
            EnforceWorkGroupConfiguration: boolean;
            ResultConfiguration: {
              OutputLocation: unknown;
              EncryptionConfiguration: { EncryptionOption: string };
            };
          };
        },
    );
    for (const name of personaNames(policy)) {
      const p = persona(policy, name);
      const [, role] = roles.find(([id]) => id === personaRoleId(name))!;
      const trust = (role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] })
        .Statement;
      const principals = JSON.stringify(trust.map((s) => s.Principal));
      if (p.principals.length > 0)
        for (const arn of p.principals) expect(principals).toContain(arn);
      else expect(principals).toContain(':root');
      const wg = workgroups.find(
        (w) => w.Name === workgroupName(config.project, env, p.workgroup),
      )!;
      expect(wg, name).toBeDefined();
      expect(wg.WorkGroupConfiguration.EnforceWorkGroupConfiguration).toBe(true);
      expect(
        wg.WorkGroupConfiguration.ResultConfiguration.EncryptionConfiguration.EncryptionOption,
      ).toBe('SSE_KMS');
      expect(
        JSON.stringify(wg.WorkGroupConfiguration.ResultConfiguration.OutputLocation),
      ).toContain(`/${p.workgroup}/`);
      const statements = resources(template, 'AWS::IAM::Policy')
        .filter(([, x]) => JSON.stringify(x.Properties.Roles).includes(`"${personaRoleId(name)}"`))
        .flatMap(([, x]) => (x.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      const start = statements.find((s) => list(s.Action).includes('athena:StartQueryExecution'))!;
      expect(JSON.stringify(start.Resource)).toContain(`workgroup/${wg.Name}`);
      expect(statements.some((s) => list(s.Action).includes('lakeformation:GetDataAccess'))).toBe(
        true,
      );
      // Never lake data through IAM: no S3 access beyond the workgroup's results and, for a
      // persona that reads them, the cost reports.
      for (const s of statements.filter((x) => list(x.Action).some((a) => a.startsWith('s3:'))))
        expect(JSON.stringify(s.Resource)).toMatch(
          p.reports.includes('cost') ? /athena-results|-reports-/ : /athena-results/,
        );
    }
  });

  it('lets the personas whose reports include cost read audit.cost_reports, and only them', async () => {
    const { template, policy, personaRoleId, config } = await access();
    const readers = personaNames(policy).filter((n) => persona(policy, n).reports.includes('cost'));
    expect(readers).toEqual(['engineer', 'finance']);
    const audit = glueDatabaseName(config.project, env, 'audit');
    const grants = resources(template, 'AWS::LakeFormation::PrincipalPermissions').filter(([, g]) =>
      JSON.stringify(g.Properties.Resource).includes('"cost_reports"'),
    );
    expect(
      grants.map(
        ([, g]) =>
          (g.Properties.Principal as { DataLakePrincipalIdentifier: unknown })
            .DataLakePrincipalIdentifier,
      ),
    ).toEqual(readers.map((n) => ({ 'Fn::GetAtt': [personaRoleId(n), 'Arn'] })));
    for (const [, g] of grants)
      expect(g.Properties).toMatchObject({
        Resource: { Table: { DatabaseName: audit, Name: 'cost_reports' } },
        Permissions: ['SELECT', 'DESCRIBE'],
        PermissionsWithGrantOption: [],
      });
    for (const name of personaNames(policy)) {
      const statements = resources(template, 'AWS::IAM::Policy')
        .filter(([, x]) => JSON.stringify(x.Properties.Roles).includes(`"${personaRoleId(name)}"`))
        .flatMap(([, x]) => (x.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      const reports = statements.filter((s) => JSON.stringify(s.Resource).includes('-reports-'));
      if (!readers.includes(name)) {
        expect(reports, name).toEqual([]);
        continue;
      }
      const reading = (action: string) => reports.filter((s) => list(s.Action).includes(action));
      expect(reports.flatMap((s) => list(s.Action)).sort()).toEqual([
        's3:GetObject',
        's3:ListBucket',
      ]);
      expect(JSON.stringify(reading('s3:GetObject')[0]!.Resource)).toMatch(
        /-reports-[^"]*\/cost\/\*"/,
      );
      expect(reading('s3:ListBucket')[0]!.Condition).toEqual({
        StringLike: { 's3:prefix': ['cost/*'] },
      });
    }
  });

  it('gives each persona a database of views per layer it reads, which it reads and the catalog sync defines', async () => {
    const { template, templates, policy, personaRoleId, roleIdOf, config } = await access();
    const grants = resources(template, 'AWS::LakeFormation::PrincipalPermissions').map(
      ([, p]) =>
        p.Properties as {
          Principal: { DataLakePrincipalIdentifier: unknown };
          Resource: {
            Database?: { Name: string };
            Table?: { DatabaseName: string; TableWildcard?: object };
          };
          Permissions: string[];
          PermissionsWithGrantOption: string[];
        },
    );
    const on = (role: string, name: string) =>
      grants
        .filter(
          (g) =>
            JSON.stringify(g.Principal).includes(role) &&
            (g.Resource.Database?.Name === name || g.Resource.Table?.DatabaseName === name),
        )
        .map((g) => ({
          on: g.Resource.Database ? 'database' : g.Resource.Table?.TableWildcard ? 'views' : '?',
          permissions: g.Permissions,
          grantable: g.PermissionsWithGrantOption,
        }));
    const definer = roleIdOf(accessSyncTask);
    const views = resources(template, 'AWS::Glue::Database').filter(
      ([, d]) =>
        !lakeSchemas.some(
          (s) =>
            glueDatabaseName(config.project, env, s) ===
            (d.Properties.DatabaseInput as { Name: string }).Name,
        ),
    );
    expect(
      views.map(([, d]) => (d.Properties.DatabaseInput as { Name: string }).Name).sort(),
    ).toEqual(
      personaDatabases(policy, {
        database: (name, schema) => personaDatabaseName(config.project, env, name, schema),
      }).sort(),
    );
    for (const [, d] of views)
      expect(d.Properties.DatabaseInput).toMatchObject({ CreateTableDefaultPermissions: [] });
    for (const name of personaNames(policy))
      for (const schema of personaSchemas(persona(policy, name))) {
        const db = personaDatabaseName(config.project, env, name, schema);
        expect(on(personaRoleId(name), db)).toEqual([
          { on: 'database', permissions: ['DESCRIBE'], grantable: [] },
          { on: 'views', permissions: ['SELECT', 'DESCRIBE'], grantable: [] },
        ]);
        // No other persona reads it.
        for (const other of personaNames(policy).filter((o) => o !== name))
          expect(on(personaRoleId(other), db)).toEqual([]);
        expect(on(definer, db)).toEqual([
          { on: 'database', permissions: ['CREATE_TABLE', 'DESCRIBE'], grantable: [] },
          { on: 'views', permissions: ['ALL'], grantable: [] },
        ]);
      }
    // The definer: a role Glue and Lake Formation may assume, passing itself to them only.
    const role = templates.pipeline.toJSON().Resources[definer] as Resource;
    const trust = role.Properties.AssumeRolePolicyDocument as { Statement: Statement[] };
    expect(
      trust.Statement.flatMap((s) => list((s.Principal as { Service?: string }).Service)),
    ).toEqual(expect.arrayContaining(['glue.amazonaws.com', 'lakeformation.amazonaws.com']));
    const passRole = resources(templates.pipeline, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(`"${definer}"`))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((s) => list(s.Action).includes('iam:PassRole'));
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [definer, 'Arn'] },
        Condition: {
          StringEquals: {
            'iam:PassedToService': ['glue.amazonaws.com', 'lakeformation.amazonaws.com'],
          },
        },
      },
    ]);
  });

  it('grants personas the policy’s matrix on CloudFormation’s tables through data cells filters only', async () => {
    const { template, policy, tables, personaRoleId, schemaOf, config } = await access();
    const filters = resources(template, 'AWS::LakeFormation::DataCellsFilter').map(
      ([, f]) =>
        f.Properties as {
          DatabaseName: string;
          TableName: string;
          Name: string;
          ColumnNames: string[];
          RowFilter: unknown;
        },
    );
    const grants = resources(template, 'AWS::LakeFormation::PrincipalPermissions')
      .map(
        ([, p]) =>
          p.Properties as {
            Principal: { DataLakePrincipalIdentifier: unknown };
            Resource: Record<string, { Name?: string; TableName?: string }>;
            Permissions: string[];
          },
      )
      .filter((p) =>
        personaNames(policy).some((n) => JSON.stringify(p.Principal).includes(personaRoleId(n))),
      );
    // Lake Formation adds permissions up: a table-wide grant beside a filter would undo it. (A
    // persona's grants on its own databases of views are asserted below.)
    const onViews = (g: (typeof grants)[number]) =>
      JSON.stringify(g.Resource).includes(`"${config.project}_${config.env}_`) &&
      !g.Resource.DataCellsFilter;
    for (const g of grants.filter((x) => !onViews(x))) {
      expect(Object.keys(g.Resource)).toEqual(['DataCellsFilter']);
      expect(g.Permissions).toEqual(['SELECT']);
    }
    const onAws = accessMatrix(policy, tables).map((m) => {
      const roleGrant = grants
        .filter((g) => !onViews(g))
        .find(
          (g) =>
            JSON.stringify(g.Principal).includes(personaRoleId(m.persona)) &&
            `${schemaOf((g.Resource.DataCellsFilter as unknown as { DatabaseName: string }).DatabaseName)}.${g.Resource.DataCellsFilter!.TableName}` ===
              m.relation,
        );
      const filter = roleGrant
        ? filters.find(
            (f) =>
              f.Name === roleGrant.Resource.DataCellsFilter!.Name &&
              `${schemaOf(f.DatabaseName)}.${f.TableName}` === m.relation,
          )
        : undefined;
      return { ...m, visibility: filter?.ColumnNames.includes(m.column) ? 'clear' : 'hidden' };
    });
    const expected = accessMatrix(policy, tables).map((m) => ({
      ...m,
      visibility: m.visibility === 'clear' ? 'clear' : 'hidden',
    }));
    expect(onAws).toEqual(expected);
    expect(filters.length).toBeGreaterThan(0);
  });

  it('records data events of gold, quarantine and the audit tables, and management events, KMS-encrypted into the audit bucket', async () => {
    const { template, templates, bucket, config } = await access();
    const [[, trail]] = resources(template, 'AWS::CloudTrail::Trail') as [[string, Resource]];
    expect(trail.Properties).toMatchObject({
      S3BucketName: bucket('audit'),
      S3KeyPrefix: 'cloudtrail',
      EnableLogFileValidation: true,
      IsLogging: true,
    });
    expect(JSON.stringify(trail.Properties.KMSKeyId)).toContain('LakeKey');
    const selectors = trail.Properties.EventSelectors as {
      IncludeManagementEvents: boolean;
      ReadWriteType: string;
      DataResources: { Type: string; Values: unknown[] }[];
    }[];
    expect(selectors).toContainEqual({ IncludeManagementEvents: true, ReadWriteType: 'All' });
    const data = selectors.filter((x) => x.DataResources);
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ ReadWriteType: 'All' });
    expect(data[0]!.DataResources.map((r) => r.Type)).toEqual(['AWS::S3::Object']);
    const values = JSON.stringify(data[0]!.DataResources[0]!.Values.map(rendered));
    for (const watched of [
      `${bucket('gold')}/`,
      `${bucket('quarantine')}/`,
      `${bucket('audit')}/tables/`,
      `${bucket('audit')}/lineage/`,
    ])
      expect(values).toContain(watched);
    // Never its own deliveries.
    expect(values).not.toContain(`${bucket('audit')}/"`);
    expect(values).not.toContain('cloudtrail');
    // The audit bucket lets CloudTrail write only for this trail.
    const auditPolicy = resources(templates.storage, 'AWS::S3::BucketPolicy')
      .map(([, p]) => JSON.stringify(p.Properties))
      .find((p) => p.includes('cloudtrail.amazonaws.com'))!;
    expect(auditPolicy).toContain('s3:GetBucketAcl');
    expect(auditPolicy).toContain(`cloudtrail/AWSLogs/${config.aws.account}/*`);
    expect(auditPolicy).toContain(`trail/${config.project}-${env}-lake-access`);
  });
});
