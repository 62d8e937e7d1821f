import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [
      { find: '@rapport/contracts/values', replacement: path.resolve(import.meta.dirname, 'packages/contracts/src/values.ts') },
      { find: '@rapport/contracts', replacement: path.resolve(import.meta.dirname, 'packages/contracts/src/index.ts') },
    ],
  },
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
