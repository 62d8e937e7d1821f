// Canned responses and their placeholders ({{customer.name}}, {{agent.name}}, …).
import type { CannedResponse } from '@rapport/contracts';
import type { Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { CannedResponseRow } from '../../platform/db/schema.js';
import { notFound, conflict } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { ConversationsService } from './conversations.service.js';
import type { ConversationsStore } from './conversations.store.js';

const toCanned = (r: CannedResponseRow): CannedResponse => ({ id: r.id, shortcut: r.shortcut, title: r.title, body: r.body, createdAt: r.created_at });

/** Replaces {{scope.field}}; unknown placeholders are left as written so the agent sees them. */
export function renderPlaceholders(body: string, values: Record<string, string | number | null | undefined>): string {
  return body.replace(/\{\{\s*([a-z]+\.[a-zA-Z_]+)\s*\}\}/g, (whole, key: string) => {
    const v = values[key];
    return v === undefined ? whole : v === null ? '' : String(v);
  });
}

export function createCannedService(deps: {
  transactions: Transactions;
  store: ConversationsStore;
  clock: Clock;
  audit: Audit;
  conversations: ConversationsService;
  customers: CustomersService;
}) {
  const { store, clock, audit } = deps;
  async function requireCanned(workspaceId: string, id: string) {
    const row = await store.getCanned(workspaceId, id);
    if (!row) throw notFound('Canned response');
    return row;
  }
  return {
    async list(auth: AuthContext) {
      requirePermission(auth, 'conversations.read');
      return { data: (await store.listCanned(auth.workspaceId)).map(toCanned), nextCursor: null };
    },
    async create(auth: AuthContext, input: { shortcut: string; title: string; body: string }) {
      requirePermission(auth, 'settings.manage');
      if (await store.getCannedByShortcut(auth.workspaceId, input.shortcut)) throw conflict(`The shortcut /${input.shortcut} is taken`);
      const now = clock.nowIso();
      const row: CannedResponseRow = { workspace_id: auth.workspaceId, id: newId('canned'), ...input, created_at: now, updated_at: now };
      await store.insertCanned(row);
      await audit.record(deps.transactions.autocommit, auth, {
        action: 'settings.canned_created',
        objectType: 'canned_response',
        objectId: row.id,
        data: { shortcut: row.shortcut },
      });
      return toCanned(row);
    },
    async update(auth: AuthContext, id: string, patch: { shortcut?: string | undefined; title?: string | undefined; body?: string | undefined }) {
      requirePermission(auth, 'settings.manage');
      const row = await requireCanned(auth.workspaceId, id);
      if (patch.shortcut && patch.shortcut !== row.shortcut && (await store.getCannedByShortcut(auth.workspaceId, patch.shortcut)))
        throw conflict(`The shortcut /${patch.shortcut} is taken`);
      const next = { ...row, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)), updated_at: clock.nowIso() };
      await store.updateCanned(auth.workspaceId, id, next);
      return toCanned(next);
    },
    async remove(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      await requireCanned(auth.workspaceId, id);
      await store.deleteCanned(auth.workspaceId, id);
    },
    async render(auth: AuthContext, id: string, conversationId: string) {
      requirePermission(auth, 'conversations.read');
      const canned = await requireCanned(auth.workspaceId, id);
      const conv = await deps.conversations.get(auth, conversationId);
      const firstName = conv.customer.name?.split(/\s+/)[0] ?? null;
      return {
        body: renderPlaceholders(canned.body, {
          'customer.name': conv.customer.name,
          'customer.first_name': firstName,
          'customer.email': conv.customer.email,
          'agent.name': auth.userName,
          'agent.first_name': auth.userName.split(/\s+/)[0],
          'conversation.number': conv.number,
          'conversation.subject': conv.subject,
        }),
      };
    },
  };
}
export type CannedService = ReturnType<typeof createCannedService>;
