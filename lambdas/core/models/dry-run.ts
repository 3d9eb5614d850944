/**
 * Builds every model once on empty inputs, before a run: each SELECT must bind, its columns and
 * types must agree with its contract, and the contract's row rules must apply to them. What would
 * otherwise fail in the middle of a run, after other models were published, fails here naming the
 * file. Incremental models are built a second time, as a later run reads them.
 */
import type { Contract, ContractRegistry } from '../contracts/contract';
import { problemsOf, type DefinitionProblem } from '../definition-check';
import { checksFor } from '../dq/checks';
import { profileDataset } from '../dq/profile';
import { runChecks } from '../dq/run';
import type { SqlEngine } from '../ports';
import { loadSeeds } from './layer';
import { materialize } from './materialize';
import { hasIncrementalForm, type Model, type ModelProject } from './project';

export interface DryRunDeps {
  /** A scratch engine whose bronze relations are the bronze contracts' shapes, empty. */
  readonly engine: SqlEngine;
  readonly contracts: ContractRegistry;
  readonly project: ModelProject;
}

export async function dryRunModels(
  deps: DryRunDeps,
  runDate: string,
): Promise<DefinitionProblem[]> {
  const { engine } = deps;
  const ctx = {
    ...deps,
    runId: 'dry-run',
    runDate,
    snapshotAt: `${runDate}T00:00:00.000Z`,
    // A pseudonym binds the same under any key, and nothing built here is kept.
    privacyKeys: { key: () => Promise.resolve(new Uint8Array(32)) },
  };
  await loadSeeds(deps);
  const problems: DefinitionProblem[] = [];
  const build = async (model: Model) => {
    try {
      await materialize(model, ctx, () => new Date(0));
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push({ file: model.sqlPath, message: withoutFile(message, model) });
      return false;
    }
  };
  for (const model of deps.project.models) {
    if (!(await build(model))) {
      // Its readers are checked against the table its contract promises.
      if (!(await engine.relationExists(model.name)))
        await createEmpty(engine, model, deps.contracts.get(model.contractId));
      continue;
    }
    if (hasIncrementalForm(model)) await build(model);
  }
  for (const model of deps.project.models)
    problems.push(...(await gateProblems(deps, deps.contracts.get(model.contractId), runDate)));
  return problems;
}

/**
 * The quality checks of a model's contract run on its empty table: a check that cannot run (a
 * rule that does not fit its column, a `sql` rule that does not bind) would fail the quality gate
 * after the layer was published.
 */
async function gateProblems(
  { engine, contracts }: DryRunDeps,
  contract: Contract,
  runDate: string,
): Promise<DefinitionProblem[]> {
  try {
    const checks = checksFor(contract, contracts, engine.dialect);
    const results = await runChecks(engine, checks, {
      referenceTime: new Date(`${runDate}T23:59:59.999Z`),
      profile: await profileDataset(engine, contract),
      history: () => Promise.resolve([]),
    });
    return results
      .filter((r) => r.status === 'error')
      .map((r) => ({
        file: contract.file,
        message: `quality check ${r.check}: ${oneLine(r.message)}`,
      }));
  } catch (error) {
    return problemsOf(error, contract.file);
  }
}

async function createEmpty(engine: SqlEngine, model: Model, contract: Contract): Promise<void> {
  const d = engine.dialect;
  const columns = [...contract.columns, { name: '_run_id', type: 'VARCHAR' }]
    .map((c) => `cast(null as ${d.columnType(c.type)}) as ${d.quote(c.name)}`)
    .join(', ');
  await engine.execute(d.createTableAs(d.relation(model.name), `select ${columns} where 1 = 0`));
}

/**
 * One line: the message without the model's file in front (the problem names it), the SQL sent,
 * or the engine's caret drawing; the line of the rendered SQL the engine points at is kept.
 */
function withoutFile(message: string, model: Model): string {
  const [sent = message] = message.split('\n--- while running:');
  const [first = sent, ...rest] = sent.split('\n\n');
  const line = /^LINE (\d+):\s*(.*)$/m.exec(rest.join('\n'));
  const text = oneLine(first) + (line ? ` (at \`${line[2]!.trim()}\`)` : '');
  return text.startsWith(model.sqlPath)
    ? text.slice(model.sqlPath.length).replace(/^:?\s*/, '')
    : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
