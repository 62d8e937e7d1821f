// SQL for ingest write keys (stored as SHA-256 hashes).
import type { Db, Tx } from '../../platform/db/database.js';
import type { WriteKeyRow } from '../../platform/db/schema.js';

export function createWriteKeysStore(db: Db) {
  return {
    insert: (ex: Tx | Db, row: WriteKeyRow) => ex.insertInto('write_keys').values(row).execute(),
    list: (workspaceId: string) => db.selectFrom('write_keys').selectAll().where('workspace_id', '=', workspaceId).orderBy('id', 'desc').execute(),
    get: (ex: Tx | Db, workspaceId: string, id: string) =>
      ex.selectFrom('write_keys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),
    byHash: (hash: string) =>
      db.selectFrom('write_keys').select(['workspace_id', 'id', 'revoked_at', 'kind', 'allowed_origins']).where('key_hash', '=', hash).executeTakeFirst(),
    update: (ex: Tx | Db, workspaceId: string, id: string, patch: Partial<Pick<WriteKeyRow, 'name' | 'allowed_origins'>>) =>
      ex.updateTable('write_keys').set(patch).where('workspace_id', '=', workspaceId).where('id', '=', id).execute(),
    revoke: (ex: Tx | Db, workspaceId: string, id: string, at: string) =>
      ex
        .updateTable('write_keys')
        .set({ revoked_at: at })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute(),
  };
}
export type WriteKeysStore = ReturnType<typeof createWriteKeysStore>;
