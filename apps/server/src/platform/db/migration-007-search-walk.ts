// Search walks conversations in activity order and asks the index, chunk by chunk, which of them
// match (conversations.store.ts). FTS5 can only answer that for an indexed column, so on SQLite
// message_search is rebuilt with conversation_id indexed (its tokens never meet the user's words:
// queries name the body column). PostgreSQL needs nothing new. `message_search_terms` lists the index's words (see the store).
import { sql } from 'kysely';
import type { Engine } from './database.js';
import type { AnyDb } from './migrations.js';

export async function m007SearchWalk(db: AnyDb, engine: Engine): Promise<void> {
  if (engine !== 'sqlite') return;
  await sql`CREATE VIRTUAL TABLE message_search_next USING fts5(body, conversation_id, workspace_id UNINDEXED, ref_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')`.execute(
    db,
  );
  await sql`INSERT INTO message_search_next (rowid, body, conversation_id, workspace_id, ref_id) SELECT rowid, body, conversation_id, workspace_id, ref_id FROM message_search`.execute(
    db,
  );
  await sql`DROP TABLE message_search`.execute(db);
  await sql`ALTER TABLE message_search_next RENAME TO message_search`.execute(db);
  // The terms of the index: a prefix ("parc*") is searched as the words it stands for, each of
  // which FTS5 can seek; a prefix alone is merged into one list of every row it matches.
  await sql`CREATE VIRTUAL TABLE message_search_terms USING fts5vocab(message_search, 'col')`.execute(db);
}
