// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that tie code to a runtime: the AWS SDK, DuckDB, the file system, the network. */
const runtimeBound = [
  {
    group: ['@aws-sdk/*', 'aws-sdk'],
    message: 'lambdas/core is pure: AWS SDK calls belong in lambdas/adapters.',
  },
  {
    group: ['@duckdb/*', 'duckdb'],
    message: 'lambdas/core is pure: DuckDB belongs in lambdas/adapters.',
  },
  {
    group: [
      'fs',
      'fs/*',
      'node:fs',
      'node:fs/*',
      'node:child_process',
      'node:http',
      'node:net',
      'node:os',
    ],
    message: 'lambdas/core is pure: file system, processes and network belong in lambdas/adapters.',
  },
  {
    group: ['**/adapters/**', '**/runtime/**', '**/handlers/**', '**/lib/**', '**/bin/**'],
    message: 'Dependencies point inward: core imports nothing outside lambdas/core and config/.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.lake/', 'coverage/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['lambdas/core/**/*.ts', 'config/schema.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: runtimeBound }],
      'no-restricted-globals': [
        'error',
        {
          name: 'process',
          message: 'lambdas/core is pure: take settings as arguments, not from process.',
        },
        { name: 'fetch', message: 'lambdas/core is pure: HTTP goes through the HttpClient port.' },
      ],
    },
  },
  {
    files: ['config/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/lambdas/**', '**/lib/**', '**/bin/**'],
              message: 'config/ is the ground floor: its schema imports nothing of the platform.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lambdas/definitions/**/*.ts', 'bin/app.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/adapters/**', '**/runtime/**', '**/handlers/**', '**/functions/**'],
              message:
                'Loading definitions (and the CDK app built from them) needs core and the file system only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lambdas/handlers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@duckdb/*', '@aws-sdk/*'],
              message: 'Handlers are thin: engines and AWS clients come in through their ports.',
            },
            { group: ['**/runtime/**'], message: 'Handlers must not depend on the local runtime.' },
          ],
        },
      ],
    },
  },
  {
    files: ['lambdas/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/runtime/**', '**/handlers/**'],
              message: 'Adapters implement core ports only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lambdas/functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/runtime/**', '@duckdb/*', 'aws-local-stepfunctions'],
              message:
                'Lambda functions wire AWS adapters to handlers; the local runtime stays local.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/runtime/**',
                '**/adapters/**',
                '**/handlers/**',
                '**/functions/**',
                '@duckdb/*',
                '@aws-sdk/*',
              ],
              message:
                'Stacks only wire constructs: they read config and core definitions, never run code.',
            },
          ],
        },
      ],
    },
  },
);
