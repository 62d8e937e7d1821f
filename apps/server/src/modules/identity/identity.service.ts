// Identity resolution: which customer an event belongs to. Every identity (user id, anonymous
// id, email, phone, external id) is unique per workspace; an event whose identities belong to
// several customers merges them into the oldest one. Known identities are cached per process
// (the cache is cleared for a workspace on every merge or erasure, only filled after commit, and
// dropped after CACHE_MS so identity edits made elsewhere, e.g. an agent changing an email, show).
import { mergeTraits } from '../../platform/traits.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { CustomerRow, IdentityRow } from '../../platform/db/schema.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { IdentityKey, IdentityStore } from './identity.store.js';

export type Profile = { name: string | null; email: string | null; phone: string | null; traits: Record<string, unknown> };

export type ResolveItem = {
  /** Identities the event certainly carries. */
  keys: IdentityKey[];
  /** Alternatives (alias previousId): the existing ones are linked; if none exists, the first is created. */
  either?: IdentityKey[];
  profile: Profile | null;
  /**
   * false for what a client (public) write key sent: its profile only fills what is empty and
   * adds traits that are absent; it never renames or overwrites what an agent or server said.
   */
  trusted?: boolean;
};

export type Resolution = {
  customerIds: string[];
  createdCustomers: number;
  merges: Array<{ survivorId: string; mergedId: string }>;
  /** Applied to the cache after commit. */
  learned: Array<[string, string]>;
  invalidate: boolean;
};

/** Merges each `mergedId` into its `survivorId`; returns what the survivors' profiles were set to. */
export type CustomerMerger = {
  mergeMany(
    tx: Tx,
    workspaceId: string,
    pairs: Array<{ survivorId: string; mergedId: string }>,
    reason: string,
    known?: Map<string, CustomerRow>,
  ): Promise<Map<string, Pick<CustomerRow, 'id' | 'name' | 'email' | 'phone' | 'traits'>>>;
};

const MAX_CACHED = 200_000;
const CACHE_MS = 60_000;
export const keyOf = (k: IdentityKey) => `${k.kind}\u0000${k.value}`;

export function createIdentityService(deps: {
  store: IdentityStore;
  /** Customers are the customers module's: resolution creates, reads and fills them through it. */
  customers: CustomersService;
  /** Merging moves rows of several modules: a workflow (workflows/merge-customers.ts) given here. */
  merge: CustomerMerger;
  clock: Clock;
}) {
  const { store, clock, customers } = deps;
  const verifyOwners = store.engine === 'postgres';
  // keys: identity → customer as last seen; merged: customer → survivor, for merges made here
  // after that (followed on every hit, so a merge need not rewrite or drop the cache).
  const cache = new Map<string, { at: number; keys: Map<string, string>; merged: Map<string, string> }>();
  let cached = 0;

  function invalidate(workspaceId: string) {
    const ws = cache.get(workspaceId);
    if (ws) cached -= ws.keys.size;
    cache.delete(workspaceId);
  }

  function remember(workspaceId: string, entries: Array<[string, string]>) {
    if (cached + entries.length + (cache.get(workspaceId)?.merged.size ?? 0) > MAX_CACHED) {
      cache.clear();
      cached = 0;
    }
    let ws = cache.get(workspaceId);
    if (!ws) {
      ws = { at: clock.nowMs(), keys: new Map(), merged: new Map() };
      cache.set(workspaceId, ws);
    }
    for (const [k, v] of entries) {
      if (!ws.keys.has(k)) cached++;
      ws.keys.set(k, v);
    }
  }

  /** Owners of the keys (cache, then one query per kind), with merge pointers followed. */
  async function owners(tx: Tx, workspaceId: string, keys: IdentityKey[]) {
    const result = new Map<string, string>();
    const entry = cache.get(workspaceId);
    const age = entry ? clock.nowMs() - entry.at : 0;
    if (entry && (age > CACHE_MS || age < 0)) invalidate(workspaceId);
    const live = entry && age <= CACHE_MS && age >= 0 ? entry : undefined;
    const misses: IdentityKey[] = [];
    for (const k of keys) {
      let hit = live?.keys.get(keyOf(k));
      if (hit && live && live.merged.size > 0)
        for (let hop = 0, next = live.merged.get(hit); next !== undefined && hop < 20; hop++, next = live.merged.get(hit)) hit = next;
      if (hit) result.set(keyOf(k), hit);
      else misses.push(k);
    }
    if (misses.length > 0) for (const r of await store.lookup(tx, workspaceId, misses)) result.set(`${r.kind}\u0000${r.value}`, r.customer_id);
    const rows = new Map<string, CustomerRow>();
    let stale = false;
    // SQLite has one process, whose cache merges and erasures keep exact, and identities always
    // point at unmerged customers: no need to re-read them. PostgreSQL may have other processes
    // (and their merges), so it re-reads and share-locks every owner.
    if (!verifyOwners) return { owners: result, rows, ids: new Set(result.values()), stale };
    let wanted = [...new Set(result.values())];
    for (let hop = 0; wanted.length > 0 && hop < 5; hop++) {
      for (const r of await customers.lockMany(tx, workspaceId, wanted)) rows.set(r.id, r);
      wanted = [...new Set([...rows.values()].map((r) => r.merged_into_id).filter((id): id is string => id !== null && !rows.has(id)))];
    }
    const canonical = (id: string): string | null => {
      let row = rows.get(id);
      for (let hop = 0; row?.merged_into_id && hop < 5; hop++) row = rows.get(row.merged_into_id);
      return row && !row.merged_into_id ? row.id : null;
    };
    for (const [k, id] of result) {
      const c = canonical(id);
      if (c !== id) stale = true;
      if (c) result.set(k, c);
      else result.delete(k);
    }
    return { owners: result, rows, ids: new Set(result.values()), stale };
  }

  const merge = async (tx: Tx, workspaceId: string, survivorId: string, mergedId: string, reason: string): Promise<void> => {
    await deps.merge.mergeMany(tx, workspaceId, [{ survivorId, mergedId }], reason);
  };

  /** Assigns each item to a customer: creates, links and merges as the identities demand. */
  async function resolve(tx: Tx, workspaceId: string, items: ResolveItem[], reason: string): Promise<Resolution> {
    const all = new Map<string, IdentityKey>();
    for (const it of items) for (const k of [...it.keys, ...(it.either ?? [])]) all.set(keyOf(k), k);
    const found = await owners(tx, workspaceId, [...all.values()]);
    const keyOwner = found.owners;
    const existing = found.rows;
    const existingIds = found.ids;
    const parent = new Map<string, string>();
    const find = (id: string): string => {
      let root = id;
      for (let p = parent.get(root); p !== undefined && p !== root; p = parent.get(root)) root = p;
      parent.set(id, root);
      return root;
    };
    const isExisting = (id: string) => existingIds.has(id);
    const older = (a: string, b: string) => (isExisting(a) !== isExisting(b) ? (isExisting(a) ? a : b) : a < b ? a : b);
    const pending = new Map<string, CustomerRow>();
    const newKeys = new Map<string, IdentityKey>();
    const assigned: string[] = [];
    const now = clock.nowIso();

    for (const it of items) {
      const keys = [...it.keys];
      if (it.either && it.either.length > 0) {
        const known = it.either.filter((k) => keyOwner.has(keyOf(k)));
        keys.push(...(known.length > 0 ? known : [it.either[0] as IdentityKey]));
      }
      const roots = [
        ...new Set(
          keys
            .map((k) => keyOwner.get(keyOf(k)))
            .filter((id): id is string => id !== undefined)
            .map(find),
        ),
      ];
      let customerId: string;
      if (roots.length === 0) {
        customerId = newId('customer');
        pending.set(customerId, {
          workspace_id: workspaceId,
          id: customerId,
          name: null,
          email: null,
          phone: null,
          traits: '{}',
          created_at: now,
          updated_at: now,
          merged_into_id: null,
        });
      } else {
        customerId = roots.reduce(older);
        for (const r of roots) if (r !== customerId) parent.set(r, customerId);
      }
      for (const k of keys) {
        const ks = keyOf(k);
        if (!keyOwner.has(ks)) {
          keyOwner.set(ks, customerId);
          newKeys.set(ks, k);
        }
      }
      assigned.push(customerId);
    }

    const customerIds = assigned.map(find);
    const merges: Array<{ survivorId: string; mergedId: string }> = [];
    for (const id of [...existingIds].sort()) {
      const root = find(id);
      if (root !== id) merges.push({ survivorId: root, mergedId: id });
    }
    // Survivors already read (PostgreSQL) take what the merge just wrote to them, in memory.
    for (const [id, f] of await deps.merge.mergeMany(tx, workspaceId, merges, reason, existing)) {
      const row = existing.get(id);
      if (row) existing.set(id, { ...row, ...f, updated_at: now });
    }
    // Rows to apply profiles to: those not read yet (on SQLite, every existing customer).
    const toRead = [...new Set(customerIds.filter((id, i) => items[i]?.profile && existingIds.has(id) && !existing.has(id)))];
    if (toRead.length > 0) for (const r of await customers.lockMany(tx, workspaceId, toRead)) existing.set(r.id, r);

    // Profiles (identify traits): later events win; customer columns fill when empty, names update.
    const profiles = new Map<string, Profile & { trusted: boolean }>();
    items.forEach((it, i) => {
      if (!it.profile) return;
      const id = customerIds[i] as string;
      const cur = profiles.get(id);
      profiles.set(id, {
        name: it.profile.name ?? cur?.name ?? null,
        email: cur?.email ?? it.profile.email,
        phone: cur?.phone ?? it.profile.phone,
        traits: mergeTraits(cur?.traits ?? {}, it.profile.traits, true),
        // A customer profile touched by any untrusted item of the batch is applied add-only.
        trusted: (cur?.trusted ?? true) && it.trusted !== false,
      });
    });
    const inserts: CustomerRow[] = [];
    for (const [id, row] of pending) {
      if (find(id) !== id) continue;
      const p = profiles.get(id);
      inserts.push(p ? { ...row, name: p.name, email: p.email, phone: p.phone, traits: JSON.stringify(mergeTraits({}, p.traits, true)) } : row);
    }
    await customers.insertMany(tx, inserts);
    const updates: Array<Pick<CustomerRow, 'id' | 'name' | 'email' | 'phone' | 'traits'>> = [];
    for (const [id, p] of [...profiles.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const row = existing.get(id);
      if (!row) continue;
      const known = parseJsonObject(row.traits);
      const traits = JSON.stringify(mergeTraits(known, p.traits, p.trusted));
      const name = p.trusted ? (p.name ?? row.name) : (row.name ?? p.name);
      const next = { id, name, email: row.email ?? p.email, phone: row.phone ?? p.phone, traits };
      if (next.name !== row.name || next.email !== row.email || next.phone !== row.phone || traits !== row.traits) updates.push(next);
    }
    await customers.updateProfiles(tx, workspaceId, updates, now);

    // New identities; on PostgreSQL a concurrent batch may have claimed one first: its owner wins.
    // Merges made here are applied to the cache after commit (settle remaps the merged ids);
    // anything this process cannot account for (stale owners, lost races) clears it.
    let invalidateCache = found.stale;
    const identityRows: IdentityRow[] = [...newKeys.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([ks, k]) => ({ workspace_id: workspaceId, kind: k.kind, value: k.value, customer_id: find(keyOwner.get(ks) as string), created_at: now }));
    const created = await store.insertIdentities(tx, identityRows);
    const lost = identityRows.filter((r) => !created.has(`${r.kind}\u0000${r.value}`));
    if (lost.length > 0) {
      invalidateCache = true;
      const winners = await store.lookup(
        tx,
        workspaceId,
        lost.map((r) => ({ kind: r.kind, value: r.value })),
      );
      const remap = new Map<string, string>();
      for (const w of winners) {
        const planned = lost.find((r) => r.kind === w.kind && r.value === w.value)?.customer_id;
        if (!planned || planned === w.customer_id || remap.has(planned)) continue;
        await merge(tx, workspaceId, w.customer_id, planned, `${reason}:race`);
        merges.push({ survivorId: w.customer_id, mergedId: planned });
        remap.set(planned, w.customer_id);
      }
      for (let i = 0; i < customerIds.length; i++) customerIds[i] = remap.get(customerIds[i] as string) ?? (customerIds[i] as string);
    }

    const learned: Array<[string, string]> = [];
    for (const [ks, id] of keyOwner) learned.push([ks, find(id)]);
    return { customerIds, createdCustomers: inserts.length, merges, learned: lost.length > 0 ? [] : learned, invalidate: invalidateCache };
  }

  return {
    resolve,
    merge,
    invalidate,
    /**
     * After commit: forget stale entries, point identities of merged customers at their
     * survivors (what the merge did to the identities table), remember what the batch learned.
     */
    settle(workspaceId: string, r: Pick<Resolution, 'learned' | 'invalidate' | 'merges'>) {
      if (r.invalidate) invalidate(workspaceId);
      else {
        const ws = cache.get(workspaceId);
        if (ws) for (const m of r.merges) ws.merged.set(m.mergedId, m.survivorId);
      }
      remember(workspaceId, r.learned);
    },
  };
}
export type IdentityService = ReturnType<typeof createIdentityService>;
