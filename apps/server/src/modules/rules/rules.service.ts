// Rules as the API sees them: create, read, change and delete (validated on save — conditions
// against the trigger's facts, templates, schedules, the teams, members and surveys they name),
// the firings with what happened after, a dry run of who would match now and why, and the
// workspace's contact policy.
import {
  MAX_RULES,
  ZContactPolicy,
  type ContactPolicy,
  type Page,
  type Rule,
  type RuleFiring,
  type RuleInput,
  type RuleTrigger,
  ZRuleInput,
} from '@rapport/contracts';
import { Cron } from 'croner';
import type { z } from 'zod';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { RuleFiringRow, RuleRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { AppError, conflict, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { InteractionsService } from '../interactions/interactions.service.js';
import { evaluate, validateCondition, type ConditionError, type Facts } from './conditions.js';
import { validZone, type ContactPolicyService } from './contact-policy.js';
import { customerFacts, nextRun, parseRule, type EngineDeps } from './engine.js';
import type { RulesStore } from './rules.store.js';
import { render, TemplateError, templateErrors } from './templates.js';

type Parsed = z.output<typeof ZRuleInput>;
const WEEK = 7 * 86_400_000;
const PREVIEW_SCAN = 1000;

/** Which facts a trigger provides to its conditions. */
function rootsFor(t: RuleTrigger): Set<string> {
  if (t.type === 'event' || t.type === 'absence') return new Set(['customer', 'event']);
  if (t.type === 'conversation' || t.type === 'sla') return new Set(['customer', 'conversation']);
  return new Set(['customer']);
}

export function createRulesService(deps: {
  store: RulesStore;
  transactions: Transactions;
  clock: Clock;
  policy: ContactPolicyService;
  customers: EngineDeps['customers'];
  interactions: Pick<InteractionsService, 'anyAfter'>;
  requireTeam: EngineDeps['requireTeam'];
  requireActiveMember: EngineDeps['requireActiveMember'];
  surveyExists: (workspaceId: string, surveyId: string) => Promise<boolean>;
  workspaceName: EngineDeps['workspaceName'];
  poke: () => void;
}) {
  const { store, transactions, clock } = deps;
  const { autocommit } = transactions;

  async function validate(workspaceId: string, r: Parsed): Promise<void> {
    const errors: ConditionError[] = [];
    const t = r.trigger;
    if (r.conditions) errors.push(...validateCondition(r.conditions, 'conditions', rootsFor(t)));
    if (t.type === 'customer') errors.push(...validateCondition(t.condition, 'trigger.condition', new Set(['customer'])));
    for (const [name, m] of t.type === 'event'
      ? [['match', t.match] as const]
      : t.type === 'absence'
        ? [['after', t.after] as const, ['expect', t.expect] as const]
        : [])
      if (m.where) errors.push(...validateCondition(m.where, `trigger.${name}.where`, new Set(['event'])));
    if (t.type === 'absence' && !t.after.event && !t.after.touchpointId && !t.after.stage)
      errors.push({ path: 'trigger.after', message: 'name the event, touchpoint or stage that starts the window' });
    if (t.type === 'event' && !t.match.event && !t.match.touchpointId && !t.match.stage)
      errors.push({ path: 'trigger.match', message: 'name the event, touchpoint or stage to act on' });
    if (t.type === 'conversation' && t.on === 'idle' && !t.after) errors.push({ path: 'trigger.after', message: 'idle needs `after` (e.g. PT24H)' });
    if (t.type === 'schedule') {
      if (!validZone(t.timezone)) errors.push({ path: 'trigger.timezone', message: 'an IANA time zone such as Europe/Paris' });
      else
        try {
          const cron = new Cron(t.cron, { timezone: t.timezone, paused: true });
          const [a, b] = cron.nextRuns(2);
          if (a && b && b.getTime() - a.getTime() < 60_000) errors.push({ path: 'trigger.cron', message: 'at most once a minute' });
        } catch (err) {
          errors.push({ path: 'trigger.cron', message: err instanceof Error ? err.message : 'not a cron expression' });
        }
    }
    for (const [n, a] of r.actions.entries()) {
      if (a.type === 'open_conversation') errors.push(...templateErrors(a.subject, `actions.${n}.subject`), ...templateErrors(a.body, `actions.${n}.body`));
      if (a.type === 'send_message' || a.type === 'add_note') errors.push(...templateErrors(a.body, `actions.${n}.body`));
      const teamId = a.type === 'set_team' ? a.teamId : a.type === 'open_conversation' ? a.teamId : null;
      if (teamId) await deps.requireTeam(workspaceId, teamId).catch(() => errors.push({ path: `actions.${n}.teamId`, message: 'no such team' }));
      if (a.type === 'assign' && a.assigneeId)
        await deps.requireActiveMember(workspaceId, a.assigneeId).catch(() => errors.push({ path: `actions.${n}.assigneeId`, message: 'no such member' }));
      if (a.type === 'send_survey' && !(await deps.surveyExists(workspaceId, a.surveyId)))
        errors.push({ path: `actions.${n}.surveyId`, message: 'no such survey' });
      const convOnly = ['assign', 'set_team', 'set_priority', 'set_status', 'set_category', 'add_tags', 'send_message', 'add_note'];
      if (convOnly.includes(a.type) && !rootsFor(t).has('conversation') && !r.actions.some((x) => x.type === 'open_conversation'))
        if (a.type !== 'send_message' && a.type !== 'add_note')
          errors.push({ path: `actions.${n}.type`, message: `${a.type} changes a conversation: use a conversation trigger or open one first` });
    }
    if (errors.length > 0) throw invalid('The rule is not valid', errors.slice(0, 50));
  }

  async function stats(workspaceId: string) {
    const counts = await store.firingCounts(autocommit, workspaceId);
    const waits = await store.waitCounts(autocommit, workspaceId);
    return (ruleId: string): Rule['stats'] => {
      const of = (s: string) => counts.filter((c) => c.rule_id === ruleId && c.status === s).reduce((a, c) => a + c.n, 0);
      return { fired: of('fired'), suppressed: of('suppressed'), failed: of('failed'), waiting: waits.get(ruleId) ?? 0 };
    };
  }

  function toRule(row: RuleRow, s: Rule['stats']): Rule {
    const p = parseRule(row);
    return {
      id: row.id,
      name: row.name,
      enabled: Number(row.enabled) === 1,
      purpose: row.purpose as Rule['purpose'],
      trigger: p.trigger,
      conditions: p.conditions,
      actions: p.actions,
      goal: row.goal,
      stats: s,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async function requireRule(auth: AuthContext, id: string): Promise<RuleRow> {
    const row = await store.get(autocommit, auth.workspaceId, id);
    if (!row) throw notFound('Rule');
    return row;
  }

  async function toFiring(workspaceId: string, r: RuleFiringRow, goal: string | null): Promise<RuleFiring> {
    let result: RuleFiring['result'] = null;
    if (r.status === 'fired' && r.fired_at) {
      const until = new Date(Math.min(clock.nowMs(), Date.parse(r.fired_at) + WEEK)).toISOString();
      const f = (x: Parameters<typeof deps.interactions.anyAfter>[5]) =>
        deps.interactions.anyAfter(autocommit, workspaceId, r.customer_id, r.fired_at as string, until, x);
      result = {
        replied: r.conversation_id ? await f({ name: 'Message Received', conversationId: r.conversation_id }) : false,
        contacted: await f({ kind: 'conversation', origin: 'customer' }),
        converted: goal ? await f({ name: goal }) : false,
      };
    }
    return {
      id: r.id,
      ruleId: r.rule_id,
      customerId: r.customer_id,
      conversationId: r.conversation_id,
      status: r.status as RuleFiring['status'],
      reason: r.reason,
      facts: JSON.parse(r.facts) as Record<string, unknown>,
      outcomes: JSON.parse(r.outcomes) as RuleFiring['outcomes'],
      result,
      createdAt: r.created_at,
      firedAt: r.fired_at,
      runAt: r.run_at,
    };
  }

  async function preview(
    auth: AuthContext,
    r: Parsed,
    sample: { customerId?: string | undefined; event?: { name?: string; properties?: Record<string, unknown> } | undefined },
  ) {
    const ws = auth.workspaceId;
    const t = r.trigger;
    const matches: Array<{ customerId: string; name: string | null; email: string | null; why: string[] }> = [];
    let scanned = 0;
    let first: Awaited<ReturnType<EngineDeps['customers']['resolve']>> | undefined;
    if (sample.customerId) {
      first = await deps.customers.resolve(autocommit, ws, sample.customerId);
      if (!first) throw notFound('Customer');
    }
    let after: string | null = null;
    while (scanned < PREVIEW_SCAN && matches.length < 50) {
      const page = await deps.customers.pageRows(autocommit, ws, after, 200);
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      for (const c of page) {
        scanned++;
        const facts: Facts = { customer: customerFacts(c, {}) };
        const why: string[] = [];
        if (t.type === 'customer' && !evaluate(t.condition, facts, why)) continue;
        // Only what can be known now: tests of the event or conversation wait for them.
        if (r.conditions && (t.type === 'customer' || t.type === 'schedule') && !evaluate(r.conditions, facts, why)) continue;
        matches.push({ customerId: c.id, name: c.name, email: c.email, why });
        first ??= c;
        if (matches.length >= 50) break;
      }
    }
    const sampleEvent = {
      name: sample.event?.name ?? (t.type === 'event' ? t.match.event : t.type === 'absence' ? t.after.event : undefined) ?? null,
      properties: sample.event?.properties ?? {},
      occurredAt: clock.nowIso(),
    };
    const scope = { customer: first ? customerFacts(first, {}) : {}, event: sampleEvent, conversation: {}, workspace: { name: await deps.workspaceName(ws) } };
    const rendered: Array<{ type: string; subject?: string; body: string }> = [];
    const missing: ConditionError[] = [];
    for (const [n, a] of r.actions.entries()) {
      const one = async (field: 'subject' | 'body', src: string) => {
        try {
          return await render(src, scope);
        } catch (err) {
          if (!(err instanceof TemplateError)) throw err;
          missing.push({ path: `actions.${n}.${field}`, message: err.message });
          return '';
        }
      };
      if (a.type === 'open_conversation') rendered.push({ type: a.type, subject: await one('subject', a.subject), body: await one('body', a.body) });
      else if (a.type === 'send_message' || a.type === 'add_note') rendered.push({ type: a.type, body: await one('body', a.body) });
    }
    if (missing.length > 0)
      throw new AppError(
        'UNPROCESSABLE',
        `A template has a variable with no value for ${first ? `customer ${first.id}` : 'the sample'}: ${missing.map((m) => m.message).join('; ')}. Give it a value, or write a default: {{ customer.name | default: "there" }}.`,
        missing,
      );
    let policy: string | null = null;
    if (first) {
      const c = first;
      const verdict = await transactions.run((tx) => deps.policy.check(tx, ws, c, r.purpose === 'service' ? 'service' : 'marketing', clock.nowMs()));
      policy = verdict.ok ? null : verdict.reason;
    }
    return { matches, scanned, rendered, policy };
  }

  function rowOf(workspaceId: string, id: string, r: Parsed, now: string, createdAt: string): RuleRow {
    return {
      workspace_id: workspaceId,
      id,
      name: r.name,
      enabled: r.enabled ? 1 : 0,
      purpose: r.purpose,
      trigger_type: r.trigger.type,
      trigger: JSON.stringify(r.trigger),
      conditions: r.conditions ? JSON.stringify(r.conditions) : null,
      actions: JSON.stringify(r.actions),
      goal: r.goal ?? null,
      next_run_at: r.trigger.type === 'schedule' ? nextRun(r.trigger, clock.nowMs()) : null,
      created_at: createdAt,
      updated_at: now,
    };
  }

  return {
    async list(auth: AuthContext): Promise<Page<Rule>> {
      requirePermission(auth, 'settings.read');
      const s = await stats(auth.workspaceId);
      return { data: (await store.list(autocommit, auth.workspaceId)).map((r) => toRule(r, s(r.id))), nextCursor: null };
    },
    async get(auth: AuthContext, id: string): Promise<Rule> {
      requirePermission(auth, 'settings.read');
      const row = await requireRule(auth, id);
      return toRule(row, (await stats(auth.workspaceId))(row.id));
    },
    async create(auth: AuthContext, input: Parsed): Promise<Rule> {
      requirePermission(auth, 'settings.manage');
      await validate(auth.workspaceId, input);
      const now = clock.nowIso();
      const row = rowOf(auth.workspaceId, newId('rule'), input, now, now);
      await transactions.run(async (tx) => {
        if ((await store.count(tx, auth.workspaceId)) >= MAX_RULES) throw conflict(`A workspace has at most ${MAX_RULES} rules`);
        await store.insert(tx, row);
      });
      return toRule(row, { fired: 0, suppressed: 0, failed: 0, waiting: 0 });
    },
    async update(auth: AuthContext, id: string, patch: Partial<Parsed>): Promise<Rule> {
      requirePermission(auth, 'settings.manage');
      const current = await requireRule(auth, id);
      const p = parseRule(current);
      const merged = ZRuleInput.parse({
        name: current.name,
        enabled: Number(current.enabled) === 1,
        purpose: current.purpose,
        trigger: p.trigger,
        conditions: p.conditions ?? undefined,
        actions: p.actions,
        goal: current.goal ?? undefined,
        ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      });
      await validate(auth.workspaceId, merged);
      const row = rowOf(auth.workspaceId, id, merged, clock.nowIso(), current.created_at);
      // A schedule that did not change keeps its next run.
      if (merged.trigger.type === 'schedule' && current.trigger === row.trigger) row.next_run_at = current.next_run_at;
      await transactions.run(async (tx) => store.update(tx, auth.workspaceId, id, row));
      return toRule(row, (await stats(auth.workspaceId))(id));
    },
    async remove(auth: AuthContext, id: string): Promise<{ ok: true }> {
      requirePermission(auth, 'settings.manage');
      await requireRule(auth, id);
      await transactions.run(async (tx) => store.delete(tx, auth.workspaceId, id));
      return { ok: true };
    },
    async firings(auth: AuthContext, id: string, q: { limit: number; cursor?: string | undefined; status?: string | undefined }) {
      requirePermission(auth, 'settings.read');
      const rule = await requireRule(auth, id);
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listFirings(autocommit, auth.workspaceId, id, {
        status: q.status,
        beforeId: after ? String(after[0]) : undefined,
        limit: q.limit + 1,
      });
      const items = await Promise.all(rows.map((r) => toFiring(auth.workspaceId, r, rule.goal)));
      return toPage(
        items,
        q.limit,
        (f) => [f.id],
        (f) => f,
      );
    },
    async preview(
      auth: AuthContext,
      input: { rule?: RuleInput | undefined; sample?: { customerId?: string; event?: { name?: string; properties?: Record<string, unknown> } } | undefined },
      id?: string,
    ) {
      requirePermission(auth, 'settings.read');
      let r: Parsed;
      if (id) {
        const row = await requireRule(auth, id);
        const p = parseRule(row);
        r = {
          name: row.name,
          enabled: Number(row.enabled) === 1,
          purpose: row.purpose as Parsed['purpose'],
          trigger: p.trigger,
          actions: p.actions,
          ...(p.conditions ? { conditions: p.conditions } : {}),
        };
      } else {
        const parsed = ZRuleInput.safeParse(input.rule);
        if (!parsed.success)
          throw invalid(
            'The rule is not valid',
            parsed.error.issues.slice(0, 50).map((i) => ({ path: ['rule', ...i.path].join('.'), message: i.message })),
          );
        r = parsed.data;
        await validate(auth.workspaceId, r);
      }
      return preview(auth, r, input.sample ?? {});
    },
    async getPolicy(auth: AuthContext): Promise<ContactPolicy> {
      requirePermission(auth, 'settings.read');
      return deps.policy.get(autocommit, auth.workspaceId);
    },
    async putPolicy(auth: AuthContext, input: z.input<typeof ZContactPolicy>): Promise<ContactPolicy> {
      requirePermission(auth, 'settings.manage');
      const policy = ZContactPolicy.parse(input);
      if (!validZone(policy.timezone)) throw invalid('Not a time zone', [{ path: 'timezone', message: 'an IANA time zone such as Europe/Paris' }]);
      await transactions.run((tx) => store.putPolicy(tx, auth.workspaceId, JSON.stringify(policy), clock.nowIso()));
      deps.poke();
      return policy;
    },
  };
}
export type RulesService = ReturnType<typeof createRulesService>;
