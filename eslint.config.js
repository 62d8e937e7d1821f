import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Query-builder entry points; a store (or platform/db) is the only place that may call them. */
export const SQL_OUTSIDE_STORES = [
  ...['selectFrom', 'insertInto', 'updateTable', 'deleteFrom', 'replaceInto', 'mergeInto', 'transaction', 'selectNoFrom'].map((name) => ({
    selector: `CallExpression[callee.property.name='${name}']`,
    message: `${name}() belongs in a *.store.ts (or platform/db): services run work through withTransaction`,
  })),
  { selector: "TaggedTemplateExpression[tag.name='sql']", message: 'raw sql`` belongs in a *.store.ts (or platform/db)' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'docs/**', '**/*.gen.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Only stores and the platform's db layer speak SQL: no query-builder call, raw sql`` or
    // transaction anywhere else in the server (services use withTransaction from platform/db).
    files: ['apps/server/src/**/*.ts'],
    ignores: ['**/*.store.ts', 'apps/server/src/platform/db/**', '**/*.test.ts', 'apps/server/src/test/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'kysely', message: 'Only *.store.ts and platform/db speak SQL' }] }],
      'no-restricted-syntax': ['error', ...SQL_OUTSIDE_STORES],
    },
  },
  {
    // Services are plain objects built from their dependencies: a destructured method must work.
    files: ['apps/server/src/**/*.service.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...SQL_OUTSIDE_STORES,
        { selector: 'ThisExpression', message: 'no this in services: name the function (a destructured method loses this)' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'bench/**/*.mts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
