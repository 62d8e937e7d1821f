// The service desk's rules: conversations, messages, statuses, assignment and merge.
import type { Conversation, ConversationQuery, CreateConversation, CustomFieldDef, Message, Page, Status } from '@rapport/contracts';
import type { ZCreateConversation, ZCreateMessage, ZUpdateConversation } from '@rapport/contracts';
import type { z } from 'zod';
import type { Executor, Transactions } from '../../platform/db/transactions.js';
import { can, conversationScope, isInScope, requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Tx } from '../../platform/db/database.js';
import type { ConversationRow, CustomFieldRow, MessageRow } from '../../platform/db/schema.js';
import { AppError, conflict, forbidden, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs.js';
import { parseJsonObject, parseJsonStringArray } from '../../platform/json.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import type { ConversationsStore } from './conversations.store.js';

export type ConversationsDeps = {
  store: ConversationsStore;
  transactions: Transactions;
  clock: Clock;
  jobs: Jobs;
  bus: Bus;
  audit: Audit;
  customers: CustomersService;
  workspaces: WorkspacesService;
  interactions: InteractionsService;
};

type CreateInput = z.output<typeof ZCreateConversation>;
type UpdateInput = z.output<typeof ZUpdateConversation>;
type MessageInput = z.output<typeof ZCreateMessage>;

export const AUTO_ASSIGN_JOB = 'conversation.auto_assign';
export const UNSNOOZE_JOB = 'conversation.unsnooze';

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 1000);
const preview = (body: string) => body.replace(/\s+/g, ' ').trim().slice(0, 140);

export function toMessage(r: MessageRow, authorName?: string | null): Message {
  return {
    id: r.id,
    conversationId: r.conversation_id,
    kind: r.kind === 'note' ? 'note' : 'reply',
    author: { type: r.author_type as Message['author']['type'], id: r.author_id, name: authorName ?? null },
    body: r.body,
    createdAt: r.created_at,
  };
}

export function validateCustomFields(defs: CustomFieldRow[], values: Record<string, string | number | null>): Record<string, string | number | null> {
  const errors: Array<{ path: string; message: string }> = [];
  const out: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(values)) {
    const def = defs.find((d) => d.key === key);
    const path = `customFields.${key}`;
    if (!def) {
      errors.push({ path, message: 'no custom field has this key' });
      continue;
    }
    if (value === null) out[key] = null;
    else if (def.type === 'number' && typeof value !== 'number') errors.push({ path, message: 'must be a number' });
    else if (def.type === 'text' && typeof value !== 'string') errors.push({ path, message: 'must be text' });
    else if (def.type === 'date' && (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))))
      errors.push({ path, message: 'must be a date (YYYY-MM-DD)' });
    else if (def.type === 'select' && (typeof value !== 'string' || !parseJsonStringArray(def.options).includes(value)))
      errors.push({ path, message: `must be one of ${parseJsonStringArray(def.options).join(', ')}` });
    else out[key] = value;
  }
  if (errors.length > 0) throw invalid('Some custom fields are not valid', errors);
  return out;
}

export function createConversationsService(deps: ConversationsDeps) {
  const { store, clock, jobs, bus, audit, customers, workspaces, interactions } = deps;
  const { autocommit } = deps.transactions;
  const transactions = deps.transactions;

  async function toConversations(workspaceId: string, rows: ConversationRow[]): Promise<Conversation[]> {
    const byId = await customers.getMany(
      workspaceId,
      rows.map((r) => r.customer_id),
    );
    return rows.map((r) => {
      const customer = byId.get(r.customer_id) ?? {
        id: r.customer_id,
        name: null,
        email: null,
        phone: null,
        traits: {},
        createdAt: r.created_at,
        updatedAt: r.created_at,
      };
      return {
        id: r.id,
        number: Number(r.number),
        customer,
        channel: r.channel as Conversation['channel'],
        subject: r.subject,
        category: r.category as Conversation['category'],
        status: r.status as Status,
        snoozedUntil: r.snoozed_until,
        priority: r.priority as Conversation['priority'],
        assigneeId: r.assignee_id,
        teamId: r.team_id,
        tags: parseJsonStringArray(r.tags),
        customFields: parseJsonObject(r.custom_fields) as Conversation['customFields'],
        origin: r.origin as Conversation['origin'],
        touchpointId: r.touchpoint_id,
        mergedIntoId: r.merged_into_id,
        messageCount: Number(r.message_count),
        lastMessagePreview: r.last_message_preview,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        lastActivityAt: r.last_activity_at,
        firstResponseAt: r.first_response_at,
        resolvedAt: r.resolved_at,
        firstResponseSeconds: r.first_response_seconds === null ? null : Number(r.first_response_seconds),
        resolutionSeconds: r.resolution_seconds === null ? null : Number(r.resolution_seconds),
      };
    });
  }

  async function toConversation(row: ConversationRow): Promise<Conversation> {
    const [c] = await toConversations(row.workspace_id, [row]);
    if (!c) throw notFound('Conversation');
    return c;
  }

  /** Loads a conversation the caller may see; anything else (other workspace, other team) is not found. */
  async function requireVisible(auth: AuthContext, id: string, tx: Tx | Executor = autocommit): Promise<ConversationRow> {
    requirePermission(auth, 'conversations.read');
    const row = await store.get(tx, auth.workspaceId, id);
    if (!row || !isInScope(conversationScope(auth), row.team_id)) throw notFound('Conversation');
    return row;
  }

  /**
   * A caller who may not read customers (a partner) may only open conversations for customers
   * already in its teams' conversations, or for an address nobody has yet: naming another
   * customer's id or email must not hand back, or attach to, a profile it may not see.
   */
  async function requireReachableCustomer(tx: Tx | typeof autocommit, auth: AuthContext, ref: { id: string } | { email: string }) {
    if (can(auth, 'customers.read')) return;
    const existing = 'id' in ref ? await customers.getRow(tx, auth.workspaceId, ref.id) : await customers.findByEmail(tx, auth.workspaceId, ref.email);
    if (!existing) return;
    const scope = conversationScope(auth);
    const teamIds = scope.kind === 'teams' ? scope.teamIds : [];
    if (scope.kind === 'all' || (await store.customerHasConversationInTeams(tx, auth.workspaceId, existing.id, teamIds))) return;
    throw new AppError(
      'NOT_FOUND',
      "Customer not found among your teams' conversations: reference a customer of your teams, or ask an agent to open this conversation",
    );
  }

  async function checkTeam(auth: AuthContext, teamId: string | null | undefined) {
    if (!teamId) {
      if (conversationScope(auth).kind === 'teams') throw forbidden('A partner works only on conversations of its own teams; set teamId');
      return;
    }
    await workspaces.requireTeam(auth.workspaceId, teamId);
    if (!isInScope(conversationScope(auth), teamId)) throw forbidden('A partner works only on conversations of its own teams');
  }

  function announce(type: string, row: Pick<ConversationRow, 'workspace_id' | 'id' | 'team_id'>, data: unknown, internal = false) {
    bus.publish({ workspaceId: row.workspace_id, type, conversation: { id: row.id, teamId: row.team_id }, internal, data });
  }

  async function enqueueAutoAssign(tx: Tx, row: Pick<ConversationRow, 'workspace_id' | 'id' | 'team_id' | 'assignee_id'>, reason: string) {
    if (!row.team_id || row.assignee_id) return;
    if (!(await workspaces.teamAutoAssigns(tx, row.workspace_id, row.team_id))) return;
    await jobs.enqueue(tx, {
      workspaceId: row.workspace_id,
      type: AUTO_ASSIGN_JOB,
      payload: { conversationId: row.id },
      idempotencyKey: `${AUTO_ASSIGN_JOB}:${row.id}:${row.team_id}:${reason}`,
    });
  }

  /** Status change rules: timestamps, resolution time, the interaction it causes. */
  async function applyStatus(
    tx: Tx,
    row: ConversationRow,
    status: Status,
    snoozedUntil: string | null | undefined,
    now: string,
  ): Promise<Partial<ConversationRow>> {
    const patch: Partial<ConversationRow> = { status };
    if (status === 'snoozed') {
      if (!snoozedUntil) throw invalid('A snoozed conversation needs snoozedUntil', [{ path: 'snoozedUntil', message: 'required when status is snoozed' }]);
      if (Date.parse(snoozedUntil) <= clock.nowMs()) throw invalid('snoozedUntil must be in the future', [{ path: 'snoozedUntil', message: 'in the past' }]);
      patch.snoozed_until = new Date(snoozedUntil).toISOString();
      await jobs.enqueue(tx, {
        workspaceId: row.workspace_id,
        type: UNSNOOZE_JOB,
        payload: { conversationId: row.id, until: patch.snoozed_until },
        idempotencyKey: `${UNSNOOZE_JOB}:${row.id}:${patch.snoozed_until}`,
        runAt: patch.snoozed_until,
      });
    } else {
      patch.snoozed_until = null;
    }
    if ((status === 'resolved' || status === 'closed') && row.status !== 'resolved' && row.status !== 'closed') {
      patch.resolved_at = now;
      patch.resolution_seconds = seconds(row.created_at, now);
      await interactions.append(tx, [
        {
          workspaceId: row.workspace_id,
          customerId: row.customer_id,
          kind: 'conversation',
          name: 'Conversation Resolved',
          channel: row.channel,
          origin: 'company',
          sourceId: `${row.id}:resolved:${now}`,
          conversationId: row.id,
          touchpointId: row.touchpoint_id,
          properties: { number: row.number, status },
        },
      ]);
    }
    if (status === 'open' && (row.status === 'resolved' || row.status === 'closed')) patch.resolved_at = null;
    return patch;
  }

  async function insertMessage(
    tx: Tx,
    row: ConversationRow,
    input: { body: string; kind: 'reply' | 'note'; authorType: MessageRow['author_type']; authorId: string | null },
  ) {
    const now = clock.nowIso();
    const msg: MessageRow = {
      workspace_id: row.workspace_id,
      id: newId('message'),
      conversation_id: row.id,
      kind: input.kind,
      author_type: input.authorType,
      author_id: input.authorId,
      body: input.body,
      created_at: now,
    };
    await store.insertMessage(tx, msg);
    const patch: Partial<ConversationRow> = { updated_at: now, message_count: Number(row.message_count) + 1 };
    if (input.kind === 'reply') {
      patch.last_activity_at = now;
      patch.last_message_preview = preview(input.body);
      const isCustomer = input.authorType === 'customer';
      if (isCustomer && ['resolved', 'pending', 'snoozed'].includes(row.status)) {
        Object.assign(patch, await applyStatus(tx, row, 'open', null, now));
      }
      if (input.authorType === 'agent' && !row.first_response_at) {
        patch.first_response_at = now;
        patch.first_response_seconds = seconds(row.created_at, now);
      }
      if (isCustomer || input.authorType === 'agent' || input.authorType === 'bot') {
        await interactions.append(tx, [
          {
            workspaceId: row.workspace_id,
            customerId: row.customer_id,
            kind: 'message',
            name: isCustomer ? 'Message Received' : 'Message Sent',
            channel: row.channel,
            origin: isCustomer ? 'customer' : 'company',
            sourceId: msg.id,
            conversationId: row.id,
            touchpointId: row.touchpoint_id,
            properties: { messageId: msg.id, preview: preview(input.body) },
          },
        ]);
      }
    }
    await store.update(tx, row.workspace_id, row.id, patch);
    return { msg, row: { ...row, ...patch } };
  }

  async function assignNext(workspaceId: string, conversationId: string): Promise<string | null> {
    const row = await store.get(autocommit, workspaceId, conversationId);
    if (!row || row.assignee_id || !row.team_id || row.merged_into_id || !['open', 'pending'].includes(row.status)) return null;
    for (const agent of await store.eligibleAgents(workspaceId, row.team_id)) {
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, workspaceId, row.id, agent.user_id, now))) return false;
        await store.markAssigned(tx, workspaceId, agent.user_id, now);
        await audit.record(
          tx,
          { workspaceId, userId: null, ip: null },
          {
            action: 'conversation.assigned',
            objectType: 'conversation',
            objectId: row.id,
            data: { assigneeId: agent.user_id, by: 'round_robin', teamId: row.team_id },
          },
        );
        return true;
      });
      if (won) {
        announce('conversation.assigned', row, { id: row.id, assigneeId: agent.user_id, teamId: row.team_id });
        return agent.user_id;
      }
      return null; // someone else took it in the meantime
    }
    return null;
  }

  jobs.register(AUTO_ASSIGN_JOB, async (job) => {
    const { conversationId } = job.payload as { conversationId: string };
    await assignNext(job.workspaceId, conversationId);
  });
  jobs.register(UNSNOOZE_JOB, async (job) => {
    const { conversationId, until } = job.payload as { conversationId: string; until: string };
    const row = await store.get(autocommit, job.workspaceId, conversationId);
    if (!row || row.status !== 'snoozed' || row.snoozed_until !== until) return;
    const now = clock.nowIso();
    await store.update(autocommit, job.workspaceId, row.id, { status: 'open', snoozed_until: null, updated_at: now, last_activity_at: now });
    announce('conversation.updated', row, { id: row.id, status: 'open' });
  });

  return {
    toConversation,
    requireVisible,

    async create(auth: AuthContext, input: CreateInput): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      await checkTeam(auth, input.teamId);
      if (input.assigneeId) await workspaces.requireActiveMember(auth.workspaceId, input.assigneeId);
      const defs = input.customFields ? await store.listCustomFields(auth.workspaceId) : [];
      const customFields = input.customFields ? validateCustomFields(defs, input.customFields) : {};
      const tags = [...new Set(input.tags ?? [])];
      const now = clock.nowIso();
      if ('id' in input.customer && !(await customers.getRow(autocommit, auth.workspaceId, input.customer.id))) throw notFound('Customer');
      await requireReachableCustomer(autocommit, auth, input.customer);
      // The number is taken in its own statement: inside the transaction, the workspace row lock
      // would serialise every conversation created in the workspace until commit. A transaction
      // that fails after this leaves a gap in the numbering, as ticket systems commonly do.
      const number = await store.nextNumber(autocommit, auth.workspaceId);
      const row = await transactions.run(async (tx) => {
        await requireReachableCustomer(tx, auth, input.customer);
        const customer =
          'id' in input.customer
            ? await customers.getRow(tx, auth.workspaceId, input.customer.id)
            : await customers.findOrCreateByEmail(tx, auth.workspaceId, input.customer.email, input.customer.name);
        if (!customer) throw notFound('Customer');
        const conv: ConversationRow = {
          workspace_id: auth.workspaceId,
          id: newId('conversation'),
          number,
          customer_id: customer.id,
          channel: input.channel,
          subject: input.subject ?? null,
          category: input.category,
          status: input.status,
          snoozed_until: null,
          priority: input.priority,
          assignee_id: input.assigneeId ?? null,
          team_id: input.teamId ?? null,
          tags: JSON.stringify(tags),
          custom_fields: JSON.stringify(customFields),
          origin: input.origin,
          touchpoint_id: input.touchpointId ?? null,
          merged_into_id: null,
          message_count: 0,
          last_message_preview: null,
          created_at: now,
          updated_at: now,
          last_activity_at: now,
          first_response_at: null,
          resolved_at: null,
          first_response_seconds: null,
          resolution_seconds: null,
        };
        await store.insert(tx, conv);
        await store.setTags(tx, auth.workspaceId, conv.id, tags, true);
        await store.indexSubject(tx, auth.workspaceId, conv.id, conv.subject, false);
        await interactions.append(tx, [
          {
            workspaceId: auth.workspaceId,
            customerId: customer.id,
            kind: 'conversation',
            name: 'Conversation Opened',
            channel: conv.channel,
            origin: input.origin === 'proactive' ? 'company' : 'customer',
            sourceId: `${conv.id}:opened`,
            conversationId: conv.id,
            touchpointId: conv.touchpoint_id,
            properties: { number: conv.number, subject: conv.subject, category: conv.category },
          },
        ]);
        let current = conv;
        if (input.message) {
          const authorType = input.message.author === 'agent' ? 'agent' : 'customer';
          ({ row: current } = await insertMessage(tx, conv, {
            body: input.message.body,
            kind: 'reply',
            authorType,
            authorId: authorType === 'agent' ? auth.userId : customer.id,
          }));
        }
        if (conv.assignee_id)
          await audit.record(tx, auth, {
            action: 'conversation.assigned',
            objectType: 'conversation',
            objectId: conv.id,
            data: { assigneeId: conv.assignee_id, by: 'manual' },
          });
        await enqueueAutoAssign(tx, current, 'created');
        return current;
      });
      jobs.poke();
      const result = await toConversation(row);
      announce('conversation.created', row, result);
      return result;
    },

    async get(auth: AuthContext, id: string): Promise<Conversation> {
      return toConversation(await requireVisible(auth, id));
    },

    async update(auth: AuthContext, id: string, input: UpdateInput): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      const before = await requireVisible(auth, id);
      if (before.merged_into_id) throw conflict(`This conversation was merged into ${before.merged_into_id}`);
      if (input.teamId !== undefined) await checkTeam(auth, input.teamId);
      if (input.assigneeId) await workspaces.requireActiveMember(auth.workspaceId, input.assigneeId);
      const defs = input.customFields ? await store.listCustomFields(auth.workspaceId) : [];
      const now = clock.nowIso();
      const row = await transactions.run(async (tx) => {
        const current = await store.get(tx, auth.workspaceId, id);
        if (!current) throw notFound('Conversation');
        const patch: Partial<ConversationRow> = { updated_at: now };
        if (input.status !== undefined && input.status !== current.status)
          Object.assign(patch, await applyStatus(tx, current, input.status, input.snoozedUntil, now));
        else if (input.status === 'snoozed' && input.snoozedUntil) Object.assign(patch, await applyStatus(tx, current, 'snoozed', input.snoozedUntil, now));
        if (input.priority) patch.priority = input.priority;
        if (input.category) patch.category = input.category;
        if (input.subject !== undefined) {
          patch.subject = input.subject;
          await store.indexSubject(tx, auth.workspaceId, id, input.subject, true);
        }
        if (input.assigneeId !== undefined) patch.assignee_id = input.assigneeId;
        if (input.teamId !== undefined) patch.team_id = input.teamId;
        if (input.touchpointId !== undefined) patch.touchpoint_id = input.touchpointId;
        if (input.customFields)
          patch.custom_fields = JSON.stringify({ ...parseJsonObject(current.custom_fields), ...validateCustomFields(defs, input.customFields) });
        if (input.tags) {
          const tags = [...new Set(input.tags)];
          patch.tags = JSON.stringify(tags);
          await store.setTags(tx, auth.workspaceId, id, tags);
        }
        await store.update(tx, auth.workspaceId, id, patch);
        if (patch.status && patch.status !== current.status)
          await audit.record(tx, auth, {
            action: 'conversation.status_changed',
            objectType: 'conversation',
            objectId: id,
            data: { from: current.status, to: patch.status },
          });
        if (input.assigneeId !== undefined && input.assigneeId !== current.assignee_id)
          await audit.record(tx, auth, {
            action: input.assigneeId ? 'conversation.assigned' : 'conversation.unassigned',
            objectType: 'conversation',
            objectId: id,
            data: { from: current.assignee_id, assigneeId: input.assigneeId, by: 'manual' },
          });
        if (input.teamId !== undefined && input.teamId !== current.team_id)
          await audit.record(tx, auth, {
            action: 'conversation.team_changed',
            objectType: 'conversation',
            objectId: id,
            data: { from: current.team_id, to: input.teamId },
          });
        const next = { ...current, ...patch };
        if (input.teamId && input.teamId !== current.team_id) await enqueueAutoAssign(tx, next, `team:${now}`);
        return next;
      });
      jobs.poke();
      const result = await toConversation(row);
      announce(input.assigneeId !== undefined && input.assigneeId !== before.assignee_id ? 'conversation.assigned' : 'conversation.updated', row, result);
      return result;
    },

    /** Take an unassigned conversation; of two agents claiming at once exactly one wins. */
    async claim(auth: AuthContext, id: string): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      const row = await requireVisible(auth, id);
      if (row.assignee_id === auth.userId) return toConversation(row);
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, auth.workspaceId, id, auth.userId, now))) return false;
        await audit.record(tx, auth, {
          action: 'conversation.assigned',
          objectType: 'conversation',
          objectId: id,
          data: { assigneeId: auth.userId, by: 'claim' },
        });
        return true;
      });
      if (!won) throw conflict('Someone else already took this conversation');
      const result = await toConversation({ ...row, assignee_id: auth.userId, updated_at: now });
      announce('conversation.assigned', row, result);
      return result;
    },

    async list(auth: AuthContext, query: ConversationQuery & { limit: number; cursor?: string | undefined }): Promise<Page<Conversation>> {
      requirePermission(auth, 'conversations.read');
      const after = decodeCursor(query.cursor, 2);
      const statuses = query.status?.split(',').filter(Boolean);
      const bad = statuses?.filter((s) => !['open', 'pending', 'snoozed', 'resolved', 'closed'].includes(s));
      if (bad && bad.length > 0) throw invalid(`Unknown status ${bad.join(', ')}`, [{ path: 'querystring.status', message: 'unknown status' }]);
      const rows = await store.list(
        auth.workspaceId,
        conversationScope(auth),
        {
          ...(statuses ? { statuses } : {}),
          ...(query.assignee === undefined ? {} : { assigneeId: query.assignee === 'none' ? null : query.assignee === 'me' ? auth.userId : query.assignee }),
          ...(query.teamId ? { teamId: query.teamId } : {}),
          ...(query.tag ? { tag: query.tag } : {}),
          ...(query.channel ? { channel: query.channel } : {}),
          ...(query.category ? { category: query.category } : {}),
          ...(query.priority ? { priority: query.priority } : {}),
          ...(query.customerId ? { customerId: query.customerId } : {}),
          ...(query.updatedSince ? { updatedSince: new Date(query.updatedSince).toISOString() } : {}),
          ...(query.q ? { q: query.q } : {}),
        },
        { after: after ? [String(after[0]), String(after[1])] : null, limit: query.limit },
      );
      const pageRows = toPage(
        rows,
        query.limit,
        (r) => [r.last_activity_at, r.id],
        (r) => r,
      );
      return { data: await toConversations(auth.workspaceId, pageRows.data), nextCursor: pageRows.nextCursor };
    },

    async addMessage(auth: AuthContext, id: string, input: MessageInput): Promise<Message> {
      requirePermission(auth, 'conversations.write');
      const row = await requireVisible(auth, id);
      if (row.merged_into_id) throw conflict(`This conversation was merged into ${row.merged_into_id}; write there`);
      const { msg, row: after } = await transactions.run(async (tx) => {
        const current = await store.get(tx, auth.workspaceId, id);
        if (!current) throw notFound('Conversation');
        const authorType = input.kind === 'note' ? 'agent' : input.author;
        return insertMessage(tx, current, {
          body: input.body,
          kind: input.kind,
          authorType,
          authorId: authorType === 'agent' ? auth.userId : current.customer_id,
        });
      });
      const message = toMessage(msg, msg.author_type === 'agent' ? auth.userName : null);
      announce('message.created', after, message, message.kind === 'note');
      if (after.status !== row.status) announce('conversation.updated', after, { id: after.id, status: after.status });
      return message;
    },

    async getMessage(auth: AuthContext, messageId: string): Promise<Message> {
      requirePermission(auth, 'conversations.read');
      const msg = await store.getMessage(auth.workspaceId, messageId);
      if (!msg) throw notFound('Message');
      await requireVisible(auth, msg.conversation_id).catch(() => {
        throw notFound('Message');
      });
      return toMessage(msg);
    },

    async listMessages(auth: AuthContext, id: string, q: { limit: number; cursor?: string | undefined }): Promise<Page<Message>> {
      const row = await requireVisible(auth, id);
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listMessages(auth.workspaceId, row.id, { after: after ? String(after[0]) : null, limit: q.limit, includeNotes: true });
      const names = await workspaces.memberNames(auth.workspaceId);
      const customer = await customers.getRow(autocommit, auth.workspaceId, row.customer_id);
      const nameOf = (r: MessageRow) =>
        r.author_type === 'agent' ? (names.get(r.author_id ?? '') ?? null) : r.author_type === 'customer' ? (customer?.name ?? customer?.email ?? null) : null;
      return toPage(
        rows,
        q.limit,
        (r) => [r.id],
        (r) => toMessage(r, nameOf(r)),
      );
    },

    /** Merges `otherId` into `survivorId`: messages, notes, tags and interactions move. */
    async merge(auth: AuthContext, survivorId: string, otherId: string): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      if (survivorId === otherId) throw invalid('A conversation cannot be merged into itself');
      const survivor = await requireVisible(auth, survivorId);
      const other = await requireVisible(auth, otherId);
      if (survivor.customer_id !== other.customer_id) throw new AppError('UNPROCESSABLE', 'Only conversations of the same customer can be merged');
      if (survivor.merged_into_id || other.merged_into_id) throw conflict('One of these conversations was already merged');
      const now = clock.nowIso();
      const row = await transactions.run(async (tx) => {
        await store.moveMessages(tx, auth.workspaceId, other.id, survivor.id);
        await interactions.moveConversation(tx, auth.workspaceId, other.id, survivor.id);
        const tags = [...new Set([...parseJsonStringArray(survivor.tags), ...parseJsonStringArray(other.tags)])];
        await store.setTags(tx, auth.workspaceId, survivor.id, tags);
        await store.setTags(tx, auth.workspaceId, other.id, []);
        const patch: Partial<ConversationRow> = {
          tags: JSON.stringify(tags),
          message_count: Number(survivor.message_count) + Number(other.message_count),
          last_activity_at: survivor.last_activity_at > other.last_activity_at ? survivor.last_activity_at : other.last_activity_at,
          last_message_preview: survivor.last_activity_at >= other.last_activity_at ? survivor.last_message_preview : other.last_message_preview,
          updated_at: now,
        };
        await store.update(tx, auth.workspaceId, survivor.id, patch);
        await store.update(tx, auth.workspaceId, other.id, { merged_into_id: survivor.id, status: 'closed', message_count: 0, updated_at: now });
        const merged = { ...survivor, ...patch };
        const { row: withNote } = await insertMessage(tx, merged, {
          body: `Conversation #${other.number} was merged into this one by ${auth.userName}.`,
          kind: 'note',
          authorType: 'system',
          authorId: null,
        });
        await audit.record(tx, auth, {
          action: 'conversation.merged',
          objectType: 'conversation',
          objectId: survivor.id,
          data: { mergedId: other.id, mergedNumber: other.number },
        });
        return withNote;
      });
      const result = await toConversation(row);
      announce('conversation.updated', row, result);
      announce('conversation.merged', other, { id: other.id, mergedIntoId: survivor.id });
      return result;
    },

    async bulk(auth: AuthContext, ids: string[], update: UpdateInput & { addTags?: string[] | undefined }) {
      requirePermission(auth, 'conversations.write');
      const results: Array<{ id: string; ok: boolean; error?: string }> = [];
      for (const id of [...new Set(ids)]) {
        try {
          const { addTags, ...rest } = update;
          let patch: UpdateInput = rest;
          if (addTags && addTags.length > 0) {
            const current = await requireVisible(auth, id);
            patch = { ...rest, tags: [...new Set([...parseJsonStringArray(current.tags), ...addTags])] };
          }
          await this.update(auth, id, patch);
          results.push({ id, ok: true });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results.push({ id, ok: false, error: err.message });
        }
      }
      return { results };
    },

    /** Runs round-robin now (the job does this after commit); returns the chosen agent. */
    assignNext,

    async listCustomFields(auth: AuthContext) {
      requirePermission(auth, 'settings.read');
      return (await store.listCustomFields(auth.workspaceId)).map(toCustomField);
    },
    async createCustomField(auth: AuthContext, input: { key: string; label: string; type: CustomFieldDef['type']; options?: string[] | undefined }) {
      requirePermission(auth, 'settings.manage');
      if (input.type === 'select' && (!input.options || input.options.length === 0))
        throw invalid('A select field needs options', [{ path: 'options', message: 'required for select' }]);
      const existing = await store.listCustomFields(auth.workspaceId);
      if (existing.some((d) => d.key === input.key)) throw conflict(`A custom field with the key ${input.key} exists`);
      const row: CustomFieldRow = {
        workspace_id: auth.workspaceId,
        id: newId('customField'),
        key: input.key,
        label: input.label,
        type: input.type,
        options: JSON.stringify(input.options ?? []),
        created_at: clock.nowIso(),
      };
      await store.insertCustomField(row);
      await audit.record(autocommit, auth, {
        action: 'settings.custom_field_created',
        objectType: 'custom_field',
        objectId: row.id,
        data: { key: row.key, type: row.type },
      });
      return toCustomField(row);
    },
    async deleteCustomField(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      if (!(await store.getCustomField(auth.workspaceId, id))) throw notFound('Custom field');
      await store.deleteCustomField(auth.workspaceId, id);
      await audit.record(autocommit, auth, { action: 'settings.custom_field_deleted', objectType: 'custom_field', objectId: id });
    },
  };
}

export const toCustomField = (r: CustomFieldRow): CustomFieldDef => ({
  id: r.id,
  key: r.key,
  label: r.label,
  type: r.type as CustomFieldDef['type'],
  options: parseJsonStringArray(r.options),
  createdAt: r.created_at,
});

export type ConversationsService = ReturnType<typeof createConversationsService>;
export type { CreateConversation };
