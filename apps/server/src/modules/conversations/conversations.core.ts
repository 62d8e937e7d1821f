// What every part of the service desk shares: reading conversations as the API shows them,
// visibility and team checks, live announcements, status changes and writing a message.
import type { Channel, Conversation, ConversationState, Status } from '@rapport/contracts';
import type { NewDomainEvent } from '../../platform/domain-events.js';
import type { ZCreateConversation, ZCreateMessage, ZUpdateConversation } from '@rapport/contracts';
import { z } from 'zod';
import type { Executor } from '../../platform/db/transactions.js';
import { can, conversationScope, isInScope, requirePermission, type AuthContext } from '../../platform/access.js';
import type { Tx } from '../../platform/db/database.js';
import type { ConversationRow, MessageRow } from '../../platform/db/schema.js';
import { notFound, forbidden, invalid } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject, parseJsonStringArray } from '../../platform/json.js';
import type { NewInteraction } from '../interactions/interactions.service.js';
import type { ConversationsDeps } from './conversations.deps.js';

export type CreateInput = z.output<typeof ZCreateConversation>;
export type UpdateInput = z.output<typeof ZUpdateConversation>;
export type MessageInput = z.output<typeof ZCreateMessage>;

export const AUTO_ASSIGN_JOB = 'conversation.auto_assign';
export const UNSNOOZE_JOB = 'conversation.unsnooze';

const seconds = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 1000);
const preview = (body: string) => body.replace(/\s+/g, ' ').trim().slice(0, 140);

export function createConversationsCore(deps: ConversationsDeps) {
  const { store, clock, jobs, bus, audit, customers, workspaces, interactions, events } = deps;
  const transactions = deps.transactions;
  const { autocommit } = transactions;

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
        feeling: null,
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
        inboxId: r.inbox_id ?? null,
        externalId: r.external_id ?? null,
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
    throw notFound(
      'Customer',
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

  const stateOf = (r: ConversationRow): ConversationState => ({
    id: r.id,
    number: Number(r.number),
    status: r.status as ConversationState['status'],
    priority: r.priority as ConversationState['priority'],
    channel: r.channel as ConversationState['channel'],
    category: (r.category ?? null) as ConversationState['category'],
    subject: r.subject,
    customerId: r.customer_id,
    assigneeId: r.assignee_id,
    teamId: r.team_id,
    tags: parseJsonStringArray(r.tags),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.inbox_id ? { inboxId: r.inbox_id, externalId: r.external_id ?? null } : {}),
  });
  const TRACKED = ['status', 'priority', 'category', 'subject', 'assignee_id', 'team_id', 'tags', 'custom_fields', 'touchpoint_id', 'snoozed_until'] as const;
  const FIELD: Record<(typeof TRACKED)[number], string> = {
    status: 'status',
    priority: 'priority',
    category: 'category',
    subject: 'subject',
    assignee_id: 'assigneeId',
    team_id: 'teamId',
    tags: 'tags',
    custom_fields: 'customFields',
    touchpoint_id: 'touchpointId',
    snoozed_until: 'snoozedUntil',
  };

  /**
   * The domain events of a conversation's change, appended in the change's transaction:
   * created, or updated with the changed fields, plus status_changed and assigned when those moved.
   */
  async function recordChange(
    tx: Tx,
    before: ConversationRow | null,
    after: ConversationRow,
    by: 'manual' | 'claim' | 'round_robin' = 'manual',
    /** Events of the same change appended with these (a new conversation's first message). */
    also: NewDomainEvent[] = [],
  ) {
    const scope = { conversation: { id: after.id, teamId: after.team_id } };
    const conversation = stateOf(after);
    if (!before) return events.emit(tx, after.workspace_id, [{ type: 'conversation.created', data: { conversation }, scope }, ...also]);
    const changed = TRACKED.filter((k) => String(before[k] ?? '') !== String(after[k] ?? '')).map((k) => FIELD[k]);
    if (changed.length === 0) return also.length > 0 ? events.emit(tx, after.workspace_id, also) : undefined;
    const out: NewDomainEvent[] = [{ type: 'conversation.updated', data: { conversation, changed }, scope }, ...also];
    if (before.status !== after.status)
      out.push({ type: 'conversation.status_changed', data: { conversation, from: stateOf(before).status, to: conversation.status }, scope });
    if (before.assignee_id !== after.assignee_id)
      out.push({ type: 'conversation.assigned', data: { conversation, from: before.assignee_id, to: after.assignee_id, by }, scope });
    await events.emit(tx, after.workspace_id, out);
  }

  async function enqueueAutoAssign(tx: Tx, row: Pick<ConversationRow, 'workspace_id' | 'id' | 'team_id' | 'assignee_id'>, reason: string) {
    if (!row.team_id || row.assignee_id) return;
    if (!(await workspaces.teamAutoAssigns(tx, row.workspace_id, row.team_id))) return;
    await autoAssignJob.enqueue(tx, {
      workspaceId: row.workspace_id,
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
      await unsnoozeJob.enqueue(tx, {
        workspaceId: row.workspace_id,
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

  type NewMessage = {
    body: string;
    kind: 'reply' | 'note';
    authorType: MessageRow['author_type'];
    authorId: string | null;
    /** Channels: what came with it from outside (already sanitised HTML, the provider's id). */
    html?: string | null;
    externalId?: string | null;
    createdAt?: string;
  };

  /**
   * A message's rows and effects on its conversation, not yet written: the message, the patch,
   * the interaction it records and its event. `reopens`: a customer's reply to a resolved, pending
   * or snoozed conversation also opens it (applyStatus, which writes).
   */
  function draftMessage(row: ConversationRow, input: NewMessage, now: string) {
    const msg: MessageRow = {
      workspace_id: row.workspace_id,
      id: newId('message'),
      conversation_id: row.id,
      kind: input.kind,
      author_type: input.authorType,
      author_id: input.authorId,
      body: input.body,
      created_at: now,
      // A reply travels the conversation's channel; an agent's reply on a conversation that came
      // through an inbox is delivered there (the channels' outbound consumer picks it up).
      channel: input.kind === 'reply' ? row.channel : null,
      external_id: input.externalId ?? null,
      html: input.html ?? null,
      ...(input.kind === 'reply' && (input.authorType === 'agent' || input.authorType === 'bot') && row.inbox_id
        ? { delivery_status: 'queued', delivery_error: null, delivery_attempts: 0, delivery_at: now }
        : {}),
    };
    const patch: Partial<ConversationRow> = { updated_at: now, message_count: Number(row.message_count) + 1 };
    let interaction: NewInteraction | null = null;
    let reopens = false;
    if (input.kind === 'reply') {
      patch.last_activity_at = now;
      patch.last_message_preview = preview(input.body);
      const isCustomer = input.authorType === 'customer';
      reopens = isCustomer && ['resolved', 'pending', 'snoozed'].includes(row.status);
      if (input.authorType === 'agent' && !row.first_response_at) {
        patch.first_response_at = now;
        patch.first_response_seconds = seconds(row.created_at, now);
      }
      if (isCustomer || input.authorType === 'agent' || input.authorType === 'bot')
        interaction = {
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
        };
    }
    const event: NewDomainEvent = {
      type: 'message.created',
      data: {
        message: {
          id: msg.id,
          conversationId: row.id,
          kind: msg.kind as 'reply' | 'note',
          authorType: msg.author_type as 'agent' | 'customer' | 'bot' | 'system',
          authorId: msg.author_id,
          body: msg.body,
          createdAt: msg.created_at,
          ...(msg.channel ? { channel: msg.channel as Channel } : {}),
          ...(msg.external_id ? { externalId: msg.external_id } : {}),
          ...(msg.delivery_status ? { delivery: msg.delivery_status as 'queued' } : {}),
        },
        customerId: row.customer_id,
        ...(row.inbox_id ? { inboxId: row.inbox_id, conversationExternalId: row.external_id ?? null } : {}),
      },
      scope: { conversation: { id: row.id, teamId: row.team_id }, ...(msg.kind === 'note' ? { internal: true } : {}) },
    };
    return { msg, patch, interaction, event, reopens };
  }

  async function insertMessage(tx: Tx, row: ConversationRow, input: NewMessage) {
    const now = clock.nowIso();
    const { msg, patch, interaction, event, reopens } = draftMessage(row, input, now);
    await store.insertMessage(tx, msg);
    if (reopens) Object.assign(patch, await applyStatus(tx, row, 'open', null, now));
    if (interaction) await interactions.append(tx, [interaction]);
    await store.update(tx, row.workspace_id, row.id, patch);
    const after = { ...row, ...patch };
    await events.emit(tx, row.workspace_id, [event]);
    if (after.status !== row.status) await recordChange(tx, row, after);
    return { msg, row: after };
  }

  async function assignNext(workspaceId: string, conversationId: string): Promise<string | null> {
    const row = await store.get(autocommit, workspaceId, conversationId);
    if (!row || row.assignee_id || !row.team_id || row.merged_into_id || !['open', 'pending'].includes(row.status)) return null;
    const candidates = await workspaces.teamAgentsOnline(workspaceId, row.team_id);
    const open = await store.openCountByAssignee(
      workspaceId,
      candidates.map((a) => a.user_id),
    );
    const eligible = candidates.filter((a) => a.capacity === null || (open.get(a.user_id) ?? 0) < a.capacity);
    for (const agent of eligible) {
      const now = clock.nowIso();
      const won = await transactions.run(async (tx) => {
        if (!(await store.claim(tx, workspaceId, row.id, agent.user_id, now))) return false;
        await workspaces.markAssigned(tx, workspaceId, agent.user_id, now);
        await recordChange(tx, row, { ...row, assignee_id: agent.user_id, updated_at: now }, 'round_robin');
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

  // Round-robin after commit, and snoozed conversations waking up: typed jobs of the desk.
  const autoAssignJob = jobs.define(AUTO_ASSIGN_JOB, z.object({ conversationId: z.string() }), async (job) => {
    await assignNext(job.workspaceId, job.payload.conversationId);
  });
  const unsnoozeJob = jobs.define(UNSNOOZE_JOB, z.object({ conversationId: z.string(), until: z.string() }), async (job) => {
    const { conversationId, until } = job.payload;
    const row = await store.get(autocommit, job.workspaceId, conversationId);
    if (!row || row.status !== 'snoozed' || row.snoozed_until !== until) return;
    const now = clock.nowIso();
    const patch = { status: 'open', snoozed_until: null, updated_at: now, last_activity_at: now };
    await transactions.run(async (tx) => {
      await store.update(tx, job.workspaceId, row.id, patch);
      await recordChange(tx, row, { ...row, ...patch });
    });
    announce('conversation.updated', row, { id: row.id, status: 'open' });
  });

  return {
    recordChange,
    assignNext,
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
  };
}
export type ConversationsCore = ReturnType<typeof createConversationsCore>;
