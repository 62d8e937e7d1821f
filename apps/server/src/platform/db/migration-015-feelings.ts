// Feelings (issue 12): the sentiment of each customer message, and each customer's feeling score —
// an exponentially time-decayed average of their scored messages, kept as a decayed sum and weight
// at a reference time so that one more message updates it in O(1).
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

export async function m015Feelings(db: AnyDb, engine: Engine): Promise<void> {
  const real = engine === 'postgres' ? 'double precision' : 'real';
  await db.schema.alterTable('messages').addColumn('sentiment_score', real).execute();
  await db.schema.alterTable('messages').addColumn('sentiment_label', 'text').execute();
  await db.schema.alterTable('messages').addColumn('sentiment_signals', 'text').execute();
  for (const [name, type] of [
    ['feeling_score', real],
    ['feeling_label', 'text'],
    ['feeling_sum', real],
    ['feeling_weight', real],
    ['feeling_at', 'text'],
  ] as const)
    await db.schema.alterTable('customers').addColumn(name, type).execute();
  await sql`CREATE INDEX customers_feeling ON customers (workspace_id, feeling_label, feeling_score) WHERE feeling_label IS NOT NULL`.execute(db);
}
