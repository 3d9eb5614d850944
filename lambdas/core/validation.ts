import { parseDocument } from 'yaml';
import type * as z from 'zod';
import { ConfigError, type ConfigProblem } from './errors';

/**
 * Parses YAML text and validates it with a zod schema. Every problem is reported with the file,
 * the key path, what was expected and what was found, so a typo never reaches a run.
 */
export function parseYamlWith<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
): z.output<S> {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
        expected: 'valid YAML',
        found: e.message.split('\n')[0] ?? e.code,
      })),
    );
  }
  return validateWith(schema, doc.toJS(), file);
}

/** Validates an already-parsed value; see {@link parseYamlWith}. */
export function validateWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  file: string,
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new ConfigError(file, result.error.issues.map(toProblem));
}

function toProblem(issue: z.core.$ZodIssue): ConfigProblem {
  const path = issue.path.map(String).join('.');
  const key = issue.path.at(-1);
  // A union reports the whole mapping; the value of the discriminating key says more.
  if (
    issue.code === 'invalid_union' &&
    isMapping(issue.input) &&
    typeof key === 'string' &&
    key in issue.input
  ) {
    const options =
      'options' in issue && Array.isArray(issue.options) ? (issue.options as unknown[]) : [];
    return {
      path,
      expected:
        options.length > 0
          ? `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`
          : issue.message,
      found: describeValue(issue.input[key]),
    };
  }
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path,
        expected: 'only known keys',
        found: `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`,
      };
    case 'invalid_type':
      return {
        path,
        expected: issue.expected,
        found: describeValue(issue.input),
      };
    case 'invalid_value':
      return {
        path,
        expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
        found: describeValue(issue.input),
      };
    default:
      return {
        path,
        expected: issue.message.replace(/^Invalid input: /, ''),
        found: describeValue(issue.input),
      };
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}
