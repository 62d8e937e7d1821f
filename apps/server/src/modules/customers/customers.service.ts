// Customers: create, update, get, list and search; the email identity links service-desk
// customers to the ones the ingest spine knows.
import { FEELING_HALF_LIFE_DAYS, type Customer, type Page, type SentimentLabel } from '@rapport/contracts';
import type { Executor, Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Tx } from '../../platform/db/database.js';
import type { CustomerRow } from '../../platform/db/schema.js';
import { notFound, conflict } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { DomainEvents } from '../../platform/domain-events.js';
import type { IdentitiesService } from '../identity/identities.service.js';
import type { CustomersStore, Move, ProfileColumns } from './customers.store.js';

export type { ProfileColumns };

export const toCustomer = (r: CustomerRow): Customer => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  traits: parseJsonObject(r.traits),
  feeling:
    r.feeling_label && r.feeling_score !== null && r.feeling_score !== undefined && r.feeling_at
      ? {
          score: Math.round(Number(r.feeling_score) * 10_000) / 10_000,
          label: r.feeling_label as NonNullable<Customer['feeling']>['label'],
          updatedAt: r.feeling_at,
        }
      : null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const HALF_LIFE_MS = FEELING_HALF_LIFE_DAYS * 86_400_000;
const labelOfScore = (x: number): SentimentLabel => (x > 0.05 ? 'positive' : x < -0.05 ? 'negative' : 'neutral');

/** The feeling columns after one more scored message at `at` (an older message weighs less, not more). */
export function nextFeeling(
  row: Pick<CustomerRow, 'feeling_sum' | 'feeling_weight' | 'feeling_at'>,
  score: number,
  at: string,
): Pick<CustomerRow, 'feeling_score' | 'feeling_label' | 'feeling_sum' | 'feeling_weight' | 'feeling_at'> {
  let sum = score;
  let weight = 1;
  let ref = at;
  if (row.feeling_at && row.feeling_weight !== null && row.feeling_weight !== undefined && row.feeling_sum !== null && row.feeling_sum !== undefined) {
    const dt = Date.parse(at) - Date.parse(row.feeling_at);
    if (dt >= 0) {
      const f = Math.pow(0.5, dt / HALF_LIFE_MS);
      sum = Number(row.feeling_sum) * f + score;
      weight = Number(row.feeling_weight) * f + 1;
    } else {
      const f = Math.pow(0.5, -dt / HALF_LIFE_MS);
      sum = Number(row.feeling_sum) + score * f;
      weight = Number(row.feeling_weight) + f;
      ref = row.feeling_at;
    }
  }
  const value = Math.max(-1, Math.min(1, sum / weight));
  return { feeling_score: value, feeling_label: labelOfScore(value), feeling_sum: sum, feeling_weight: weight, feeling_at: ref };
}

/** A customer as domain events carry it. */
export const stateOf = (r: Pick<CustomerRow, 'id' | 'name' | 'email' | 'phone' | 'traits'>) => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  traits: parseJsonObject(r.traits),
});

type CustomerInput = { name?: string | undefined; email?: string | undefined; phone?: string | undefined; traits?: Record<string, unknown> | undefined };

export function createCustomersService(deps: {
  store: CustomersStore;
  identities: IdentitiesService;
  transactions: Transactions;
  clock: Clock;
  events: DomainEvents;
}) {
  const { store, clock, identities, events } = deps;
  const { autocommit } = deps.transactions;
  const transactions = deps.transactions;

  /** Follows merge pointers, so a merged customer's id keeps resolving. */
  async function resolve(tx: Tx | typeof autocommit, workspaceId: string, id: string): Promise<CustomerRow | undefined> {
    let row = await store.get(tx, workspaceId, id);
    for (let hops = 0; row?.merged_into_id && hops < 10; hops++) row = await store.get(tx, workspaceId, row.merged_into_id);
    return row;
  }

  async function insertCustomer(tx: Tx, workspaceId: string, input: CustomerInput): Promise<CustomerRow> {
    const now = clock.nowIso();
    const row: CustomerRow = {
      workspace_id: workspaceId,
      id: newId('customer'),
      name: input.name ?? null,
      email: input.email ?? null,
      phone: input.phone ?? null,
      traits: JSON.stringify(input.traits ?? {}),
      created_at: now,
      updated_at: now,
      merged_into_id: null,
    };
    await store.insert(tx, row);
    await events.emit(tx, workspaceId, [{ type: 'customer.created', data: { customer: stateOf(row), source: 'desk' } }]);
    if (row.email) await identities.link(tx, workspaceId, row.id, 'email', row.email, now);
    if (row.phone) await identities.link(tx, workspaceId, row.id, 'phone', row.phone, now);
    return row;
  }

  return {
    resolve,
    /** Customers merged into this one (their ids keep resolving to it). */
    mergedInto: async (ex: Tx | Executor, workspaceId: string, id: string) => (await store.mergedInto(ex, workspaceId, id)).map((r) => r.id),
    /** Erases customers with their merge records and organization memberships; returns how many went. */
    async eraseMany(tx: Tx, workspaceId: string, ids: string[]) {
      await store.eraseLinks(tx, workspaceId, ids);
      return store.deleteMany(tx, workspaceId, ids);
    },
    // Identity resolution creates, fills and merges customers in bulk, inside its transaction.
    /** Customers by id, share-locked on PostgreSQL until the caller commits. */
    lockMany: (tx: Tx, workspaceId: string, ids: string[]) => store.lockMany(tx, workspaceId, ids),
    async insertMany(tx: Tx, rows: CustomerRow[]) {
      await store.insertMany(tx, rows);
      const ws = rows[0]?.workspace_id;
      if (ws)
        await events.emit(
          tx,
          ws,
          rows.map((r) => ({ type: 'customer.created' as const, data: { customer: stateOf(r), source: 'ingest' as const } })),
        );
    },
    /** Sets profiles; `changed` names what moved per customer, for the customer.updated events. */
    async updateProfiles(tx: Tx, workspaceId: string, rows: ProfileColumns[], now: string) {
      await store.updateProfiles(tx, workspaceId, rows, now);
      if (rows.length > 0)
        await events.emit(
          tx,
          workspaceId,
          rows.map((r) => ({ type: 'customer.updated' as const, data: { customer: stateOf(r), changed: ['profile'] } })),
        );
    },
    /** Records merges and deletions as domain events (the workflows call these in their transaction). */
    announceMerges: (tx: Tx, workspaceId: string, pairs: Move[], reason: string) =>
      pairs.length === 0
        ? Promise.resolve()
        : events.emit(
            tx,
            workspaceId,
            pairs.map((p) => ({ type: 'customer.merged' as const, data: { survivorId: p.to, mergedId: p.from, reason } })),
          ),
    announceDeleted: (tx: Tx, workspaceId: string, customerId: string, mergedIds: string[]) =>
      events.emit(tx, workspaceId, [{ type: 'customer.deleted', data: { customerId, mergedIds } }]),
    /** This module's part of merging customers (workflows/merge-customers.ts). */
    mergeStatements: (workspaceId: string, pairs: Move[], reason: string, now: string) => store.mergeStatements(workspaceId, pairs, reason, now),
    async create(auth: AuthContext, input: CustomerInput): Promise<Customer> {
      requirePermission(auth, 'customers.write');
      return transactions.run(async (tx) => {
        if (input.email && (await identities.ownerOf(tx, auth.workspaceId, 'email', input.email))) {
          throw conflict(`A customer with the email ${input.email} already exists`);
        }
        return toCustomer(await insertCustomer(tx, auth.workspaceId, input));
      });
    },

    /** The customer with this email, if any (no access check: callers decide what to reveal). */
    async findByEmail(tx: Tx | typeof autocommit, workspaceId: string, email: string): Promise<CustomerRow | undefined> {
      const existing = await identities.ownerOf(tx, workspaceId, 'email', email);
      return existing ? resolve(tx, workspaceId, existing) : undefined;
    },

    /** The customer with this email, created if nobody has it yet (inside the caller's transaction). */
    async findOrCreateByEmail(tx: Tx, workspaceId: string, email: string, name?: string): Promise<CustomerRow> {
      const existing = await identities.ownerOf(tx, workspaceId, 'email', email);
      if (existing) {
        const row = await resolve(tx, workspaceId, existing);
        if (row) {
          if (name && !row.name) {
            await store.update(tx, workspaceId, row.id, { name, updated_at: clock.nowIso() });
            await events.emit(tx, workspaceId, [{ type: 'customer.updated', data: { customer: stateOf({ ...row, name }), changed: ['name'] } }]);
          }
          return name && !row.name ? { ...row, name } : row;
        }
      }
      return insertCustomer(tx, workspaceId, { email, name });
    },

    /**
     * The customer who owns an identity a channel proved (a sender's email, a phone number, a
     * verified user id, a widget visitor id), created with that identity if nobody has it. The
     * profile fills only what the customer lacks, never overwrites: an inbound message is not an
     * edit. An email or phone in the profile is linked only when nobody owns it yet.
     */
    async findOrCreateByIdentity(
      tx: Tx,
      workspaceId: string,
      identity: { kind: string; value: string },
      profile: { name?: string | undefined; email?: string | undefined; phone?: string | undefined } = {},
    ): Promise<CustomerRow> {
      const now = clock.nowIso();
      const owner = await identities.ownerOf(tx, workspaceId, identity.kind, identity.value);
      const existing = owner ? await resolve(tx, workspaceId, owner) : undefined;
      const free = async (kind: 'email' | 'phone', value: string | undefined) =>
        value !== undefined && !(await identities.ownerOf(tx, workspaceId, kind, value)) ? value : undefined;
      if (existing) {
        const patch: Partial<CustomerRow> = {};
        if (profile.name && !existing.name) patch.name = profile.name;
        const email = existing.email ? undefined : await free('email', profile.email);
        const phone = existing.phone ? undefined : await free('phone', profile.phone);
        if (email) patch.email = email;
        if (phone) patch.phone = phone;
        const changed = Object.keys(patch);
        if (changed.length === 0) return existing;
        const after = { ...existing, ...patch, updated_at: now };
        await store.update(tx, workspaceId, existing.id, { ...patch, updated_at: now });
        if (email) await identities.link(tx, workspaceId, existing.id, 'email', email, now);
        if (phone) await identities.link(tx, workspaceId, existing.id, 'phone', phone, now);
        await events.emit(tx, workspaceId, [{ type: 'customer.updated', data: { customer: stateOf(after), changed } }]);
        return after;
      }
      const email = identity.kind === 'email' ? identity.value : await free('email', profile.email);
      const phone = identity.kind === 'phone' ? identity.value : await free('phone', profile.phone);
      const row = await insertCustomer(tx, workspaceId, { name: profile.name, email, phone });
      if (identity.kind !== 'email' && identity.kind !== 'phone') await identities.link(tx, workspaceId, row.id, identity.kind, identity.value, now);
      return row;
    },

    async get(auth: AuthContext, id: string): Promise<Customer> {
      requirePermission(auth, 'customers.read');
      const row = await resolve(autocommit, auth.workspaceId, id);
      if (!row) throw notFound('Customer');
      return toCustomer(row);
    },

    async getRow(tx: Tx | typeof autocommit, workspaceId: string, id: string) {
      return resolve(tx, workspaceId, id);
    },

    /** Customer ids whose feeling has this label, as a subquery (the inbox's feeling filter). */
    idsByFeeling: (workspaceId: string, label: SentimentLabel) => store.idsByFeeling(workspaceId, label),
    /** The feeling score of a conversation's customer as an SQL expression (the inbox's sort by feeling). */
    feelingOfConversationCustomer: () => store.feelingOfConversationCustomer(),

    /**
     * One more scored message in the customer's feeling: an exponentially time-decayed average
     * (half-life FEELING_HALF_LIFE_DAYS), kept as a decayed sum and weight at the latest message's
     * time. A merged customer's messages count for the survivor.
     */
    pageRows: (ex: Tx | Executor, workspaceId: string, afterId: string | null, limit: number) => store.pageRows(ex, workspaceId, afterId, limit),
    /** An automation sets one trait (a rule's action), in the caller's transaction, announced like an agent's edit. */
    async setTrait(tx: Tx, workspaceId: string, customerId: string, key: string, value: unknown): Promise<boolean> {
      const row = await resolve(tx, workspaceId, customerId);
      if (!row) return false;
      const traits = parseJsonObject(row.traits);
      if (traits[key] === value) return true;
      const next: Partial<CustomerRow> = { updated_at: clock.nowIso(), traits: JSON.stringify({ ...traits, [key]: value }) };
      await store.update(tx, workspaceId, row.id, next);
      await events.emit(tx, workspaceId, [{ type: 'customer.updated', data: { customer: stateOf({ ...row, ...next }), changed: ['traits'] } }]);
      return true;
    },
    async recordFeeling(tx: Tx, workspaceId: string, customerId: string, score: number, at: string): Promise<Customer['feeling']> {
      const row = await resolve(tx, workspaceId, customerId);
      if (!row) return null;
      const next = nextFeeling(row, score, at);
      await store.update(tx, workspaceId, row.id, next);
      return { score: Math.round((next.feeling_score ?? 0) * 10_000) / 10_000, label: next.feeling_label as SentimentLabel, updatedAt: next.feeling_at ?? at };
    },

    async getMany(workspaceId: string, ids: string[]): Promise<Map<string, Customer>> {
      const rows = await store.getMany(workspaceId, [...new Set(ids)]);
      return new Map(rows.map((r) => [r.id, toCustomer(r)]));
    },

    async update(
      auth: AuthContext,
      id: string,
      patch: {
        name?: string | null | undefined;
        email?: string | null | undefined;
        phone?: string | null | undefined;
        traits?: Record<string, unknown> | undefined;
      },
    ): Promise<Customer> {
      requirePermission(auth, 'customers.write');
      return transactions.run(async (tx) => {
        const row = await resolve(tx, auth.workspaceId, id);
        if (!row) throw notFound('Customer');
        const now = clock.nowIso();
        const next: Partial<CustomerRow> = { updated_at: now };
        if (patch.name !== undefined) next.name = patch.name;
        if (patch.traits !== undefined) next.traits = JSON.stringify({ ...parseJsonObject(row.traits), ...patch.traits });
        for (const kind of ['email', 'phone'] as const) {
          const value = patch[kind];
          if (value === undefined || value === row[kind]) continue;
          if (value) {
            const owner = await identities.ownerOf(tx, auth.workspaceId, kind, value);
            if (owner && owner !== row.id) throw conflict(`Another customer already has this ${kind}`);
          }
          if (row[kind]) await identities.unlink(tx, auth.workspaceId, kind, row[kind]);
          if (value) await identities.link(tx, auth.workspaceId, row.id, kind, value, now);
          next[kind] = value;
        }
        await store.update(tx, auth.workspaceId, row.id, next);
        const changed = (['name', 'email', 'phone', 'traits'] as const).filter((k) => next[k] !== undefined && next[k] !== row[k]);
        if (changed.length > 0)
          await events.emit(tx, auth.workspaceId, [{ type: 'customer.updated', data: { customer: stateOf({ ...row, ...next }), changed: [...changed] } }]);
        return toCustomer({ ...row, ...next });
      });
    },

    /** Customers whose name, email or phone contains `q`, as ids (the inbox search adds their conversations). */
    idsMatching: (workspaceId: string, q: string, limit: number) => store.idsMatching(workspaceId, q, limit),
    async list(auth: AuthContext, q: { q?: string | undefined; limit: number; cursor?: string | undefined }): Promise<Page<Customer>> {
      requirePermission(auth, 'customers.read');
      const after = decodeCursor(q.cursor, 2);
      const rows = await store.list(auth.workspaceId, { q: q.q, limit: q.limit, after: after ? [String(after[0]), String(after[1])] : null });
      return toPage(rows, q.limit, (r) => [r.updated_at, r.id], toCustomer);
    },
  };
}
export type CustomersService = ReturnType<typeof createCustomersService>;
