/**
 * An offline IAM evaluation of the synthesized app: every stack's template with its intrinsics
 * resolved to the concrete ARNs of the config's account and region, the identity policies of every
 * role, and the resource policies (KMS key policies, bucket, queue and topic policies), evaluated
 * by @cloud-copilot/iam-simulate with AWS's rules (explicit deny, same-account resource policies,
 * KMS key policies that must allow the account before IAM policies count). Test-only: the
 * simulator is AGPL-3.0 and never reaches a bundle.
 */
import { createHash } from 'node:crypto';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { IamCall } from '../../lambdas/adapters/aws/iam-calls';

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}
interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { Value: Json; Export?: { Name: string } }>;
}
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly Statement[];
}
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Principal?: Json;
  readonly Condition?: Json;
  readonly Sid?: string;
}

export interface Decision {
  readonly call: IamCall;
  readonly principal: string;
  /** `Invalid` when the simulator rejects the request itself (an unknown action, a wrong ARN shape). */
  readonly result: 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied' | `Invalid: ${string}`;
}

/** AWS managed policies a role carries: never relied on, since their content is not ours to test. */
export interface RolePolicies {
  readonly identity: readonly { name: string; policy: PolicyDocument }[];
  readonly awsManaged: readonly string[];
}

const list = <T>(value: T | readonly T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? [...(value as T[])] : [value as T];

/** The account as the synthesized stacks would make it. */
export class SimulatedAccount {
  readonly partition = 'aws';
  private readonly stacks: Record<string, Template>;
  private readonly exports = new Map<string, string>();

  constructor(
    readonly account: string,
    readonly region: string,
    templates: Readonly<Record<string, Json>>,
  ) {
    this.stacks = templates as Record<string, Template>;
    for (const [stack, template] of Object.entries(this.stacks))
      for (const output of Object.values(template.Outputs ?? {}))
        if (output.Export) this.exports.set(output.Export.Name, this.resolve(stack, output.Value));
  }

  /** A value of a stack's template with every intrinsic resolved to concrete text. */
  resolve(stack: string, value: Json): string {
    const resolved = this.resolveDeep(stack, value);
    if (typeof resolved !== 'string')
      throw new Error(`${stack}: ${JSON.stringify(value)} is not a string`);
    return resolved;
  }

  /** A value of a stack's template (an object or list) with every intrinsic resolved. */
  resolveObject(stack: string, value: Json): Json {
    return this.resolveDeep(stack, value);
  }

  private resolveDeep(stack: string, value: Json): Json {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return typeof value === 'string' ? value : String(value);
    if (Array.isArray(value)) return value.map((v) => this.resolveDeep(stack, v));
    if (value === null || typeof value !== 'object') return value;
    const v = value as Record<string, Json>;
    const keys = Object.keys(v);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) {
      const [fn] = keys as [string];
      const arg = v[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(stack, arg as string);
        case 'Fn::GetAtt': {
          const [id, attribute] = (typeof arg === 'string' ? (arg as string).split('.') : arg) as [
            string,
            string,
          ];
          return this.getAtt(stack, id, attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, Json[]];
          return parts.map((p) => this.resolve(stack, p)).join(separator);
        }
        case 'Fn::Sub': {
          const [text, variables = {}] = (typeof arg === 'string' ? [arg] : arg) as [
            string,
            Record<string, Json>?,
          ];
          return text.replace(/\$\{([^}]+)\}/g, (_, name: string) =>
            name in variables
              ? this.resolve(stack, variables[name])
              : name.includes('.') && !name.startsWith('AWS::')
                ? this.getAtt(stack, ...(name.split('.') as [string, string]))
                : this.ref(stack, name),
          );
        }
        case 'Fn::ImportValue': {
          const name = this.resolve(stack, arg);
          const exported = this.exports.get(name);
          if (exported === undefined) throw new Error(`${stack}: no stack exports ${name}`);
          return exported;
        }
        case 'Fn::Select': {
          const [index, items] = arg as [Json, Json];
          return (this.resolveDeep(stack, items) as Json[])[Number(this.resolve(stack, index))];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, Json];
          return this.resolve(stack, text).split(separator);
        }
        default:
          throw new Error(`${stack}: cannot resolve ${fn}`);
      }
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolveDeep(stack, v[k])]));
  }

  private resource(stack: string, id: string): Resource {
    const resource = this.stacks[stack]?.Resources[id];
    if (!resource) throw new Error(`${stack} has no resource ${id}`);
    return resource;
  }

  /** A resource's physical name: the one its template gives, or one CloudFormation would generate. */
  private physicalName(stack: string, id: string, property: string): string {
    const given = this.resource(stack, id).Properties?.[property];
    return given === undefined ? `${stack}-${id}` : this.resolve(stack, given);
  }

  private ref(stack: string, name: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': this.partition,
      'AWS::Region': this.region,
      'AWS::AccountId': this.account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stack,
    };
    if (name in pseudo) return pseudo[name]!;
    const { Type } = this.resource(stack, name);
    switch (Type) {
      case 'AWS::IAM::Role':
        return this.physicalName(stack, name, 'RoleName');
      case 'AWS::S3::Bucket':
        return this.physicalName(stack, name, 'BucketName');
      case 'AWS::SQS::Queue':
        return `https://sqs.${this.region}.amazonaws.com/${this.account}/${this.physicalName(stack, name, 'QueueName')}`;
      case 'AWS::KMS::Key':
        return keyId(stack, name);
      case 'AWS::Logs::LogGroup':
        return this.physicalName(stack, name, 'LogGroupName');
      case 'AWS::Lambda::Function':
        return this.physicalName(stack, name, 'FunctionName');
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
        return this.getAtt(stack, name, 'Arn');
      default:
        return `${stack}-${name}`;
    }
  }

  private getAtt(stack: string, id: string, attribute: string): string {
    const { Type } = this.resource(stack, id);
    const { partition: p, region: r, account: a } = this;
    if (
      attribute !== 'Arn' &&
      !(Type === 'AWS::SQS::Queue' && attribute === 'QueueName') &&
      !(Type === 'AWS::CE::AnomalyMonitor' && attribute === 'MonitorArn')
    )
      throw new Error(`${stack}: cannot resolve ${id}.${attribute}`);
    switch (Type) {
      case 'AWS::IAM::Role':
        return `arn:${p}:iam::${a}:role/${this.ref(stack, id)}`;
      case 'AWS::S3::Bucket':
        return `arn:${p}:s3:::${this.ref(stack, id)}`;
      case 'AWS::SQS::Queue': {
        const name = this.physicalName(stack, id, 'QueueName');
        return attribute === 'QueueName' ? name : `arn:${p}:sqs:${r}:${a}:${name}`;
      }
      case 'AWS::SNS::Topic':
        return `arn:${p}:sns:${r}:${a}:${this.physicalName(stack, id, 'TopicName')}`;
      case 'AWS::KMS::Key':
        return `arn:${p}:kms:${r}:${a}:key/${keyId(stack, id)}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${p}:logs:${r}:${a}:log-group:${this.ref(stack, id)}:*`;
      case 'AWS::Lambda::Function':
        return `arn:${p}:lambda:${r}:${a}:function:${this.ref(stack, id)}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${p}:states:${r}:${a}:stateMachine:${this.physicalName(stack, id, 'StateMachineName')}`;
      // An alias's ARN is its state machine's, qualified by the alias name.
      case 'AWS::StepFunctions::StateMachineAlias': {
        const { Properties } = this.resource(stack, id);
        const [route] = Properties!.RoutingConfiguration as { StateMachineVersionArn: Json }[];
        const version = (route!.StateMachineVersionArn as { 'Fn::GetAtt': [string, string] })[
          'Fn::GetAtt'
        ][0];
        const machine = this.resolve(
          stack,
          this.resource(stack, version).Properties!.StateMachineArn,
        );
        return `${machine}:${String(Properties!.Name)}`;
      }
      case 'AWS::DynamoDB::Table':
        return `arn:${p}:dynamodb:${r}:${a}:table/${this.physicalName(stack, id, 'TableName')}`;
      case 'AWS::Events::Rule':
        return `arn:${p}:events:${r}:${a}:rule/${this.physicalName(stack, id, 'Name')}`;
      // Cost Explorer's ARNs carry no region and a generated id.
      case 'AWS::CE::AnomalyMonitor':
        return `arn:${p}:ce::${a}:anomalymonitor/${id}`;
      default:
        throw new Error(`${stack}: cannot resolve ${id}.Arn of a ${Type}`);
    }
  }

  /** Every resource of a type, across stacks, with its stack and logical id. */
  resourcesOf(type: string): { stack: string; id: string; properties: Record<string, Json> }[] {
    return Object.entries(this.stacks).flatMap(([stack, template]) =>
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => ({ stack, id, properties: r.Properties ?? {} })),
    );
  }

  /** A role's ARN by its logical id. */
  roleArn(stack: string, roleId: string): string {
    return this.getAtt(stack, roleId, 'Arn');
  }

  /** The policies that apply to a role: policies attached to it (by Ref or by name), inline, managed. */
  rolePolicies(roleArn: string): RolePolicies {
    const roleName = roleArn.split('/').pop()!;
    const identity: { name: string; policy: PolicyDocument }[] = [];
    const awsManaged: string[] = [];
    const document = (stack: string, doc: Json) =>
      this.resolveDeep(stack, doc) as unknown as PolicyDocument;
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'])
      for (const { stack, id, properties } of this.resourcesOf(type))
        if (list(properties.Roles as Json[]).some((r) => this.resolve(stack, r) === roleName))
          identity.push({ name: id, policy: document(stack, properties.PolicyDocument) });
    for (const { stack, id, properties } of this.resourcesOf('AWS::IAM::Role')) {
      if (this.ref(stack, id) !== roleName) continue;
      for (const inline of list(
        properties.Policies as { PolicyName: string; PolicyDocument: Json }[],
      ))
        identity.push({ name: inline.PolicyName, policy: document(stack, inline.PolicyDocument) });
      for (const managed of list(properties.ManagedPolicyArns as Json[])) {
        const arn = this.resolve(stack, managed);
        if (arn.includes(':iam::aws:policy/')) awsManaged.push(arn);
        else throw new Error(`${roleName}: customer managed policy ${arn} is not in the templates`);
      }
    }
    return { identity, awsManaged };
  }

  /** The resource policy AWS evaluates for a resource ARN; absent for services without one here. */
  resourcePolicy(resourceArn: string): PolicyDocument | undefined {
    const [, , service, , , rest] = resourceArn.split(':');
    const find = (type: string, property: string, target: string, field: string) => {
      const found = this.resourcesOf(type).find(({ stack, properties }) =>
        list(properties[field] as Json[]).some((t) => this.resolve(stack, t) === target),
      );
      return found
        ? (this.resolveDeep(found.stack, found.properties[property]) as unknown as PolicyDocument)
        : undefined;
    };
    switch (service) {
      case 'kms': {
        const key = this.resourcesOf('AWS::KMS::Key').find(
          ({ stack, id }) => this.getAtt(stack, id, 'Arn') === resourceArn,
        );
        if (!key) throw new Error(`No KMS key ${resourceArn} in the templates`);
        return this.resolveDeep(key.stack, key.properties.KeyPolicy) as unknown as PolicyDocument;
      }
      case 's3':
        return find('AWS::S3::BucketPolicy', 'PolicyDocument', rest!.split('/')[0]!, 'Bucket');
      case 'sqs': {
        const url = `https://sqs.${this.region}.amazonaws.com/${this.account}/${resourceArn.split(':').pop()}`;
        return find('AWS::SQS::QueuePolicy', 'PolicyDocument', url, 'Queues');
      }
      case 'sns':
        return find('AWS::SNS::TopicPolicy', 'PolicyDocument', resourceArn, 'Topics');
      default:
        // Secrets Manager, Glue, Athena, Step Functions, Kafka...: no resource policy in this app.
        return undefined;
    }
  }

  /**
   * Whether `principal` (a role ARN, or a service principal such as `logs.eu-west-1.amazonaws.com`)
   * may make the call. `identity` replaces the role's policies (for negative tests).
   */
  async simulate(
    principal: string,
    call: IamCall,
    overrides: { identity?: RolePolicies['identity']; resourcePolicy?: PolicyDocument | null } = {},
  ): Promise<Decision> {
    const isRole = principal.startsWith('arn:');
    const identity = overrides.identity ?? (isRole ? this.rolePolicies(principal).identity : []);
    const resourcePolicy =
      overrides.resourcePolicy === null
        ? undefined
        : (overrides.resourcePolicy ?? this.resourcePolicy(call.resource));
    const simulation = {
      request: {
        principal,
        action: call.action,
        resource: {
          resource: call.resource,
          accountId: call.resource.split(':')[4] || this.account,
        },
        contextVariables: {
          ...(isRole
            ? { 'aws:PrincipalAccount': this.account, 'aws:PrincipalArn': principal }
            : { 'aws:PrincipalServiceName': principal }),
          ...call.context,
        },
      },
      identityPolicies: identity.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    };
    // The strict engine drops context keys whose variable part holds colons, such as
    // `kms:EncryptionContext:aws:logs:arn`; those requests go through the unvalidated engine.
    if (Object.keys(call.context ?? {}).some((k) => /^kms:EncryptionContext:/i.test(k))) {
      const result = runUnsafeSimulation(
        {
          ...simulation,
          resourcePolicy: resourcePolicy && {
            __validated: true,
            policyDocument: resourcePolicy,
            metadata: { name: 'resource-policy' },
            errors: [],
          },
        },
        {},
      );
      return { call, principal, result: result as Decision['result'] };
    }
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error')
      return { call, principal, result: `Invalid: ${JSON.stringify(response.errors)}` };
    return { call, principal, result: response.overallResult as Decision['result'] };
  }

  /** The calls of `calls` that `principal` may not make. */
  async denied(
    principal: string,
    calls: readonly IamCall[],
    overrides?: Parameters<SimulatedAccount['simulate']>[2],
  ): Promise<Decision[]> {
    const decisions = await Promise.all(calls.map((c) => this.simulate(principal, c, overrides)));
    return decisions.filter((d) => d.result !== 'Allowed');
  }
}

/** A KMS key's id: a UUID derived from its stack and logical id, stable across runs. */
function keyId(stack: string, id: string): string {
  const h = createHash('sha256').update(`${stack}/${id}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A denial as one readable line: principal, action, resource and why the code needs it. */
export function describeDecision(d: Decision): string {
  return `${d.result}: ${d.principal.split('/').pop()} ${d.call.action} ${d.call.resource} (${d.call.why})`;
}
