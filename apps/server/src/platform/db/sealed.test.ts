// The data layer is sealed by lint: a query-builder call, raw sql`` or a transaction outside a
// *.store.ts file or platform/db fails `npm run lint` (issue 9). Checked with ESLint itself on a
// deliberately wrong service line and on the same line in a store.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../../../..');
const code = `import type { Db } from './database.js';
export async function leak(db: Db) {
  await db.transaction().execute(async (tx) => tx.selectFrom('users').selectAll().execute());
  return db.deleteFrom('sessions').execute();
}
`;

async function ruleErrors(file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('the sealed data layer (lint)', () => {
  it('refuses query-builder calls in a service, a route or the platform', async () => {
    for (const file of [
      'apps/server/src/modules/customers/customers.service.ts',
      'apps/server/src/modules/customers/customers.routes.ts',
      'apps/server/src/platform/http.ts',
    ]) {
      const errors = await ruleErrors(file);
      expect(errors, file).toEqual([
        expect.stringContaining('transaction()'),
        expect.stringContaining('selectFrom()'),
        expect.stringContaining('deleteFrom()'),
      ]);
    }
  });

  it('lets stores and platform/db speak SQL', async () => {
    expect(await ruleErrors('apps/server/src/modules/customers/customers.store.ts')).toEqual([]);
    expect(await ruleErrors('apps/server/src/platform/db/database.ts')).toEqual([]);
  });
});
