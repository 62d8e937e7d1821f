// Write keys: write-only credentials for /v1/* ingest, of two kinds. A server key is a secret of
// a back end and is trusted like one; a client key sits in web pages and apps, so what it sends
// may add to customers but never overwrite or merge them (see docs/ingest.md). The key is shown
// once and kept as a SHA-256 hash; lookups are cached for a few seconds so the hot path does not
// ask the database on every batch (a change in this process takes effect at once, in other
// processes within KEY_CACHE_MS).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WriteKey, WriteKeyKind } from '@rapport/contracts';
import type { Tx } from '../../platform/db/database.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteKeyRow } from '../../platform/db/schema.js';
import { notFound, invalid, unauthenticated } from '../../platform/errors.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import type { WriteKeysStore } from './write-keys.store.js';

export const WRITE_KEY_PREFIX = 'rwk_';
const KEY_CACHE_MS = 10_000;

export type IngestPrincipal = {
  workspaceId: string;
  writeKeyId: string;
  kind: WriteKeyKind;
  /** Client keys: web origins that may send; empty means any. */
  allowedOrigins: string[];
  /** Client keys: is this user id signed with the workspace identity secret? */
  isVerifiedUser(userId: string, hash: unknown): boolean;
};

const parseOrigins = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((o): o is string => typeof o === 'string') : [];
  } catch {
    return [];
  }
};
const isKind = (k: string): k is WriteKeyKind => k === 'client' || k === 'server';

const toWriteKey = (r: WriteKeyRow): WriteKey => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  kind: isKind(r.kind) ? r.kind : 'server',
  allowedOrigins: parseOrigins(r.allowed_origins),
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

/** HMAC-SHA256 of the user id with the workspace identity secret, hex: what a back end signs. */
export const userHash = (secret: string, userId: string) => createHmac('sha256', secret).update(userId).digest('hex');

function verifier(secret: string | null) {
  return (userId: string, hash: unknown): boolean => {
    if (!secret || typeof hash !== 'string' || hash.length !== 64) return false;
    const expected = Buffer.from(userHash(secret, userId), 'hex');
    const given = Buffer.from(hash.toLowerCase(), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
}

/** Where the workspace identity secret lives (the workspaces module owns the workspace row). */
export type IdentitySecrets = {
  identitySecret(workspaceId: string): Promise<string | null>;
  setIdentitySecret(tx: Tx, workspaceId: string, secret: string): Promise<unknown>;
};

export function createWriteKeysService(deps: { store: WriteKeysStore; transactions: Transactions; clock: Clock; audit: Audit; secrets: IdentitySecrets }) {
  const { store, clock, audit } = deps;
  const transactions = deps.transactions;
  const cache = new Map<string, { at: number; principal: IngestPrincipal | null }>();

  async function rotateIdentitySecret(auth: AuthContext) {
    requirePermission(auth, 'ingest.manage');
    const secret = randomSecret(32);
    await transactions.run(async (tx) => {
      await deps.secrets.setIdentitySecret(tx, auth.workspaceId, secret);
      await audit.record(tx, auth, { action: 'identity_secret.rotated', objectType: 'workspace', objectId: auth.workspaceId });
    });
    cache.clear();
    return { secret };
  }

  return {
    async create(auth: AuthContext, input: { name: string; kind: WriteKeyKind; allowedOrigins: string[] }) {
      requirePermission(auth, 'ingest.manage');
      const key = `${WRITE_KEY_PREFIX}${randomSecret(24)}`;
      const name = input.name;
      const row: WriteKeyRow = {
        workspace_id: auth.workspaceId,
        id: newId('writeKey'),
        name,
        kind: input.kind,
        allowed_origins: JSON.stringify(input.kind === 'client' ? [...new Set(input.allowedOrigins)] : []),
        prefix: key.slice(0, WRITE_KEY_PREFIX.length + 6),
        key_hash: sha256(key),
        created_by: auth.userId,
        created_at: clock.nowIso(),
        revoked_at: null,
      };
      await transactions.run(async (tx) => {
        await store.insert(tx, row);
        await audit.record(tx, auth, {
          action: 'write_key.created',
          objectType: 'write_key',
          objectId: row.id,
          data: { name, kind: input.kind, allowedOrigins: input.allowedOrigins },
        });
      });
      return { ...toWriteKey(row), key };
    },

    async list(auth: AuthContext) {
      requirePermission(auth, 'ingest.manage');
      return { data: (await store.list(auth.workspaceId)).map(toWriteKey), nextCursor: null };
    },

    async update(auth: AuthContext, id: string, patch: { name?: string | undefined; allowedOrigins?: string[] | undefined }) {
      requirePermission(auth, 'ingest.manage');
      const row = await transactions.run(async (tx) => {
        const cur = await store.get(tx, auth.workspaceId, id);
        if (!cur) throw notFound('Write key');
        if (patch.allowedOrigins && cur.kind !== 'client')
          throw invalid('Only client keys have allowed origins: server keys are never used from a browser', [
            { path: 'allowedOrigins', message: 'server keys have none' },
          ]);
        const next = {
          ...(patch.name ? { name: patch.name } : {}),
          ...(patch.allowedOrigins ? { allowed_origins: JSON.stringify([...new Set(patch.allowedOrigins)]) } : {}),
        };
        if (Object.keys(next).length > 0) await store.update(tx, auth.workspaceId, id, next);
        await audit.record(tx, auth, { action: 'write_key.updated', objectType: 'write_key', objectId: id, data: patch });
        return { ...cur, ...next };
      });
      cache.delete(row.key_hash);
      return toWriteKey(row);
    },

    /** The workspace identity secret (made on first use for workspaces older than it). */
    async identitySecret(auth: AuthContext) {
      requirePermission(auth, 'ingest.manage');
      const current = await deps.secrets.identitySecret(auth.workspaceId);
      if (current) return { secret: current };
      return rotateIdentitySecret(auth);
    },

    rotateIdentitySecret,

    async revoke(auth: AuthContext, id: string) {
      requirePermission(auth, 'ingest.manage');
      const row = await transactions.run(async (tx) => {
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
      if (!key) throw unauthenticated('Send the write key as the HTTP Basic user name', 'Basic realm="rapport ingest"');
      const hash = sha256(key);
      const now = clock.nowMs();
      let hit = cache.get(hash);
      if (!hit || now - hit.at > KEY_CACHE_MS || hit.at > now) {
        const row = await store.byHash(hash);
        hit = {
          at: now,
          principal:
            row && !row.revoked_at
              ? {
                  workspaceId: row.workspace_id,
                  writeKeyId: row.id,
                  kind: isKind(row.kind) ? row.kind : 'server',
                  allowedOrigins: parseOrigins(row.allowed_origins),
                  isVerifiedUser: verifier(await deps.secrets.identitySecret(row.workspace_id)),
                }
              : null,
        };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      if (!hit.principal) throw unauthenticated('The write key is unknown or revoked', 'Basic realm="rapport ingest"');
      return hit.principal;
    },
  };
}
export type WriteKeysService = ReturnType<typeof createWriteKeysService>;
