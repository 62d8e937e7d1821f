// Write keys: public, write-only credentials for /v1/* ingest. The key is shown once and kept
// as a SHA-256 hash; lookups are cached for a few seconds so the hot path does not ask the
// database on every batch (a revocation in this process takes effect at once, in other
// processes within KEY_CACHE_MS).
import type { WriteKey } from '@rapport/contracts';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteKeyRow } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import type { WriteKeysStore } from './write-keys.store.js';

export const WRITE_KEY_PREFIX = 'rwk_';
const KEY_CACHE_MS = 10_000;

export type IngestPrincipal = { workspaceId: string; writeKeyId: string };

const toWriteKey = (r: WriteKeyRow): WriteKey => ({ id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at });

export function createWriteKeysService(deps: { store: WriteKeysStore; clock: Clock; audit: Audit }) {
  const { store, clock, audit } = deps;
  const db = store.db;
  const cache = new Map<string, { at: number; principal: IngestPrincipal | null }>();

  return {
    async create(auth: AuthContext, name: string) {
      requirePermission(auth, 'ingest.manage');
      const key = `${WRITE_KEY_PREFIX}${randomSecret(24)}`;
      const row: WriteKeyRow = {
        workspace_id: auth.workspaceId,
        id: newId('writeKey'),
        name,
        prefix: key.slice(0, WRITE_KEY_PREFIX.length + 6),
        key_hash: sha256(key),
        created_by: auth.userId,
        created_at: clock.nowIso(),
        revoked_at: null,
      };
      await db.transaction().execute(async (tx) => {
        await store.insert(tx, row);
        await audit.record(tx, auth, { action: 'write_key.created', objectType: 'write_key', objectId: row.id, data: { name } });
      });
      return { ...toWriteKey(row), key };
    },

    async list(auth: AuthContext) {
      requirePermission(auth, 'ingest.manage');
      return { data: (await store.list(auth.workspaceId)).map(toWriteKey), nextCursor: null };
    },

    async revoke(auth: AuthContext, id: string) {
      requirePermission(auth, 'ingest.manage');
      const row = await db.transaction().execute(async (tx) => {
        const cur = await store.get(tx, auth.workspaceId, id);
        if (!cur) throw notFound('Write key');
        if (!cur.revoked_at) {
          const at = clock.nowIso();
          await store.revoke(tx, auth.workspaceId, id, at);
          await audit.record(tx, auth, { action: 'write_key.revoked', objectType: 'write_key', objectId: id, data: { name: cur.name } });
          return { ...cur, revoked_at: at };
        }
        return cur;
      });
      cache.delete(row.key_hash);
      return toWriteKey(row);
    },

    /** The workspace a write key writes to; 401 for unknown or revoked keys. */
    async authenticate(key: string | null): Promise<IngestPrincipal> {
      if (!key)
        throw new AppError('UNAUTHENTICATED', 'Send the write key as the HTTP Basic user name', undefined, {
          'www-authenticate': 'Basic realm="rapport ingest"',
        });
      const hash = sha256(key);
      const now = clock.nowMs();
      let hit = cache.get(hash);
      if (!hit || now - hit.at > KEY_CACHE_MS || hit.at > now) {
        const row = await store.byHash(hash);
        hit = { at: now, principal: row && !row.revoked_at ? { workspaceId: row.workspace_id, writeKeyId: row.id } : null };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      if (!hit.principal)
        throw new AppError('UNAUTHENTICATED', 'The write key is unknown or revoked', undefined, { 'www-authenticate': 'Basic realm="rapport ingest"' });
      return hit.principal;
    },
  };
}
export type WriteKeysService = ReturnType<typeof createWriteKeysService>;
