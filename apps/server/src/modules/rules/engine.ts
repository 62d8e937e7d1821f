// The rules engine: events in, actions out. A consumer of the domain-events log matches each
// entry against the workspace's enabled rules and, in the consumer's transaction (so exactly once
// across crashes, restarts and processes), opens or clears absence and idle windows and records
// firings — one per (rule, customer, trigger key), enforced by a unique index. A sweep closes
// windows that ended and runs due schedules. Each firing is then executed by a job: the contact
// policy decides whether it may reach the customer now, templates render, and every action runs
// in one transaction with the firing's own record, so an action happens once or not at all.
import {
  CONTACT_ACTIONS,
  durationSeconds,
  ZRuleAction,
  ZRuleTrigger,
  ZCondition,
  type Condition,
  type InteractionMatch,
  type RuleAction,
  type RuleTrigger,
} from '@rapport/contracts';
import { Cron } from 'croner';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { ConversationRow, CustomerRow, InteractionRow, RuleFiringRow, RuleRow, RuleWaitRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs.js';
import { parseJsonObject, parseJsonStringArray } from '../../platform/json.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import type { EgressGuard } from '../../platform/ssrf.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import { sendAttempt } from '../webhooks/webhook-sender.js';
import { evaluate, rootsOf, type Facts } from './conditions.js';
import type { ContactPolicyService } from './contact-policy.js';
import type { RulesStore } from './rules.store.js';
import { render, TemplateError } from './templates.js';

export const RULES_CONSUMER = 'rules.engine';
export const RULES_EXECUTE_JOB = 'rules.execute';
export const RULES_SCHEDULE_JOB = 'rules.schedule';
export const RULES_WEBHOOK_JOB = 'rules.webhook';
/** Customers a scheduled rule reaches per tick at most. */
export const SCHEDULE_AUDIENCE_CAP = 100_000;
/** Firings one conversation may cause in ten minutes, across rules: rules that answer each other's changes stop there. */
const CONVERSATION_FIRING_CAP = 20;
const SWEEP_BATCH = 2000;

export type ParsedRule = {
  row: RuleRow;
  trigger: RuleTrigger;
  conditions: Condition | null;
  actions: RuleAction[];
};

export function parseRule(row: RuleRow): ParsedRule {
  return {
    row,
    trigger: ZRuleTrigger.parse(JSON.parse(row.trigger)),
    conditions: row.conditions ? ZCondition.parse(JSON.parse(row.conditions)) : null,
    actions: z.array(ZRuleAction).parse(JSON.parse(row.actions)),
  };
}

export function nextRun(trigger: Extract<RuleTrigger, { type: 'schedule' }>, afterMs: number): string | null {
  const next = new Cron(trigger.cron, { timezone: trigger.timezone, paused: true }).nextRun(new Date(afterMs));
  return next ? next.toISOString() : null;
}

type InteractionData = {
  id: string;
  customerId: string;
  kind: string;
  name: string;
  occurredAt: string;
  channel: string | null;
  touchpointId: string | null;
  stage: string | null;
  conversationId: string | null;
};

export function customerFacts(row: CustomerRow, extra: { stage?: string | null; openConversations?: number }): Record<string, unknown> {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    traits: parseJsonObject(row.traits),
    createdAt: row.created_at,
    feeling: row.feeling_score === null || row.feeling_score === undefined ? null : Number(row.feeling_score),
    feelingLabel: row.feeling_label ?? null,
    stage: extra.stage ?? null,
    openConversations: extra.openConversations ?? 0,
  };
}

export function conversationFacts(row: ConversationRow): Record<string, unknown> {
  return {
    id: row.id,
    number: Number(row.number),
    status: row.status,
    priority: row.priority,
    channel: row.channel,
    category: row.category,
    teamId: row.team_id,
    assigneeId: row.assignee_id,
    subject: row.subject,
    tags: parseJsonStringArray(row.tags),
    origin: row.origin,
  };
}

function eventFacts(i: InteractionData, row?: InteractionRow): Record<string, unknown> {
  return {
    id: i.id,
    name: i.name,
    kind: i.kind,
    touchpointId: i.touchpointId,
    stage: i.stage,
    channel: i.channel,
    occurredAt: i.occurredAt,
    properties: row ? parseJsonObject(row.properties) : {},
  };
}

/** Whether an interaction matches a trigger's `event` / `touchpointId` / `stage` (its `where` is checked with the properties). */
function matchesHead(m: InteractionMatch, i: InteractionData): boolean {
  if (m.event !== undefined && m.event !== i.name) return false;
  if (m.touchpointId !== undefined && m.touchpointId !== i.touchpointId) return false;
  if (m.stage !== undefined && m.stage !== i.stage) return false;
  return true;
}

const needsProperties = (m: InteractionMatch) => m.where !== undefined && [...rootsOf(m.where)].some((r) => r === 'event.properties');
const addMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

export type EngineDeps = {
  store: RulesStore;
  transactions: Transactions;
  clock: Clock;
  jobs: Jobs;
  logs: Logs;
  logger?: Pick<Logger, 'warn' | 'error'> | undefined;
  policy: ContactPolicyService;
  customers: Pick<CustomersService, 'resolve' | 'setTrait' | 'pageRows'>;
  journey: { stagesOf(ex: Tx, workspaceId: string, customerIds: string[]): Promise<Map<string, string>> };
  interactions: Pick<InteractionsService, 'byIds' | 'append'>;
  conversations: Pick<ConversationsService, 'system'>;
  inboxOf: (workspaceId: string, channel: string) => Promise<{ id: string } | null>;
  requireTeam: (workspaceId: string, teamId: string) => Promise<unknown>;
  requireActiveMember: (workspaceId: string, userId: string) => Promise<unknown>;
  workspaceName: (workspaceId: string) => Promise<string | null>;
  guard: EgressGuard;
  surveys?: { scheduleFor(tx: Tx, workspaceId: string, surveyId: string, customerId: string, key: string): Promise<string | null> } | undefined;
};

type Candidate = { rule: ParsedRule; customerId: string; conversationId: string | null; key: string; facts: Facts & { trigger: string } };

export function createRulesEngine(deps: EngineDeps) {
  const { store, clock, jobs, transactions } = deps;

  const executeJob = jobs.define(RULES_EXECUTE_JOB, z.object({ firingIds: z.array(z.string()).min(1).max(500) }), async (job) => {
    let failed: unknown = null;
    for (const id of job.payload.firingIds) {
      try {
        await execute(job.workspaceId, id);
      } catch (err) {
        failed = err;
      }
    }
    // A firing that could not run (the database, not the rule) is tried again with the job; those done are skipped.
    if (failed) throw failed;
  });

  const webhookJob = jobs.define(RULES_WEBHOOK_JOB, z.object({ firingId: z.string(), ruleId: z.string(), url: z.string(), body: z.string() }), async (job) => {
    const r = await sendAttempt(
      deps.guard,
      job.payload.url,
      { 'content-type': 'application/json', 'webhook-id': job.payload.firingId, 'user-agent': 'Rapport-Rules/1' },
      job.payload.body,
    );
    if (!r.ok && !r.refused) throw new Error(`webhook answered ${r.status ?? r.error ?? 'nothing'}`);
    if (r.refused) deps.logger?.warn({ firingId: job.payload.firingId, error: r.error }, 'rule webhook refused by the egress guard');
  });

  const scheduleJob = jobs.define(RULES_SCHEDULE_JOB, z.object({ ruleId: z.string(), tick: z.string() }), async (job) => {
    const row = await store.get(transactions.autocommit, job.workspaceId, job.payload.ruleId);
    if (!row || Number(row.enabled) !== 1) return;
    const rule = parseRule(row);
    let after: string | null = null;
    for (let seen = 0; seen < SCHEDULE_AUDIENCE_CAP;) {
      const done = await transactions.run(async (tx) => {
        const page = await deps.customers.pageRows(tx, job.workspaceId, after, 500);
        if (page.length === 0) return true;
        after = page[page.length - 1]!.id;
        seen += page.length;
        const stages = await deps.journey.stagesOf(
          tx,
          job.workspaceId,
          page.map((c) => c.id),
        );
        const candidates: Candidate[] = [];
        for (const c of page) {
          const customer = customerFacts(c, {
            stage: stages.get(c.id) ?? null,
            openConversations: rootsOf(rule.conditions).has('customer.openConversations')
              ? await deps.conversations.system.openCountOf(tx, job.workspaceId, c.id)
              : 0,
          });
          candidates.push({
            rule,
            customerId: c.id,
            conversationId: null,
            key: `s:${job.payload.tick}`,
            facts: { trigger: `schedule ${job.payload.tick}`, customer },
          });
        }
        await record(tx, job.workspaceId, candidates);
        return page.length < 500;
      });
      if (done) break;
    }
  });

  /** Conditions, then firings: inserted once, each batch executed by one job after commit. */
  async function record(tx: Tx, workspaceId: string, candidates: Candidate[], runAt = clock.nowIso()): Promise<number> {
    const now = clock.nowIso();
    const rows: RuleFiringRow[] = [];
    for (const c of candidates) {
      const why: string[] = [];
      if (c.rule.conditions && !evaluate(c.rule.conditions, c.facts, why)) continue;
      rows.push({
        workspace_id: workspaceId,
        id: newId('ruleFiring'),
        rule_id: c.rule.row.id,
        customer_id: c.customerId,
        conversation_id: c.conversationId,
        fire_key: c.key,
        status: 'pending',
        reason: null,
        facts: JSON.stringify({ ...c.facts, why }),
        outcomes: '[]',
        run_at: runAt,
        created_at: now,
        fired_at: null,
      });
    }
    if (rows.length === 0) return 0;
    const inserted = await store.insertFirings(tx, rows);
    for (let i = 0; i < inserted.length; i += 500) {
      const part = inserted.slice(i, i + 500);
      await executeJob.enqueue(tx, { workspaceId, payload: { firingIds: part.map((r) => r.id) }, idempotencyKey: `rules-exec:${part[0]!.id}`, maxAttempts: 8 });
    }
    return inserted.length;
  }

  async function loadCustomer(tx: Tx, workspaceId: string, customerId: string, rules: ParsedRule[]) {
    const row = await deps.customers.resolve(tx, workspaceId, customerId);
    if (!row) return null;
    const roots = new Set<string>();
    for (const r of rules) rootsOf(r.conditions, roots);
    const stage = roots.has('customer.stage') ? ((await deps.journey.stagesOf(tx, workspaceId, [row.id])).get(row.id) ?? null) : null;
    const openConversations = roots.has('customer.openConversations') ? await deps.conversations.system.openCountOf(tx, workspaceId, row.id) : 0;
    return { row, facts: customerFacts(row, { stage, openConversations }) };
  }

  // ---- The consumer -------------------------------------------------------------------------
  async function handle(tx: Tx, entries: LogEntry[]) {
    const relevant = entries.filter((e) => TYPES.has(e.type));
    if (relevant.length === 0) return;
    const rules = (await store.enabledOf(tx, [...new Set(relevant.map((e) => e.workspace_id))])).map(parseRule);
    const byWs = new Map<string, ParsedRule[]>();
    for (const r of rules) byWs.set(r.row.workspace_id, [...(byWs.get(r.row.workspace_id) ?? []), r]);
    let recorded = 0;
    for (const e of relevant) {
      // Housekeeping applies whether or not the workspace has rules.
      if (e.type === 'customer.merged') {
        const d = JSON.parse(e.data) as { survivorId?: string; mergedId?: string };
        if (d.survivorId && d.mergedId) await store.reassignCustomer(tx, e.workspace_id, d.mergedId, d.survivorId);
        continue;
      }
      if (e.type === 'customer.deleted') {
        const d = JSON.parse(e.data) as { customerId?: string; mergedIds?: string[] };
        if (d.customerId) await store.eraseCustomers(tx, e.workspace_id, [d.customerId, ...(d.mergedIds ?? [])]);
        continue;
      }
      if (e.type === 'sla.breached') {
        const d = JSON.parse(e.data) as { conversationId?: string; customerId?: string; at?: string };
        if (d.conversationId && d.customerId)
          await store.markBreach(tx, { workspace_id: e.workspace_id, conversation_id: d.conversationId, customer_id: d.customerId, at: d.at ?? e.created_at });
      }
      if (e.type === 'conversation.status_changed') {
        const d = JSON.parse(e.data) as { to?: string; conversation?: { id: string } };
        if (d.conversation && (d.to === 'resolved' || d.to === 'closed')) await store.clearBreach(tx, e.workspace_id, d.conversation.id);
      }
      const mine = byWs.get(e.workspace_id);
      if (!mine) continue;
      recorded += await onEntry(tx, e, mine);
    }
    return recorded > 0 ? () => jobs.poke() : undefined;
  }

  const TYPES = new Set([
    'interaction.created',
    'conversation.created',
    'conversation.updated',
    'conversation.status_changed',
    'message.created',
    'message.scored',
    'customer.created',
    'customer.updated',
    'customer.merged',
    'customer.deleted',
    'sla.warning',
    'sla.breached',
  ]);

  async function onEntry(tx: Tx, e: LogEntry, rules: ParsedRule[]): Promise<number> {
    const ws = e.workspace_id;
    const data = JSON.parse(e.data) as Record<string, unknown>;
    const candidates: Candidate[] = [];
    const position = `${e.tx}.${e.seq}`;
    let customerId: string | null = null;
    let conversation: ConversationRow | null = null;

    if (e.type === 'interaction.created') {
      const i = data.interaction as InteractionData | undefined;
      if (!i || i.kind === 'rule') return 0;
      customerId = i.customerId;
      const heads = rules.filter(
        (r) =>
          (r.trigger.type === 'event' && matchesHead(r.trigger.match, i)) ||
          (r.trigger.type === 'absence' && (matchesHead(r.trigger.after, i) || matchesHead(r.trigger.expect, i))),
      );
      if (heads.length > 0) {
        const wantRow = heads.some((r) =>
          r.trigger.type === 'event'
            ? needsProperties(r.trigger.match) || rootsOf(r.conditions).has('event.properties')
            : r.trigger.type === 'absence' && (r.trigger.correlate !== undefined || needsProperties(r.trigger.after) || needsProperties(r.trigger.expect)),
        );
        const row = wantRow ? (await deps.interactions.byIds(tx, ws, [i.id]))[0] : undefined;
        const event = eventFacts(i, row);
        const props = event.properties as Record<string, unknown>;
        const whereOk = (m: InteractionMatch) => !m.where || evaluate(m.where, { event });
        const needCustomer = heads.filter((r) => r.trigger.type === 'event' && [...rootsOf(r.conditions)].some((x) => x.startsWith('customer')));
        const customer = needCustomer.length > 0 ? await loadCustomer(tx, ws, i.customerId, needCustomer) : null;
        for (const r of heads) {
          const t = r.trigger;
          if (t.type === 'event') {
            if (!whereOk(t.match)) continue;
            candidates.push({
              rule: r,
              customerId: i.customerId,
              conversationId: i.conversationId,
              key: `i:${i.id}`,
              facts: { trigger: `${i.name} at ${i.occurredAt}`, event, customer: customer?.facts },
            });
          } else if (t.type === 'absence') {
            const correlation = t.correlate !== undefined ? (props[t.correlate] === undefined ? null : String(props[t.correlate])) : undefined;
            if (matchesHead(t.expect, i) && whereOk(t.expect))
              await store.clearWaits(tx, {
                workspaceId: ws,
                ruleId: r.row.id,
                customerId: i.customerId,
                at: i.occurredAt,
                ...(correlation !== undefined ? { correlation } : {}),
              });
            if (matchesHead(t.after, i) && whereOk(t.after)) {
              const within = (durationSeconds(t.within) ?? 0) * 1000;
              const wait: RuleWaitRow = {
                workspace_id: ws,
                id: newId('ruleWait'),
                rule_id: r.row.id,
                customer_id: i.customerId,
                conversation_id: i.conversationId,
                start_ref: i.id,
                correlation: correlation ?? null,
                started_at: i.occurredAt,
                due_at: addMs(i.occurredAt, within),
                facts: JSON.stringify({ trigger: `${i.name} at ${i.occurredAt}, then nothing matching within ${t.within}`, event }),
              };
              await store.insertWaits(tx, [wait]);
            }
          }
        }
      }
    }

    // Conversation triggers, idle windows and SLA triggers.
    const convRules = rules.filter((r) => r.trigger.type === 'conversation' || r.trigger.type === 'sla');
    if (convRules.length > 0) {
      const convKey = (() => {
        if (e.type === 'conversation.created') return { on: 'created', id: (data.conversation as { id: string }).id, key: 'created' };
        if (e.type === 'conversation.status_changed') return { on: 'status_changed', id: (data.conversation as { id: string }).id, key: `status:${position}` };
        if (e.type === 'conversation.updated' && (data.changed as string[]).includes('priority'))
          return { on: 'priority_changed', id: (data.conversation as { id: string }).id, key: `priority:${position}` };
        if (e.type === 'message.created') {
          const m = data.message as { id: string; conversationId: string; kind: string; authorType: string; createdAt: string };
          if (m.kind !== 'reply') return null;
          return { on: m.authorType === 'customer' ? 'customer_replied' : 'replied', id: m.conversationId, key: `msg:${m.id}`, message: m };
        }
        if (e.type === 'sla.warning' || e.type === 'sla.breached') {
          const d = data as { conversationId: string; metric: string; dueAt: string };
          return { on: e.type, id: d.conversationId, key: `sla:${e.type}:${d.metric}:${d.dueAt}`, metric: d.metric };
        }
        return null;
      })();
      if (convKey) {
        conversation = (await deps.conversations.system.rowOf(tx, ws, convKey.id)) ?? null;
        if (conversation && !conversation.merged_into_id) {
          const facts = conversationFacts(conversation);
          const needCustomer = convRules.filter((r) => [...rootsOf(r.conditions)].some((x) => x.startsWith('customer')));
          const customer = needCustomer.length > 0 ? await loadCustomer(tx, ws, conversation.customer_id, needCustomer) : null;
          for (const r of convRules) {
            const t = r.trigger;
            if (t.type === 'sla') {
              if (convKey.on !== `sla.${t.on}` || (t.metric && t.metric !== convKey.metric)) continue;
            } else if (t.type === 'conversation') {
              if (t.on === 'idle') {
                if (!('message' in convKey) || !convKey.message) {
                  if (convKey.on === 'status_changed' && (facts.status === 'resolved' || facts.status === 'closed'))
                    await store.clearWaits(tx, {
                      workspaceId: ws,
                      ruleId: r.row.id,
                      customerId: conversation.customer_id,
                      conversationId: conversation.id,
                      at: clock.nowIso(),
                    });
                  continue;
                }
                const m = convKey.message;
                await store.clearWaits(tx, {
                  workspaceId: ws,
                  ruleId: r.row.id,
                  customerId: conversation.customer_id,
                  conversationId: conversation.id,
                  at: m.createdAt,
                });
                await store.insertWaits(tx, [
                  {
                    workspace_id: ws,
                    id: newId('ruleWait'),
                    rule_id: r.row.id,
                    customer_id: conversation.customer_id,
                    conversation_id: conversation.id,
                    start_ref: m.id,
                    correlation: null,
                    started_at: m.createdAt,
                    due_at: addMs(m.createdAt, (durationSeconds(t.after ?? 'PT24H') ?? 86_400) * 1000),
                    facts: JSON.stringify({ trigger: `no message in #${facts.number} for ${t.after ?? 'PT24H'}` }),
                  },
                ]);
                continue;
              }
              if (t.on !== convKey.on) continue;
            } else continue;
            if ((await store.recentFirings(tx, ws, { conversationId: conversation.id }, addMs(clock.nowIso(), -600_000))) >= CONVERSATION_FIRING_CAP) {
              deps.logger?.warn({ workspaceId: ws, conversationId: conversation.id, ruleId: r.row.id }, 'rules keep firing on one conversation: held back');
              continue;
            }
            candidates.push({
              rule: r,
              customerId: conversation.customer_id,
              conversationId: conversation.id,
              key: `conv:${conversation.id}:${convKey.key}`,
              facts: { trigger: `${convKey.on.replace('_', ' ')} on #${facts.number}`, conversation: facts, customer: customer?.facts },
            });
          }
        }
      }
    }

    // Customer conditions becoming true.
    const custRules = rules.filter((r): r is ParsedRule & { trigger: { type: 'customer'; condition: Condition } } => r.trigger.type === 'customer');
    if (custRules.length > 0) {
      const target =
        customerId ??
        (e.type.startsWith('customer.') ? ((data.customer as { id?: string } | undefined)?.id ?? null) : null) ??
        (typeof data.customerId === 'string' ? data.customerId : null) ??
        (data.conversation as { customerId?: string } | undefined)?.customerId ??
        null;
      const touches = (roots: Set<string>) => {
        if (e.type.startsWith('customer.')) return true;
        if (e.type === 'interaction.created') return roots.has('customer.stage');
        if (e.type === 'message.scored') return roots.has('customer.feeling') || roots.has('customer.feelingLabel');
        if (e.type.startsWith('conversation.')) return roots.has('customer.openConversations');
        return false;
      };
      const due = custRules.filter((r) => touches(rootsOf(r.trigger.condition)));
      if (target && due.length > 0) {
        const customer = await loadCustomer(
          tx,
          ws,
          target,
          due.map((r) => ({ ...r, conditions: r.trigger.condition })),
        );
        if (customer) {
          const states = await store.states(
            tx,
            ws,
            due.map((r) => r.row.id),
            [customer.row.id],
          );
          for (const r of due) {
            const why: string[] = [];
            const now = evaluate(r.trigger.condition, { customer: customer.facts }, why) ? 1 : 0;
            const before = states.get(`${r.row.id}\u0000${customer.row.id}`) ?? 0;
            if (now !== before)
              await store.setState(tx, { workspace_id: ws, rule_id: r.row.id, customer_id: customer.row.id, matched: now, updated_at: clock.nowIso() });
            // Rules whose actions flip each other's conditions (set_trait) stop at the cap, as on conversations.
            if (
              now === 1 &&
              before === 0 &&
              (await store.recentFirings(tx, ws, { customerId: customer.row.id }, addMs(clock.nowIso(), -600_000))) >= CONVERSATION_FIRING_CAP
            ) {
              deps.logger?.warn({ workspaceId: ws, customerId: customer.row.id, ruleId: r.row.id }, 'rules keep firing on one customer: held back');
              continue;
            }
            if (now === 1 && before === 0)
              candidates.push({
                rule: r,
                customerId: customer.row.id,
                conversationId: null,
                key: `c:${position}`,
                facts: { trigger: `became true: ${why.join('; ')}`, customer: customer.facts },
              });
          }
        }
      }
    }
    return candidates.length > 0 ? record(tx, ws, candidates) : 0;
  }

  deps.logs.define({
    name: RULES_CONSUMER,
    log: 'domain_events',
    batch: 500,
    // The ingest firehose only while some workspace has a rule that reads interactions.
    types: async (ex) => ({
      only: [...TYPES]
        .filter((t) => t !== 'interaction.created')
        .concat((await store.anyEnabledOf(ex, ['event', 'absence', 'customer'])) ? ['interaction.created'] : []),
    }),
    handle,
    async poison() {},
  });

  // ---- The sweep ----------------------------------------------------------------------------
  /** Closes windows that ended and starts due schedules; returns how many windows it closed. */
  async function sweep(): Promise<number> {
    let closed = 0;
    for (;;) {
      const n = await transactions.run(async (tx) => {
        const due = await store.dueWaits(tx, clock.nowIso(), SWEEP_BATCH);
        if (due.length === 0) return 0;
        const rules = new Map(
          (await store.enabledOf(tx, [...new Set(due.map((w) => w.workspace_id))])).map((r) => [`${r.workspace_id}\u0000${r.id}`, parseRule(r)]),
        );
        const byWs = new Map<string, Candidate[]>();
        for (const w of due) {
          const rule = rules.get(`${w.workspace_id}\u0000${w.rule_id}`);
          if (!rule) continue;
          const facts = JSON.parse(w.facts) as Facts & { trigger: string };
          if (rule.conditions && [...rootsOf(rule.conditions)].some((x) => x.startsWith('customer'))) {
            const c = await loadCustomer(tx, w.workspace_id, w.customer_id, [rule]);
            if (!c) continue;
            facts.customer = c.facts;
          }
          if (rule.conditions && [...rootsOf(rule.conditions)].some((x) => x.startsWith('conversation')) && w.conversation_id) {
            const conv = await deps.conversations.system.rowOf(tx, w.workspace_id, w.conversation_id);
            if (conv) facts.conversation = conversationFacts(conv);
          }
          byWs.set(w.workspace_id, [
            ...(byWs.get(w.workspace_id) ?? []),
            { rule, customerId: w.customer_id, conversationId: w.conversation_id, key: `w:${w.id}`, facts },
          ]);
        }
        for (const [ws, list] of byWs) await record(tx, ws, list);
        await store.deleteWaits(tx, due);
        return due.length;
      });
      closed += n;
      if (n < SWEEP_BATCH) break;
    }
    // Every due schedule, a hundred per transaction, so that no workspace's schedules crowd out another's.
    for (let more = true; more;) {
      more = await transactions.run(async (tx) => {
        const due = await store.dueSchedules(tx, clock.nowIso(), 100);
        for (const row of due) {
          const rule = parseRule(row);
          if (rule.trigger.type !== 'schedule' || !row.next_run_at) continue;
          const tick = row.next_run_at;
          if (!(await store.advanceSchedule(tx, row.workspace_id, row.id, tick, nextRun(rule.trigger, clock.nowMs())))) continue;
          await scheduleJob.enqueue(tx, {
            workspaceId: row.workspace_id,
            payload: { ruleId: row.id, tick },
            idempotencyKey: `rules-schedule:${row.id}:${tick}`,
          });
        }
        return due.length === 100;
      });
    }
    if (closed > 0) jobs.poke();
    return closed;
  }

  // ---- Execution ----------------------------------------------------------------------------
  async function execute(workspaceId: string, firingId: string): Promise<void> {
    const { autocommit } = transactions;
    const firing = await store.getFiring(autocommit, workspaceId, firingId);
    if (!firing || firing.status !== 'pending' || firing.run_at > clock.nowIso()) return;
    const row = await store.get(autocommit, workspaceId, firing.rule_id);
    const finish = (status: 'suppressed' | 'failed', reason: string) =>
      transactions.run(async (tx) => {
        const again = await store.lockFiring(tx, workspaceId, firingId);
        if (again?.status === 'pending') await store.updateFiring(tx, workspaceId, firingId, { status, reason: reason.slice(0, 500), fired_at: null });
      });
    if (!row || Number(row.enabled) !== 1) return finish('suppressed', 'the rule was disabled or deleted before it ran');
    const rule = parseRule(row);
    const facts = JSON.parse(firing.facts) as Facts;
    // Reads of other modules outside the transaction: the team, the assignee, the workspace's name.
    try {
      for (const a of rule.actions) {
        if ((a.type === 'set_team' && a.teamId) || (a.type === 'open_conversation' && a.teamId)) await deps.requireTeam(workspaceId, a.teamId as string);
        if (a.type === 'assign' && a.assigneeId) await deps.requireActiveMember(workspaceId, a.assigneeId);
      }
    } catch (err) {
      return finish('failed', `an action names a team or member that is gone: ${err instanceof Error ? err.message : String(err)}`);
    }
    const needsInbox = rule.actions.find((a): a is Extract<RuleAction, { type: 'open_conversation' }> => a.type === 'open_conversation');
    const inbox = needsInbox ? await deps.inboxOf(workspaceId, needsInbox.channel) : null;
    const workspace = { name: await deps.workspaceName(workspaceId) };

    type Outcome = { type: string; ok: boolean; detail: string | null };
    const result = await transactions.run(async (tx): Promise<{ status: string; reason?: string; deferUntil?: string }> => {
      const locked = await store.lockFiring(tx, workspaceId, firingId);
      if (!locked || locked.status !== 'pending') return { status: 'done' };
      const customer = await deps.customers.resolve(tx, workspaceId, firing.customer_id);
      if (!customer) return { status: 'suppressed', reason: 'the customer is gone' };
      const contacts = rule.actions.some((a) => CONTACT_ACTIONS.has(a.type));
      if (contacts) {
        // A survey is never service: it waits for the case to close like any marketing message.
        const purpose = rule.actions.some((a) => a.type === 'send_survey') ? 'survey' : rule.row.purpose === 'service' ? 'service' : 'marketing';
        const verdict = await deps.policy.check(tx, workspaceId, customer, purpose, clock.nowMs());
        if (!verdict.ok) {
          if ('deferUntil' in verdict) {
            await store.updateFiring(tx, workspaceId, firingId, { run_at: verdict.deferUntil, reason: verdict.reason });
            await executeJob.enqueue(tx, {
              workspaceId,
              payload: { firingIds: [firingId] },
              idempotencyKey: `rules-exec:${firingId}:${verdict.deferUntil}`,
              runAt: verdict.deferUntil,
              maxAttempts: 8,
            });
            return { status: 'deferred', deferUntil: verdict.deferUntil };
          }
          return { status: 'suppressed', reason: verdict.reason };
        }
      }
      let conv: ConversationRow | null = firing.conversation_id
        ? ((await deps.conversations.system.rowOf(tx, workspaceId, firing.conversation_id)) ?? null)
        : null;
      const scope = () => ({
        customer: customerFacts(customer, {}),
        event: facts.event ?? {},
        conversation: conv ? conversationFacts(conv) : {},
        workspace,
      });
      // Templates first: a missing variable holds the whole firing back, never half of it.
      const rendered = new Map<number, { subject?: string; body?: string }>();
      try {
        for (const [n, a] of rule.actions.entries()) {
          if (a.type === 'open_conversation') rendered.set(n, { subject: await render(a.subject, scope()), body: await render(a.body, scope()) });
          if (a.type === 'send_message' || a.type === 'add_note') rendered.set(n, { body: await render(a.body, scope()) });
        }
      } catch (err) {
        if (err instanceof TemplateError) return { status: 'failed', reason: `template: ${err.message}` };
        throw err;
      }
      const outcomes: Outcome[] = [];
      const patch: Parameters<ConversationsService['system']['apply']>[3] = {};
      for (const [n, a] of rule.actions.entries()) {
        const text = rendered.get(n);
        switch (a.type) {
          case 'open_conversation': {
            if (a.channel === 'email' && !customer.email) return { status: 'failed', reason: 'the customer has no email address' };
            if ((a.channel === 'sms' || a.channel === 'whatsapp') && !customer.phone) return { status: 'failed', reason: 'the customer has no phone number' };
            conv = await deps.conversations.system.openProactive(tx, workspaceId, {
              customerId: customer.id,
              channel: a.channel,
              inboxId: inbox?.id ?? null,
              subject: text?.subject ?? '',
              body: text?.body ?? '',
              teamId: a.teamId ?? null,
              ...(a.priority ? { priority: a.priority } : {}),
              tags: [],
            });
            outcomes.push({ type: a.type, ok: true, detail: `#${conv.number} on ${a.channel}${inbox ? '' : ' (no inbox of this channel: kept in Rapport)'}` });
            break;
          }
          case 'send_message':
          case 'add_note': {
            conv ??= (await deps.conversations.system.latestOpenOf(tx, workspaceId, customer.id)) ?? null;
            if (!conv) {
              outcomes.push({ type: a.type, ok: false, detail: 'no conversation to write in' });
              break;
            }
            await (a.type === 'send_message' ? deps.conversations.system.reply : deps.conversations.system.note)(tx, workspaceId, conv.id, text?.body ?? '');
            outcomes.push({ type: a.type, ok: true, detail: `#${conv.number}` });
            break;
          }
          case 'assign':
            patch.assigneeId = a.assigneeId;
            break;
          case 'set_team':
            patch.teamId = a.teamId;
            break;
          case 'set_priority':
            patch.priority = a.priority;
            break;
          case 'set_status':
            patch.status = a.status;
            break;
          case 'set_category':
            patch.category = a.category;
            break;
          case 'add_tags':
            patch.addTags = [...(patch.addTags ?? []), ...a.tags];
            break;
          case 'set_trait':
            await deps.customers.setTrait(tx, workspaceId, customer.id, a.key, a.value);
            outcomes.push({ type: a.type, ok: true, detail: `${a.key} = ${JSON.stringify(a.value)}` });
            break;
          case 'call_webhook':
            await webhookJob.enqueue(tx, {
              workspaceId,
              payload: {
                firingId,
                ruleId: rule.row.id,
                url: a.url,
                body: JSON.stringify({
                  type: 'rule.fired',
                  rule: { id: rule.row.id, name: rule.row.name },
                  firingId,
                  customerId: customer.id,
                  conversationId: conv?.id ?? null,
                  facts,
                  at: clock.nowIso(),
                }),
              },
              idempotencyKey: `rules-webhook:${firingId}:${n}`,
              maxAttempts: 6,
            });
            outcomes.push({ type: a.type, ok: true, detail: 'queued' });
            break;
          case 'send_survey': {
            const send = deps.surveys ? await deps.surveys.scheduleFor(tx, workspaceId, a.surveyId, customer.id, `rule:${firingId}`) : null;
            outcomes.push({ type: a.type, ok: send !== null, detail: send ? 'scheduled' : 'the survey is gone, disabled or already sent for this' });
            break;
          }
        }
      }
      if (Object.keys(patch).length > 0) {
        if (conv) {
          conv = await deps.conversations.system.apply(tx, workspaceId, conv.id, patch);
          for (const k of Object.keys(patch)) outcomes.push({ type: k, ok: true, detail: `#${conv.number}` });
        } else outcomes.push({ type: 'conversation changes', ok: false, detail: 'no conversation to change' });
      }
      const now = clock.nowIso();
      if (contacts) await deps.policy.record(tx, workspaceId, customer.id, now, 'rule', firingId);
      await deps.interactions.append(tx, [
        {
          workspaceId,
          customerId: customer.id,
          kind: 'rule',
          name: 'Rule Fired',
          channel: conv?.channel ?? null,
          origin: 'system',
          sourceId: firingId,
          conversationId: conv?.id ?? null,
          properties: { ruleId: rule.row.id, rule: rule.row.name, firingId, actions: outcomes.map((o) => o.type) },
        },
      ]);
      await store.updateFiring(tx, workspaceId, firingId, {
        status: 'fired',
        reason: null,
        outcomes: JSON.stringify(outcomes),
        fired_at: now,
        conversation_id: conv?.id ?? null,
      });
      return { status: 'fired' };
    });
    if (result.status === 'suppressed' || result.status === 'failed') await finish(result.status, result.reason ?? '');
    jobs.poke();
  }

  return {
    sweep,
    execute,
  };
}
export type RulesEngine = ReturnType<typeof createRulesEngine>;
