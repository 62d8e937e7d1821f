// The service desk's rules: conversations, statuses and merge; messages, assignment and custom
// fields live beside it and are put together here, in dependency order.
import type { Conversation, ConversationQuery, CreateConversation, Page } from '@rapport/contracts';
import { conversationScope, requirePermission, type AuthContext } from '../../platform/access.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { ConversationRow } from '../../platform/db/schema.js';
import { AppError, notFound, invalid, conflict, unprocessable } from '../../platform/errors.js';
import { parseJsonObject, parseJsonStringArray } from '../../platform/json.js';
import { createAssignmentService } from './assignment.service.js';
import { createConversationsCore, type CreateInput, type UpdateInput } from './conversations.core.js';
import type { ConversationsDeps } from './conversations.deps.js';
import type { Tx } from '../../platform/db/database.js';
import type { Executor } from '../../platform/db/transactions.js';
import { createCustomFieldsService, validateCustomFields } from './custom-fields.service.js';
import { createMessagesService } from './messages.service.js';
import { createChannelMessages } from './channel-messages.service.js';
import { createSystemActions } from './system-actions.service.js';
import { newConversationRow, openedInteraction } from './conversation-rows.js';
import { isTimeZone, snoozeUntil } from './snooze.js';

export type { ConversationsDeps } from './conversations.deps.js';
export { AUTO_ASSIGN_JOB, UNSNOOZE_JOB } from './conversations.core.js';
export { toCustomField, validateCustomFields } from './custom-fields.service.js';
export { toMessage } from './messages.mappers.js';

/** A search adds the conversations of at most this many matching customers. */
const MAX_CUSTOMER_HITS = 50;

/** The conversation number a search names: "30", "#30", or a prefixed form such as "F-30". */
export function numberIn(q: string): number | undefined {
  const m = /^(?:[a-z]{1,3}-?|#)?(\d{1,9})$/i.exec(q.trim());
  return m?.[1] ? Number(m[1]) : undefined;
}

/** A snooze preset turned into the status and time it stands for. */
function withSnoozePreset(input: UpdateInput, nowMs: number): UpdateInput {
  const { snooze, ...rest } = input;
  if (!snooze) return input;
  if (input.snoozedUntil !== undefined) throw invalid('Give snooze or snoozedUntil, not both', [{ path: 'body.snooze', message: 'not with snoozedUntil' }]);
  if (input.status !== undefined && input.status !== 'snoozed')
    throw invalid('A snooze sets the status to snoozed', [{ path: 'body.status', message: 'must be snoozed or absent with snooze' }]);
  if (!isTimeZone(snooze.timeZone)) throw invalid(`Unknown time zone ${snooze.timeZone}`, [{ path: 'body.snooze.timeZone', message: 'unknown time zone' }]);
  const until = snoozeUntil(snooze, nowMs, snooze.timeZone);
  if (until === null) throw invalid('That date has passed: choose a day after today', [{ path: 'body.snooze.date', message: 'in the past' }]);
  return { ...rest, status: 'snoozed', snoozedUntil: new Date(until).toISOString() };
}

export function createConversationsService(deps: ConversationsDeps) {
  const { store, clock, jobs, audit, customers, workspaces, interactions } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;
  const core = createConversationsCore(deps);
  const {
    toConversations,
    toConversation,
    requireVisible,
    requireReachableCustomer,
    checkTeam,
    announce,
    enqueueAutoAssign,
    applyStatus,
    insertMessage,
    draftMessage,
  } = core;
  const messages = createMessagesService({ ...deps, core });
  const assignment = createAssignmentService({ ...deps, core });
  const customFields = createCustomFieldsService(deps);
  const channelMessages = createChannelMessages({ ...deps, core });
  const system = createSystemActions({ ...deps, core });

  const service = {
    // GDPR: a person's conversations go with them (the customer privacy workflow calls these).
    listByCustomers: (ex: Executor, workspaceId: string, customerIds: string[]) => store.listByCustomers(ex, workspaceId, customerIds),
    messagesOf: (workspaceId: string, conversationIds: string[]) => store.messagesOf(workspaceId, conversationIds),
    /** Erasure: the rows, then their attachments' files (an erasure that fails later still meant them gone). */
    async eraseConversations(tx: Tx, workspaceId: string, conversationIds: string[]) {
      const { files, ...counts } = await store.eraseConversations(tx, workspaceId, conversationIds);
      await deps.files.remove(files);
      return counts;
    },
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
      // On PostgreSQL the number is taken in its own statement: inside the transaction, the
      // workspace row lock would serialise every conversation created in the workspace until
      // commit. A transaction that fails after this leaves a gap in the numbering, as ticket
      // systems commonly do. SQLite's writers queue for one lock anyway: there it is taken inside.
      const numberOutside = store.numbersInTransaction ? null : await workspaces.nextConversationNumber(autocommit, auth.workspaceId);
      const row = await transactions.run(async (tx) => {
        await requireReachableCustomer(tx, auth, input.customer);
        const customer =
          'id' in input.customer
            ? await customers.getRow(tx, auth.workspaceId, input.customer.id)
            : await customers.findOrCreateByEmail(tx, auth.workspaceId, input.customer.email, input.customer.name);
        if (!customer) throw notFound('Customer');
        const number = numberOutside ?? (await workspaces.nextConversationNumber(tx, auth.workspaceId));
        const conv = newConversationRow(
          {
            workspace_id: auth.workspaceId,
            number,
            customer_id: customer.id,
            channel: input.channel,
            subject: input.subject ?? null,
            category: input.category,
            status: input.status,
            priority: input.priority,
            assignee_id: input.assigneeId ?? null,
            team_id: input.teamId ?? null,
            tags: JSON.stringify(tags),
            custom_fields: JSON.stringify(customFields),
            origin: input.origin,
            touchpoint_id: input.touchpointId ?? null,
          },
          now,
        );
        const opened = openedInteraction(conv, input.origin === 'proactive' ? 'company' : 'customer');
        const authorType = input.message?.author === 'agent' ? 'agent' : 'customer';
        const first = input.message
          ? draftMessage(conv, { body: input.message.body, kind: 'reply', authorType, authorId: authorType === 'agent' ? auth.userId : customer.id }, now)
          : null;
        let current = conv;
        if (first && first.reopens) {
          // A customer's first message to a conversation opened as pending reopens it: the general path.
          await store.insertCreated(tx, conv, tags, null);
          await core.recordChange(tx, null, conv);
          await interactions.append(tx, [opened]);
          ({ row: current } = await insertMessage(tx, conv, {
            body: first.msg.body,
            kind: 'reply',
            authorType: first.msg.author_type,
            authorId: first.msg.author_id,
          }));
        } else {
          // The conversation is written as it stands after its first message: one insert per
          // table (one statement on PostgreSQL), one append of its events and of its interactions.
          current = { ...conv, ...(first?.patch ?? {}) };
          await store.insertCreated(tx, current, tags, first?.msg ?? null);
          await core.recordChange(tx, null, current, 'manual', first ? [first.event] : []);
          await interactions.append(tx, first?.interaction ? [opened, first.interaction] : [opened]);
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
    async update(auth: AuthContext, id: string, patchIn: UpdateInput): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      const input = withSnoozePreset(patchIn, clock.nowMs());
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
        await core.recordChange(tx, current, next);
        if (input.teamId && input.teamId !== current.team_id) await enqueueAutoAssign(tx, next, `team:${now}`);
        return next;
      });
      jobs.poke();
      const result = await toConversation(row);
      announce(input.assigneeId !== undefined && input.assigneeId !== before.assignee_id ? 'conversation.assigned' : 'conversation.updated', row, result);
      return result;
    },
    async list(auth: AuthContext, query: ConversationQuery & { limit: number; cursor?: string | undefined }): Promise<Page<Conversation>> {
      requirePermission(auth, 'conversations.read');
      const after = decodeCursor(query.cursor, 2);
      const byDue = query.sort === 'due' && deps.sla !== undefined;
      const byFeeling = query.sort === 'feeling' || byDue;
      if (byFeeling && query.q)
        throw invalid(`Search results come in activity order: sort by ${query.sort} without q`, [{ path: 'querystring.sort', message: 'not with q' }]);
      if (after && byFeeling !== (typeof after[0] === 'number'))
        throw invalid('The cursor is of another order; start again without it', [{ path: 'cursor', message: 'cursor of another sort' }]);
      const statuses = query.status?.split(',').filter(Boolean);
      const bad = statuses?.filter((s) => !['open', 'pending', 'snoozed', 'resolved', 'closed'].includes(s));
      if (bad && bad.length > 0) throw invalid(`Unknown status ${bad.join(', ')}`, [{ path: 'querystring.status', message: 'unknown status' }]);
      // A search also finds customers by name, email or phone, and a conversation by its number.
      const number = query.q ? numberIn(query.q) : undefined;
      const alsoCustomerIds = query.q && query.q.length >= 2 ? await customers.idsMatching(auth.workspaceId, query.q, MAX_CUSTOMER_HITS) : [];
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
          ...(query.q ? { q: query.q, alsoCustomerIds, ...(number === undefined ? {} : { alsoNumber: number }) } : {}),
          ...(query.feeling ? { customerIn: customers.idsByFeeling(auth.workspaceId, query.feeling) } : {}),
          ...(byDue && deps.sla ? { sortBy: deps.sla.dueOrder() } : byFeeling ? { sortBy: customers.feelingOfConversationCustomer() } : {}),
        },
        { after: after ? [String(after[0]), String(after[1])] : null, limit: query.limit },
      );
      const pageRows = toPage(
        rows,
        query.limit,
        (r) => [byFeeling ? Number((r as { sort_value?: unknown }).sort_value ?? 0) : r.last_activity_at, r.id],
        (r) => r,
      );
      return { data: await toConversations(auth.workspaceId, pageRows.data), nextCursor: pageRows.nextCursor };
    },
    /** Merges `otherId` into `survivorId`: messages, notes, tags and interactions move. */
    async merge(auth: AuthContext, survivorId: string, otherId: string): Promise<Conversation> {
      requirePermission(auth, 'conversations.write');
      if (survivorId === otherId) throw invalid('A conversation cannot be merged into itself');
      const survivor = await requireVisible(auth, survivorId);
      const other = await requireVisible(auth, otherId);
      if (survivor.customer_id !== other.customer_id) throw unprocessable('Only conversations of the same customer can be merged');
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
        await core.recordChange(tx, survivor, merged);
        await deps.events.emit(tx, auth.workspaceId, [
          {
            type: 'conversation.merged',
            data: { conversationId: other.id, mergedIntoId: survivor.id },
            scope: { conversation: { id: other.id, teamId: other.team_id } },
          },
        ]);
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
          await service.update(auth, id, patch);
          results.push({ id, ok: true });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results.push({ id, ok: false, error: err.message });
        }
      }
      return { results };
    },
    /** Whether the customer has a case still open (open, pending or snoozed): surveys wait while one is. */
    hasOpenConversation: (workspaceId: string, customerId: string) => store.hasOpenConversation(workspaceId, customerId),
    /** Where a conversation sits (team, agent, channel, touchpoint): what a survey response is attributed to. */
    async contextOf(workspaceId: string, conversationId: string) {
      const row = await store.get(autocommit, workspaceId, conversationId);
      return row ? { teamId: row.team_id, assigneeId: row.assignee_id, channel: row.channel, touchpointId: row.touchpoint_id, category: row.category } : null;
    },
    /**
     * A follow-up case the company opens (the surveys' closed loop): proactive, for the owning
     * team (checked by the caller: it must exist), with an internal note; in the caller's transaction.
     */
    async openFollowUp(
      tx: Tx,
      workspaceId: string,
      input: {
        customerId: string;
        teamId: string | null;
        channel: string;
        subject: string;
        note: string;
        touchpointId: string | null;
        priority?: 'normal' | 'high';
      },
    ): Promise<{ id: string; number: number }> {
      const now = clock.nowIso();
      const conv = newConversationRow(
        {
          workspace_id: workspaceId,
          number: await workspaces.nextConversationNumber(tx, workspaceId),
          customer_id: input.customerId,
          channel: input.channel,
          subject: input.subject.slice(0, 500),
          category: 'complaint',
          status: 'open',
          priority: input.priority ?? 'high',
          team_id: input.teamId,
          tags: JSON.stringify(['survey-follow-up']),
          origin: 'proactive',
          touchpoint_id: input.touchpointId,
        },
        now,
      );
      await store.insertCreated(tx, conv, ['survey-follow-up'], null);
      await core.recordChange(tx, null, conv);
      await interactions.append(tx, [openedInteraction(conv, 'company')]);
      await insertMessage(tx, conv, { body: input.note, kind: 'note', authorType: 'system', authorId: null });
      await enqueueAutoAssign(tx, conv, 'created');
      return { id: conv.id, number: conv.number };
    },
    ...messages,
    /** The feelings consumer's reading of a customer message. */
    setMessageSentiment: store.setMessageSentiment,
    /** The channels' way in and out (inbound messages, delivery state, attachments). */
    channels: channelMessages,
    /** The company's automations (rules' actions), in the caller's transaction. */
    system,
    ...assignment,
    ...customFields,
  };
  return service;
}
export type ConversationsService = ReturnType<typeof createConversationsService>;
export type { CreateConversation };
