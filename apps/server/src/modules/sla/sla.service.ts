// SLA policies (issue 13): calendars and ordered policies (settings), applied by a consumer of the
// domain-events log that keeps each conversation's targets and their due instants in business
// time, paused while the conversation is pending; a sweep appends sla.warning and sla.breached
// exactly once each, in the transaction that records them. docs/sla.md is the contract.
import type { ZCreateSlaPolicy, ZSlaAttainmentQuery } from '@rapport/contracts';
import {
  MAX_CALENDARS,
  MAX_POLICIES,
  durationSeconds,
  type ConversationSla,
  type ConversationState,
  type CreateSlaCalendar,
  type DomainEventData,
  type Page,
  type SlaAttainment,
  type SlaCalendar,
  type SlaConditions,
  type SlaInterval,
  type SlaMetric,
  type SlaPolicy,
  type SlaTargets,
  type SlaWarning,
  type UpdateSlaCalendar,
  type UpdateSlaPolicy,
  ZCreateSlaCalendar,
} from '@rapport/contracts';
import type { z } from 'zod';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { SlaCalendarRow, SlaConversationRow, SlaMetricRow, SlaPolicyRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import type { DomainEvents, NewDomainEvent } from '../../platform/domain-events.js';
import { conflict, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { parseJsonObject } from '../../platform/json.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { JourneyService } from '../journeys/journey.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import { ALWAYS_OPEN, addBusinessTime, businessTimeBetween, SpanTooLongError, type BusinessCalendar } from './business-hours.js';
import type { SlaReads, SlaStore } from './sla.store.js';

export const SLA_CONSUMER = 'sla.apply';
const DAY = 86_400_000;
const MAX_PERIOD_DAYS = 366;
/** Targets the sweep handles per transaction. */
const SWEEP_BATCH = 500;

export type SlaDeps = {
  store: SlaStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  logs: Logs;
  events: DomainEvents;
  customers: Pick<CustomersService, 'getRow'>;
  journey: Pick<JourneyService, 'stageIn'>;
  workspaces: Pick<WorkspacesService, 'requireTeam'>;
};

/** What the SLA module remembers of a conversation between its events. */
type ConvState = {
  status: string;
  priority: string;
  category: string | null;
  channel: string;
  teamId: string | null;
  assigneeId: string | null;
  createdAt: string;
  /** The first agent reply (first response done). */
  firstResponseAt: string | null;
  /** The oldest customer message not yet answered. */
  awaitingSince: string | null;
  customerWrote: boolean;
};

const TARGET_OF: Record<SlaMetric, keyof SlaTargets> = { first_response: 'firstResponse', next_response: 'nextResponse', resolution: 'resolution' };
const isClosed = (status: string) => status === 'resolved' || status === 'closed';
const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));
const iso = (ms: number) => new Date(ms).toISOString();
/** The live stream shows an SLA event to whoever may see its conversation (partners: their teams'). */
const scopeOf = (m: SlaMetricRow) => ({ conversation: { id: m.conversation_id, teamId: m.team_id } });

export function toCalendar(r: SlaCalendarRow): SlaCalendar {
  return {
    id: r.id,
    name: r.name,
    timeZone: r.time_zone,
    alwaysOpen: Number(r.always_open) === 1,
    hours: JSON.parse(r.hours) as SlaInterval[],
    holidays: JSON.parse(r.holidays) as string[],
    teamId: r.team_id,
    isDefault: Number(r.is_default) === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toPolicy(r: SlaPolicyRow): SlaPolicy {
  return {
    id: r.id,
    name: r.name,
    position: Number(r.position),
    enabled: Number(r.enabled) === 1,
    conditions: JSON.parse(r.conditions) as SlaConditions,
    targets: JSON.parse(r.targets) as SlaTargets,
    calendarId: r.calendar_id,
    warning: r.warning ? (JSON.parse(r.warning) as SlaWarning) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const businessCalendarOf = (c: SlaCalendar): BusinessCalendar => ({ timeZone: c.timeZone, alwaysOpen: c.alwaysOpen, hours: c.hours, holidays: c.holidays });

/** Which customer facts a policy's conditions read. */
export type MatchFacts = {
  priority: string;
  category: string | null;
  channel: string;
  teamId: string | null;
  stage: string | null;
  traits: Record<string, unknown>;
};

export function matches(c: SlaConditions, f: MatchFacts): boolean {
  if (c.priority && !c.priority.includes(f.priority as never)) return false;
  if (c.category && (f.category === null || !c.category.includes(f.category as never))) return false;
  if (c.channel && !c.channel.includes(f.channel as never)) return false;
  if (c.teamId && !c.teamId.includes(f.teamId ?? 'none')) return false;
  if (c.stage && (f.stage === null || !c.stage.includes(f.stage))) return false;
  for (const t of c.traits ?? []) if (!t.in.some((v) => v === f.traits[t.key])) return false;
  return true;
}

/** Milliseconds of a policy's target for a metric, or null without one. */
export function targetMs(p: SlaPolicy, metric: SlaMetric): number | null {
  const d = p.targets[TARGET_OF[metric]];
  return d ? (durationSeconds(d) ?? 0) * 1000 : null;
}

/** How long before the due instant the warning comes, for a target of `target` ms. */
export function warnBeforeMs(p: SlaPolicy, target: number): number | null {
  if (!p.warning) return null;
  if ('percent' in p.warning) return Math.round((target * (100 - p.warning.percent)) / 100);
  return Math.min(target, (durationSeconds(p.warning.before) ?? 0) * 1000);
}

export function createSlaService(deps: SlaDeps) {
  const { store, transactions, clock, audit, events, customers, journey, workspaces } = deps;
  const { autocommit } = transactions;

  // ---- Settings: calendars and policies -------------------------------------------------------

  async function requireCalendar(workspaceId: string, id: string, tx: Tx | typeof autocommit = autocommit) {
    const row = await store.getCalendar(tx, workspaceId, id);
    if (!row) throw notFound('Calendar');
    return row;
  }
  async function requirePolicy(workspaceId: string, id: string, tx: Tx | typeof autocommit = autocommit) {
    const row = await store.getPolicy(tx, workspaceId, id);
    if (!row) throw notFound('SLA policy');
    return row;
  }
  async function checkPolicyRefs(auth: AuthContext, input: { calendarId?: string | null | undefined; conditions?: SlaConditions | undefined }) {
    if (input.calendarId) await requireCalendar(auth.workspaceId, input.calendarId);
    for (const t of input.conditions?.teamId ?? []) if (t !== 'none') await workspaces.requireTeam(auth.workspaceId, t);
  }

  const calendars = {
    async list(auth: AuthContext): Promise<Page<SlaCalendar>> {
      requirePermission(auth, 'settings.read');
      return { data: (await store.listCalendars(autocommit, auth.workspaceId)).map(toCalendar), nextCursor: null };
    },
    async get(auth: AuthContext, id: string): Promise<SlaCalendar> {
      requirePermission(auth, 'settings.read');
      return toCalendar(await requireCalendar(auth.workspaceId, id));
    },
    async create(auth: AuthContext, input: z.output<typeof ZCreateSlaCalendar>): Promise<SlaCalendar> {
      requirePermission(auth, 'settings.manage');
      if (input.teamId) await workspaces.requireTeam(auth.workspaceId, input.teamId);
      const now = clock.nowIso();
      const row: SlaCalendarRow = {
        workspace_id: auth.workspaceId,
        id: newId('slaCalendar'),
        name: input.name,
        time_zone: input.timeZone,
        always_open: input.alwaysOpen ? 1 : 0,
        hours: JSON.stringify(input.hours),
        holidays: JSON.stringify([...new Set(input.holidays)].sort()),
        team_id: input.teamId,
        is_default: input.isDefault ? 1 : 0,
        created_at: now,
        updated_at: now,
      };
      await transactions.run(async (tx) => {
        if ((await store.listCalendars(tx, auth.workspaceId)).length >= MAX_CALENDARS)
          throw conflict(`A workspace has at most ${MAX_CALENDARS} calendars; delete one first`);
        if (row.is_default) await store.clearDefault(tx, auth.workspaceId);
        if (row.team_id) await store.clearTeam(tx, auth.workspaceId, row.team_id);
        await store.insertCalendar(tx, row);
        await audit.record(tx, auth, { action: 'sla_calendar.created', objectType: 'sla_calendar', objectId: row.id, data: { name: row.name } });
      });
      return toCalendar(row);
    },
    async update(auth: AuthContext, id: string, patch: UpdateSlaCalendar): Promise<SlaCalendar> {
      requirePermission(auth, 'settings.manage');
      const current = toCalendar(await requireCalendar(auth.workspaceId, id));
      if (patch.teamId) await workspaces.requireTeam(auth.workspaceId, patch.teamId);
      // The merged calendar must hold together as a whole (24/7 without hours, hours otherwise).
      const merged = ZCreateSlaCalendar.safeParse({ ...stripMeta(current), ...patch });
      if (!merged.success)
        throw invalid(
          'The calendar would not be valid',
          merged.error.issues.map((i) => ({ path: `body.${i.path.join('.')}`, message: i.message })),
        );
      const next = merged.data;
      const now = clock.nowIso();
      const row: Partial<SlaCalendarRow> = {
        name: next.name,
        time_zone: next.timeZone,
        always_open: next.alwaysOpen ? 1 : 0,
        hours: JSON.stringify(next.hours),
        holidays: JSON.stringify([...new Set(next.holidays)].sort()),
        team_id: next.teamId,
        is_default: next.isDefault ? 1 : 0,
        updated_at: now,
      };
      await transactions.run(async (tx) => {
        if (row.is_default && !current.isDefault) await store.clearDefault(tx, auth.workspaceId);
        if (row.team_id && row.team_id !== current.teamId) await store.clearTeam(tx, auth.workspaceId, row.team_id);
        await store.updateCalendar(tx, auth.workspaceId, id, row);
        await audit.record(tx, auth, { action: 'sla_calendar.updated', objectType: 'sla_calendar', objectId: id, data: { changed: Object.keys(patch) } });
      });
      return toCalendar({ ...(await requireCalendar(auth.workspaceId, id)) });
    },
    async delete(auth: AuthContext, id: string): Promise<{ ok: true }> {
      requirePermission(auth, 'settings.manage');
      await requireCalendar(auth.workspaceId, id);
      await transactions.run(async (tx) => {
        const used = await store.policiesUsing(tx, auth.workspaceId, id);
        if (used > 0) throw conflict(`${used} SLA ${used === 1 ? 'policy uses' : 'policies use'} this calendar; change them first`);
        await store.deleteCalendar(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'sla_calendar.deleted', objectType: 'sla_calendar', objectId: id });
      });
      return { ok: true };
    },
  };

  const policies = {
    async list(auth: AuthContext): Promise<Page<SlaPolicy>> {
      requirePermission(auth, 'settings.read');
      return { data: (await store.listPolicies(autocommit, auth.workspaceId)).map(toPolicy), nextCursor: null };
    },
    async get(auth: AuthContext, id: string): Promise<SlaPolicy> {
      requirePermission(auth, 'settings.read');
      return toPolicy(await requirePolicy(auth.workspaceId, id));
    },
    async create(auth: AuthContext, input: z.output<typeof ZCreateSlaPolicy>): Promise<SlaPolicy> {
      requirePermission(auth, 'settings.manage');
      await checkPolicyRefs(auth, input);
      const now = clock.nowIso();
      return transactions.run(async (tx) => {
        const all = await store.listPolicies(tx, auth.workspaceId);
        if (all.length >= MAX_POLICIES) throw conflict(`A workspace has at most ${MAX_POLICIES} SLA policies; delete one first`);
        const row: SlaPolicyRow = {
          workspace_id: auth.workspaceId,
          id: newId('slaPolicy'),
          name: input.name,
          position: all.reduce((m, p) => Math.max(m, Number(p.position)), 0) + 1,
          enabled: input.enabled ? 1 : 0,
          conditions: JSON.stringify(input.conditions),
          targets: JSON.stringify(input.targets),
          calendar_id: input.calendarId,
          warning: input.warning ? JSON.stringify(input.warning) : null,
          created_at: now,
          updated_at: now,
        };
        await store.insertPolicy(tx, row);
        await audit.record(tx, auth, { action: 'sla_policy.created', objectType: 'sla_policy', objectId: row.id, data: { name: row.name } });
        return toPolicy(row);
      });
    },
    async update(auth: AuthContext, id: string, patch: UpdateSlaPolicy): Promise<SlaPolicy> {
      requirePermission(auth, 'settings.manage');
      await requirePolicy(auth.workspaceId, id);
      await checkPolicyRefs(auth, patch);
      const row: Partial<SlaPolicyRow> = { updated_at: clock.nowIso() };
      if (patch.name !== undefined) row.name = patch.name;
      if (patch.enabled !== undefined) row.enabled = patch.enabled ? 1 : 0;
      if (patch.conditions !== undefined) row.conditions = JSON.stringify(patch.conditions);
      if (patch.targets !== undefined) row.targets = JSON.stringify(patch.targets);
      if (patch.calendarId !== undefined) row.calendar_id = patch.calendarId;
      if (patch.warning !== undefined) row.warning = patch.warning ? JSON.stringify(patch.warning) : null;
      await transactions.run(async (tx) => {
        await store.updatePolicy(tx, auth.workspaceId, id, row);
        await audit.record(tx, auth, { action: 'sla_policy.updated', objectType: 'sla_policy', objectId: id, data: { changed: Object.keys(patch) } });
      });
      return toPolicy(await requirePolicy(auth.workspaceId, id));
    },
    async delete(auth: AuthContext, id: string): Promise<{ ok: true }> {
      requirePermission(auth, 'settings.manage');
      await requirePolicy(auth.workspaceId, id);
      await transactions.run(async (tx) => {
        await store.deletePolicy(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'sla_policy.deleted', objectType: 'sla_policy', objectId: id });
      });
      return { ok: true };
    },
    /** Sets the order in which policies are tried: `ids` lists every policy once. */
    async reorder(auth: AuthContext, ids: string[]): Promise<Page<SlaPolicy>> {
      requirePermission(auth, 'settings.manage');
      await transactions.run(async (tx) => {
        const all = await store.listPolicies(tx, auth.workspaceId);
        const known = new Set(all.map((p) => p.id));
        if (new Set(ids).size !== ids.length || ids.length !== all.length || ids.some((i) => !known.has(i)))
          throw invalid('List every policy of the workspace exactly once', [{ path: 'body.ids', message: 'not the set of policies' }]);
        for (const [i, id] of ids.entries()) await store.updatePolicy(tx, auth.workspaceId, id, { position: i + 1 });
        await audit.record(tx, auth, { action: 'sla_policy.reordered', objectType: 'sla_policy', objectId: null, data: { ids } });
      });
      return policies.list(auth);
    },
  };

  // ---- Applying policies: a consumer of the domain events -------------------------------------

  /** The calendar of a conversation: the policy's, else its team's, else the workspace default, else 24/7. */
  function calendarFor(all: SlaCalendar[], policy: SlaPolicy | null, teamId: string | null): BusinessCalendar {
    const pick =
      (policy?.calendarId ? all.find((c) => c.id === policy.calendarId) : undefined) ??
      (teamId ? all.find((c) => c.teamId === teamId) : undefined) ??
      all.find((c) => c.isDefault);
    return pick ? businessCalendarOf(pick) : ALWAYS_OPEN;
  }

  async function selectPolicy(tx: Tx, workspaceId: string, customerId: string, s: ConvState): Promise<SlaPolicy | null> {
    const list = (await store.listPolicies(tx, workspaceId)).map(toPolicy).filter((p) => p.enabled);
    if (list.length === 0) return null;
    const needsCustomer = list.some((p) => p.conditions.traits || p.conditions.stage);
    let traits: Record<string, unknown> = {};
    let stage: string | null = null;
    if (needsCustomer) {
      const c = await customers.getRow(tx, workspaceId, customerId);
      traits = c ? parseJsonObject(c.traits) : {};
      stage = c ? await journey.stageIn(tx, workspaceId, c.id) : null;
    }
    const facts: MatchFacts = { priority: s.priority, category: s.category, channel: s.channel, teamId: s.teamId, stage, traits };
    return list.find((p) => matches(p.conditions, facts)) ?? null;
  }

  /** One conversation's SLA loaded for a change: its row, its state, its targets and what applies. */
  type Work = {
    row: SlaConversationRow;
    state: ConvState;
    metrics: SlaMetricRow[];
    touched: Set<SlaMetricRow>;
    created: SlaMetricRow[];
    policy: SlaPolicy | null;
    calendar: BusinessCalendar;
    out: NewDomainEvent[];
  };

  function newMetric(w: Work, metric: SlaMetric, seq: number, startAt: string, target: number): SlaMetricRow {
    const m: SlaMetricRow = {
      workspace_id: w.row.workspace_id,
      conversation_id: w.row.conversation_id,
      metric,
      seq,
      customer_id: w.row.customer_id,
      policy_id: w.policy?.id ?? '',
      status: 'open',
      paused: w.row.paused_since ? 1 : 0,
      start_at: startAt,
      target_ms: target,
      paused_ms: 0,
      due_ms: null,
      warn_ms: null,
      warned_at: null,
      breached_at: null,
      satisfied_at: null,
      decided_at: null,
      outcome: null,
      team_id: w.state.teamId,
      assignee_id: w.state.assigneeId,
      channel: w.state.channel,
    };
    w.metrics.push(m);
    w.created.push(m);
    return m;
  }

  const open = (w: Work, metric: SlaMetric) => w.metrics.find((m) => m.metric === metric && m.status === 'open');

  function recompute(w: Work, m: SlaMetricRow) {
    if (m.status !== 'open' || m.paused) return;
    const start = Date.parse(m.start_at);
    const target = Number(m.target_ms);
    const paused = Number(m.paused_ms);
    try {
      m.due_ms = addBusinessTime(w.calendar, start, target + paused);
      const before = w.policy ? warnBeforeMs(w.policy, target) : null;
      m.warn_ms = before === null || before <= 0 ? null : addBusinessTime(w.calendar, start, target - before + paused);
    } catch (err) {
      // A target the calendar cannot reach within the arithmetic's bound never comes due.
      if (!(err instanceof SpanTooLongError)) throw err;
      m.due_ms = null;
      m.warn_ms = null;
    }
    w.touched.add(m);
  }

  function slaEvent(m: SlaMetricRow, dueMs: number, at: string): DomainEventData<'sla.breached'> {
    return { conversationId: m.conversation_id, customerId: m.customer_id, policyId: m.policy_id, metric: m.metric as SlaMetric, dueAt: iso(dueMs), at };
  }

  /** The target is met (or, past its due instant, breached) at `at`. */
  function satisfy(w: Work, m: SlaMetricRow, at: string) {
    m.satisfied_at = at;
    const due = num(m.due_ms);
    if (m.outcome === null) {
      // A paused clock cannot run out; a running one past its due instant the sweep has not seen yet is a breach.
      if (!m.paused && due !== null && Date.parse(at) > due) {
        m.breached_at = at;
        m.outcome = 'breached';
        m.decided_at = iso(due);
        w.out.push({ type: 'sla.breached', data: slaEvent(m, due, at), scope: scopeOf(m) });
      } else {
        m.outcome = 'met';
        m.decided_at = at;
      }
    }
    m.status = m.outcome ?? 'met';
    w.touched.add(m);
  }

  /** No verdict (resolved without a reply, merged, no longer targeted); a breach already seen stays. */
  function cancel(w: Work, m: SlaMetricRow) {
    m.status = m.outcome ?? 'cancelled';
    w.touched.add(m);
  }

  function pause(w: Work, at: string) {
    if (w.row.paused_since) return;
    w.row.paused_since = at;
    for (const m of w.metrics)
      if (m.status === 'open') {
        m.paused = 1;
        w.touched.add(m);
      }
  }

  function resume(w: Work, at: string) {
    const since = w.row.paused_since;
    if (!since) return;
    w.row.paused_since = null;
    for (const m of w.metrics) {
      if (m.status !== 'open') continue;
      const from = Math.max(Date.parse(since), Date.parse(m.start_at));
      const to = Date.parse(at);
      if (to > from) {
        try {
          m.paused_ms = Number(m.paused_ms) + businessTimeBetween(w.calendar, from, to);
        } catch (err) {
          if (!(err instanceof SpanTooLongError)) throw err;
        }
      }
      m.paused = 0;
      w.touched.add(m);
    }
  }

  /** Brings the targets in line with the policy that applies now (targets it adds start when they would have). */
  function applyPolicy(w: Work) {
    const p = w.policy;
    w.row.policy_id = p?.id ?? null;
    for (const metric of ['first_response', 'next_response', 'resolution'] as const) {
      const target = p ? targetMs(p, metric) : null;
      const running = open(w, metric);
      if (running) {
        if (target === null) cancel(w, running);
        else {
          running.target_ms = target;
          running.policy_id = (p as SlaPolicy).id;
          w.touched.add(running);
        }
        continue;
      }
      if (target === null || isClosed(w.state.status)) continue;
      const ever = w.metrics.some((m) => m.metric === metric);
      // A policy's targets count from when it existed: a policy added today does not make last week's conversations late.
      const start = p && p.createdAt > w.state.createdAt ? p.createdAt : w.state.createdAt;
      if (metric === 'first_response' && !ever && !w.state.firstResponseAt) newMetric(w, metric, 1, start, target);
      if (metric === 'resolution' && !ever) newMetric(w, metric, 1, start, target);
      // next_response is started by the customer's message (onMessage), whose sequence number it needs.
    }
  }

  async function load(tx: Tx, workspaceId: string, conversationId: string): Promise<Work | null> {
    const row = await store.getConversation(tx, workspaceId, conversationId);
    if (!row) return null;
    const state = JSON.parse(row.state) as ConvState;
    const metrics = await store.metricsOf(tx, workspaceId, conversationId);
    const policy = row.policy_id ? await store.getPolicy(tx, workspaceId, row.policy_id) : undefined;
    const p = policy ? toPolicy(policy) : null;
    const all = (await store.listCalendars(tx, workspaceId)).map(toCalendar);
    return { row, state, metrics, touched: new Set(), created: [], policy: p, calendar: calendarFor(all, p, state.teamId), out: [] };
  }

  async function save(tx: Tx, w: Work, at: string) {
    for (const m of w.metrics) {
      if (m.status === 'open' && m.outcome === null) {
        if (m.team_id !== w.state.teamId || m.assignee_id !== w.state.assigneeId || m.channel !== w.state.channel) w.touched.add(m);
        m.team_id = w.state.teamId;
        m.assignee_id = w.state.assigneeId;
        m.channel = w.state.channel;
      }
      recompute(w, m);
    }
    const running = w.metrics.filter((m) => m.status === 'open' && !m.paused && m.due_ms !== null).map((m) => Number(m.due_ms));
    w.row.next_due_ms = running.length ? Math.min(...running) : null;
    w.row.state = JSON.stringify(w.state);
    w.row.updated_at = at;
    const created = new Set(w.created);
    for (const m of w.created) await store.insertMetric(tx, m);
    for (const m of w.touched) if (!created.has(m)) await store.updateMetric(tx, m, m);
    await store.updateConversation(tx, w.row.workspace_id, w.row.conversation_id, w.row);
    if (w.out.length) await events.emit(tx, w.row.workspace_id, w.out);
  }

  async function onConversation(tx: Tx, workspaceId: string, c: ConversationState, isNew: boolean) {
    const at = isNew ? c.createdAt : c.updatedAt;
    let w = await load(tx, workspaceId, c.id);
    if (!w) {
      if (!isNew && isClosed(c.status)) return;
      const state: ConvState = {
        status: c.status,
        priority: c.priority,
        category: c.category,
        channel: c.channel,
        teamId: c.teamId,
        assigneeId: c.assigneeId,
        createdAt: c.createdAt,
        firstResponseAt: null,
        awaitingSince: null,
        // First seen through a change (written before this module ran): assume it awaits an answer.
        customerWrote: !isNew,
      };
      const row: SlaConversationRow = {
        workspace_id: workspaceId,
        conversation_id: c.id,
        customer_id: c.customerId,
        policy_id: null,
        state: JSON.stringify(state),
        paused_since: c.status === 'pending' ? at : null,
        next_due_ms: null,
        created_at: at,
        updated_at: at,
      };
      await store.insertConversation(tx, row);
      w = await load(tx, workspaceId, c.id);
      if (!w) return;
    }
    const before = w.state.status;
    Object.assign(w.state, { status: c.status, priority: c.priority, category: c.category, channel: c.channel, teamId: c.teamId, assigneeId: c.assigneeId });
    w.policy = await selectPolicy(tx, workspaceId, c.customerId, w.state);
    const all = (await store.listCalendars(tx, workspaceId)).map(toCalendar);
    w.calendar = calendarFor(all, w.policy, w.state.teamId);
    // The clock stands still while the conversation waits on the customer.
    if (c.status === 'pending') pause(w, at);
    else resume(w, at);
    applyPolicy(w);
    if (isClosed(c.status) && !isClosed(before)) {
      const res = open(w, 'resolution');
      if (res) satisfy(w, res, at);
      for (const m of w.metrics) if (m.status === 'open') cancel(w, m);
      w.state.awaitingSince = null;
    }
    await save(tx, w, at);
  }

  async function onMessage(tx: Tx, workspaceId: string, data: DomainEventData<'message.created'>) {
    const msg = data.message;
    if (msg.kind !== 'reply') return;
    const w = await load(tx, workspaceId, msg.conversationId);
    if (!w) return;
    const at = msg.createdAt;
    if (msg.authorType === 'customer') {
      w.state.customerWrote = true;
      if (!w.state.awaitingSince) {
        w.state.awaitingSince = at;
        const target = w.policy ? targetMs(w.policy, 'next_response') : null;
        if (w.state.firstResponseAt && target !== null && !open(w, 'next_response'))
          newMetric(w, 'next_response', await store.nextSeq(tx, workspaceId, msg.conversationId, 'next_response'), at, target);
      }
    } else if (msg.authorType === 'agent') {
      const first = open(w, 'first_response');
      if (!w.state.firstResponseAt) {
        w.state.firstResponseAt = at;
        // Opened by the agent's own message: there was nothing to respond to.
        if (first) (w.state.customerWrote ? satisfy : cancel)(w, first, at);
      }
      const next = open(w, 'next_response');
      if (next) satisfy(w, next, at);
      w.state.awaitingSince = null;
    } else return;
    await save(tx, w, at);
  }

  async function onMerged(tx: Tx, workspaceId: string, conversationId: string, at: string) {
    const w = await load(tx, workspaceId, conversationId);
    if (!w) return;
    for (const m of w.metrics) if (m.status === 'open') cancel(w, m);
    await save(tx, w, at);
  }

  deps.logs.define({
    name: SLA_CONSUMER,
    log: 'domain_events',
    batch: 200,
    async handle(tx, entries: LogEntry[]) {
      for (const e of entries) {
        if (e.type === 'conversation.created' || e.type === 'conversation.updated') {
          const data = JSON.parse(e.data) as DomainEventData<'conversation.created'>;
          await onConversation(tx, e.workspace_id, data.conversation, e.type === 'conversation.created');
        } else if (e.type === 'message.created') {
          await onMessage(tx, e.workspace_id, JSON.parse(e.data) as DomainEventData<'message.created'>);
        } else if (e.type === 'conversation.merged') {
          const data = JSON.parse(e.data) as DomainEventData<'conversation.merged'>;
          await onMerged(tx, e.workspace_id, data.conversationId, e.created_at);
        }
      }
    },
  });

  // ---- The sweep: warnings and breaches, exactly once each -------------------------------------

  /** Appends sla.warning / sla.breached for every running target whose instant has come; returns how many. */
  async function sweep(): Promise<{ warnings: number; breaches: number }> {
    let warnings = 0;
    let breaches = 0;
    for (const kind of ['warning', 'breach'] as const) {
      for (;;) {
        const now = clock.nowMs();
        const at = iso(now);
        const due = kind === 'warning' ? await store.dueWarnings(autocommit, now, SWEEP_BATCH) : await store.dueBreaches(autocommit, now, SWEEP_BATCH);
        if (due.length === 0) break;
        let done = 0;
        await transactions.run(async (tx) => {
          for (const m of due) {
            const dueMs = Number(m.due_ms);
            // The conditional update is the once: another process (or an earlier sweep) that got there first leaves 0 rows.
            const mine = kind === 'warning' ? await store.markWarned(tx, m, at) : await store.markBreached(tx, m, at, iso(dueMs));
            if (!mine) continue;
            done++;
            await events.emit(tx, m.workspace_id, [
              { type: kind === 'warning' ? 'sla.warning' : 'sla.breached', data: slaEvent(m, dueMs, at), scope: scopeOf(m) },
            ]);
          }
        });
        if (kind === 'warning') warnings += done;
        else breaches += done;
        if (due.length < SWEEP_BATCH) break;
      }
    }
    if (warnings + breaches > 0) deps.logs.poke();
    return { warnings, breaches };
  }

  // ---- Attainment ------------------------------------------------------------------------------

  async function attainment(auth: AuthContext, q: z.output<typeof ZSlaAttainmentQuery>): Promise<SlaAttainment> {
    requirePermission(auth, 'customers.read');
    const to = q.to ? new Date(q.to) : new Date(clock.nowMs() + 1);
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY);
    if (from >= to) throw invalid('`from` must come before `to`', [{ path: 'querystring.from', message: 'after `to`' }]);
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY)
      throw invalid(`A period of at most ${MAX_PERIOD_DAYS} days`, [{ path: 'querystring.from', message: 'too long a period' }]);
    const column = ({ team: 'team_id', agent: 'assignee_id', channel: 'channel', period: 'day' } as const)[q.by];
    const rows = await store.attainment(autocommit, auth.workspaceId, from.toISOString(), to.toISOString(), column, q.metric);
    const groups = new Map<string | null, { met: number; breached: number }>();
    for (const r of rows) {
      let key = r.key;
      if (q.by === 'period' && q.period === 'week' && key) {
        const d = new Date(`${key}T00:00:00Z`);
        key = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY).toISOString().slice(0, 10);
      }
      const g = groups.get(key) ?? { met: 0, breached: 0 };
      g.met += Number(r.met);
      g.breached += Number(r.breached);
      groups.set(key, g);
    }
    const figure = (key: string | null, g: { met: number; breached: number }) => {
      const total = g.met + g.breached;
      return { key, total, met: g.met, breached: g.breached, attainment: total ? Math.round((g.met / total) * 1000) / 10 : null };
    };
    const all = [...groups.values()].reduce((a, g) => ({ met: a.met + g.met, breached: a.breached + g.breached }), { met: 0, breached: 0 });
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      by: q.by === 'period' ? `period:${q.period}` : q.by,
      metric: q.metric ?? null,
      overall: figure(null, all),
      data: [...groups.entries()].map(([k, g]) => figure(k, g)),
    };
  }

  return {
    calendars,
    policies,
    sweep,
    attainment,
    /** This module's part of a customer's erasure. */
    eraseByCustomers: (tx: Tx, workspaceId: string, customerIds: string[]) => store.eraseByCustomers(tx, workspaceId, customerIds),
  };
}
export type SlaService = ReturnType<typeof createSlaService>;

function stripMeta(c: SlaCalendar): CreateSlaCalendar {
  const { id: _id, createdAt: _c, updatedAt: _u, ...rest } = c;
  return rest;
}

/** The desk's view of SLAs: a page of conversations' SLA in one query, and the inbox's due order. */
export function createSlaView(reads: SlaReads) {
  return {
    async ofConversations(workspaceId: string, ids: string[]): Promise<Map<string, ConversationSla>> {
      const out = new Map<string, ConversationSla>();
      for (const r of await reads.rowsOf(workspaceId, ids)) {
        let s = out.get(r.conversation_id);
        if (!s) {
          s = {
            policyId: r.policy_id ?? '',
            firstResponseDueAt: null,
            nextResponseDueAt: null,
            resolutionDueAt: null,
            breached: [],
            pausedSince: r.paused_since,
          };
          out.set(r.conversation_id, s);
        }
        if (!r.metric) continue;
        const metric = r.metric as SlaMetric;
        if (r.breached_at && !s.breached.includes(metric)) s.breached.push(metric);
        const due = num(r.due_ms);
        if (r.status !== 'open' || due === null) continue;
        if (metric === 'first_response') s.firstResponseDueAt = iso(due);
        else if (metric === 'next_response') s.nextResponseDueAt = iso(due);
        else s.resolutionDueAt = iso(due);
      }
      return out;
    },
    dueOrder: () => reads.dueOrder(),
  };
}
export type SlaView = ReturnType<typeof createSlaView>;
