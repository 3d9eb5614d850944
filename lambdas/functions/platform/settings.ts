/**
 * What a function learns from its environment (set by the pipeline stack, see
 * `core/function-environment.ts`) and where it finds the definitions bundled with it. Read once per
 * container.
 */
import path from 'node:path';
import { parseFunctionEnvironment, type FunctionSettings } from '../../core/function-environment';

let cached: FunctionSettings | undefined;

/** The function's settings, read and checked on first use. */
export function settings(): FunctionSettings {
  cached ??= parseFunctionEnvironment(process.env);
  return cached;
}

/** The folder holding `config/` and `models/`: the bundle on Lambda, the repository in tests. */
export const definitionsRoot =
  process.env.LAMBDA_TASK_ROOT ?? path.resolve(import.meta.dirname, '../../..');
