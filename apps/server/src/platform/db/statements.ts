// Statements that several modules contribute to one operation (a customer merge moves rows of
// identities, interactions, conversations and organization memberships). Each owner's store
// builds the statement for its own tables; `runStatements` sends them together: on PostgreSQL as
// data-modifying CTEs of one statement (one round trip instead of one per table; every part sees
// the same snapshot, so parts must touch disjoint rows or be written for that), on SQLite one
// after another in the given order.
import { sql, type RawBuilder } from 'kysely';
import type { Engine, Tx } from './database.js';

declare const statementBrand: unique symbol;
/** An opaque statement a store built for its own tables; only `runStatements` executes it. */
export type Statement = { readonly [statementBrand]: true; readonly sql: RawBuilder<unknown> };

export const statement = (query: RawBuilder<unknown>): Statement => ({ sql: query }) as Statement;

export async function runStatements(tx: Tx, engine: Engine, statements: Statement[]): Promise<void> {
  if (statements.length === 0) return;
  if (engine === 'postgres') {
    const parts = statements.map((s, i) => sql`${sql.raw(`s${i}`)} AS (${s.sql})`);
    await sql`WITH ${sql.join(parts)} SELECT 1`.execute(tx);
    return;
  }
  for (const s of statements) await s.sql.execute(tx);
}

/** `CASE column WHEN from THEN to … END` for a list of moves. */
export function caseMap(column: string, pairs: ReadonlyArray<{ from: string; to: string }>): RawBuilder<string> {
  return sql<string>`CASE ${sql.ref(column)} ${sql.join(
    pairs.map((p) => sql`WHEN ${p.from} THEN ${p.to}`),
    sql` `,
  )} END`;
}

/** `UPDATE table SET customer_id = (the map) WHERE workspace_id = … AND customer_id IN (froms)`. */
export function reassignCustomerColumn(table: string, workspaceId: string, pairs: ReadonlyArray<{ from: string; to: string }>): Statement {
  return statement(
    sql`UPDATE ${sql.table(table)} SET customer_id = ${caseMap('customer_id', pairs)} WHERE workspace_id = ${workspaceId} AND customer_id IN (${sql.join(pairs.map((p) => p.from))})`,
  );
}
