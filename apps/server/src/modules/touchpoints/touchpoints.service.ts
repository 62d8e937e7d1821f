// The touchpoint catalogue, the stage and department lists, and classification. A workspace
// gets default lists and touchpoints the first time anything asks for them. Changing rules
// enqueues a background job that reclassifies past interactions and recomputes stages.
import {
  DEFAULT_DEPARTMENTS,
  DEFAULT_STAGES,
  type CreateTouchpoint,
  type ListItem,
  type Touchpoint,
  type TouchpointRule,
  type UpdateTouchpoint,
} from '@rapport/contracts';
import type { Transactions } from '../../platform/db/transactions.js';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import type { Db, Tx } from '../../platform/db/database.js';
import type { JourneySettingsRow, TouchpointRow } from '../../platform/db/schema.js';
import { notFound, invalid, conflict } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs.js';
import { compileClassifier, parseRules, type Classifier } from './touchpoint-match.js';
import type { TouchpointsStore } from './touchpoints.store.js';

export const RECLASSIFY_JOB = 'interactions.reclassify';
const CACHE_MS = 5_000;
/** Touchpoints per workspace: each one's rules run against every incoming event. */
export const MAX_TOUCHPOINTS = 200;

const label = (key: string) => (key.charAt(0).toUpperCase() + key.slice(1)).replaceAll('_', '-');

type DefaultTouchpoint = { key: string; name: string; channel: string | null; stage: string; department: string; critical: boolean; rules: TouchpointRule[] };
export const DEFAULT_TOUCHPOINTS: DefaultTouchpoint[] = [
  { key: 'pricing_page', name: 'Pricing page', channel: 'web', stage: 'research', department: 'marketing', critical: false, rules: [{ path: '/pricing**' }] },
  {
    key: 'product_page',
    name: 'Product page',
    channel: 'web',
    stage: 'research',
    department: 'marketing',
    critical: false,
    rules: [{ path: '/products/**' }, { event: 'Product Viewed' }],
  },
  {
    key: 'promotional_email',
    name: 'Promotional email',
    channel: 'email',
    stage: 'research',
    department: 'marketing',
    critical: false,
    rules: [{ event: 'Email Opened' }, { event: 'Email Link Clicked' }],
  },
  {
    key: 'signup',
    name: 'Sign-up',
    channel: 'web',
    stage: 'purchase',
    department: 'sales',
    critical: true,
    rules: [{ event: 'Signed Up' }, { path: '/signup**' }],
  },
  {
    key: 'checkout',
    name: 'Checkout',
    channel: 'web',
    stage: 'purchase',
    department: 'sales',
    critical: true,
    rules: [{ path: '/checkout**' }, { event: 'Checkout Started' }, { event: 'Order Completed' }],
  },
  {
    key: 'order_delivered',
    name: 'Order delivered',
    channel: null,
    stage: 'usage',
    department: 'operations',
    critical: true,
    rules: [{ event: 'Order Delivered' }, { event: 'Order Shipped' }],
  },
  {
    key: 'product_usage',
    name: 'Product usage',
    channel: 'app',
    stage: 'usage',
    department: 'product',
    critical: false,
    rules: [{ kind: 'screen' }, { event: 'Feature Used' }],
  },
  {
    key: 'invoice',
    name: 'Invoice',
    channel: 'email',
    stage: 'post_sales',
    department: 'operations',
    critical: false,
    rules: [{ event: 'Invoice Sent' }, { event: 'Invoice Paid' }],
  },
  {
    key: 'support_conversation',
    name: 'Support conversation',
    channel: null,
    stage: 'post_sales',
    department: 'service',
    critical: true,
    rules: [{ kind: 'conversation' }, { kind: 'message' }],
  },
  {
    key: 'review',
    name: 'Review or referral',
    channel: 'web',
    stage: 'advocacy',
    department: 'marketing',
    critical: false,
    rules: [{ event: 'Review Submitted' }, { event: 'Referral Sent' }],
  },
];

const toItems = (text: string): ListItem[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((x): x is ListItem => x !== null && typeof x === 'object' && typeof (x as ListItem).key === 'string') : [];
  } catch {
    return [];
  }
};

export const toTouchpoint = (r: TouchpointRow): Touchpoint => ({
  id: r.id,
  key: r.key,
  name: r.name,
  channel: r.channel,
  stage: r.stage,
  department: r.department,
  critical: Boolean(Number(r.critical)),
  position: Number(r.position),
  rules: parseRules(r.rules),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function createTouchpointsService(deps: { store: TouchpointsStore; transactions: Transactions; clock: Clock; audit: Audit; jobs: Jobs }) {
  const { store, clock, audit, jobs } = deps;
  const { autocommit } = deps.transactions;
  const transactions = deps.transactions;
  const cache = new Map<string, { at: number; classifier: Classifier }>();

  async function ensureDefaults(ex: Tx | Db, workspaceId: string): Promise<JourneySettingsRow> {
    const existing = await store.getSettings(ex, workspaceId);
    if (existing) return existing;
    // The settings row and the starter touchpoints appear together or not at all.
    if (!ex.isTransaction) return transactions.run((tx) => ensureDefaults(tx, workspaceId));
    const now = clock.nowIso();
    const row: JourneySettingsRow = {
      workspace_id: workspaceId,
      stages: JSON.stringify(DEFAULT_STAGES.map((key) => ({ key, name: label(key) }))),
      departments: JSON.stringify(DEFAULT_DEPARTMENTS.map((key) => ({ key, name: label(key) }))),
      updated_at: now,
    };
    if (await store.insertSettings(ex, row)) {
      await store.insertMany(
        ex,
        DEFAULT_TOUCHPOINTS.map((d, i) => ({
          workspace_id: workspaceId,
          id: newId('touchpoint'),
          key: d.key,
          name: d.name,
          channel: d.channel,
          stage: d.stage,
          department: d.department,
          critical: d.critical ? 1 : 0,
          position: (i + 1) * 10,
          rules: JSON.stringify(d.rules),
          created_at: now,
          updated_at: now,
        })),
      );
    }
    return (await store.getSettings(ex, workspaceId)) ?? row;
  }

  /** The workspace's compiled rules, cached briefly (other processes see changes within seconds). */
  async function classifierFor(ex: Tx | Db, workspaceId: string): Promise<Classifier> {
    const hit = cache.get(workspaceId);
    if (hit && clock.nowMs() - hit.at < CACHE_MS && hit.at <= clock.nowMs()) return hit.classifier;
    const settings = await ensureDefaults(ex, workspaceId);
    const classifier = compileClassifier(
      await store.list(ex, workspaceId),
      toItems(settings.stages).map((i) => i.key),
    );
    cache.set(workspaceId, { at: clock.nowMs(), classifier });
    return classifier;
  }

  async function enqueueReclassify(tx: Tx, workspaceId: string) {
    // The job is defined by workflows/reclassify.ts, which reaches the interactions it rewrites.
    await jobs.enqueue(tx, { workspaceId, type: RECLASSIFY_JOB, payload: {}, idempotencyKey: `${RECLASSIFY_JOB}:${newId('job')}`, coalesce: true });
  }

  async function validateRefs(ex: Tx | Db, workspaceId: string, input: { stage?: string | null | undefined; department?: string | null | undefined }) {
    const settings = await ensureDefaults(ex, workspaceId);
    if (input.stage && !toItems(settings.stages).some((s) => s.key === input.stage)) {
      throw invalid(`Unknown stage ${input.stage}`, [{ path: 'stage', message: 'not one of the workspace stages' }]);
    }
    if (input.department && !toItems(settings.departments).some((s) => s.key === input.department)) {
      throw invalid(`Unknown department ${input.department}`, [{ path: 'department', message: 'not one of the workspace departments' }]);
    }
  }

  async function changed(workspaceId: string) {
    cache.delete(workspaceId);
    jobs.poke();
  }

  async function getList(auth: AuthContext, which: 'stages' | 'departments') {
    requirePermission(auth, 'settings.read');
    const settings = await ensureDefaults(autocommit, auth.workspaceId);
    return { data: toItems(settings[which]) };
  }

  async function putList(auth: AuthContext, which: 'stages' | 'departments', items: ListItem[]) {
    requirePermission(auth, 'settings.manage');
    await transactions.run(async (tx) => {
      await ensureDefaults(tx, auth.workspaceId);
      const keys = new Set(items.map((i) => i.key));
      const field = which === 'stages' ? 'stage' : 'department';
      const using = (await store.list(tx, auth.workspaceId)).filter((t) => t[field] && !keys.has(t[field] ?? ''));
      if (using.length > 0) throw conflict(`Touchpoints still use the removed ${field}s: ${using.map((t) => t.key).join(', ')}`);
      await store.updateSettings(tx, auth.workspaceId, { [which]: JSON.stringify(items), updated_at: clock.nowIso() });
      await audit.record(tx, auth, { action: `${which}.updated`, objectType: 'workspace', objectId: auth.workspaceId, data: { keys: [...keys] } });
    });
    cache.delete(auth.workspaceId);
    return { data: items };
  }

  return {
    /** The workspace's classifier read anew (after its touchpoints changed). */
    async freshClassifier(ex: Tx | Db, workspaceId: string) {
      cache.delete(workspaceId);
      return classifierFor(ex, workspaceId);
    },
    classifierFor,
    ensureDefaults,
    /** Touchpoints by id (the timeline shows each interaction's touchpoint). */
    byIds: (workspaceId: string, ids: string[]) => store.getMany(autocommit, workspaceId, ids),
    byKey: (workspaceId: string, key: string) => store.getByKey(autocommit, workspaceId, key),

    async list(auth: AuthContext) {
      requirePermission(auth, 'settings.read');
      await ensureDefaults(autocommit, auth.workspaceId);
      return { data: (await store.list(autocommit, auth.workspaceId)).map(toTouchpoint), nextCursor: null };
    },

    async get(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.read');
      const row = await store.get(autocommit, auth.workspaceId, id);
      if (!row) throw notFound('Touchpoint');
      return toTouchpoint(row);
    },

    async create(auth: AuthContext, input: CreateTouchpoint): Promise<Touchpoint> {
      requirePermission(auth, 'settings.manage');
      const row = await transactions.run(async (tx) => {
        await validateRefs(tx, auth.workspaceId, input);
        if (await store.getByKey(tx, auth.workspaceId, input.key)) throw conflict(`A touchpoint with the key ${input.key} already exists`);
        const now = clock.nowIso();
        const existing = await store.list(tx, auth.workspaceId);
        if (existing.length >= MAX_TOUCHPOINTS)
          throw invalid(`A workspace has at most ${MAX_TOUCHPOINTS} touchpoints`, [{ path: 'key', message: 'too many touchpoints' }]);
        const last = existing.reduce((m, t) => Math.max(m, Number(t.position)), 0);
        const r: TouchpointRow = {
          workspace_id: auth.workspaceId,
          id: newId('touchpoint'),
          key: input.key,
          name: input.name,
          channel: input.channel ?? null,
          stage: input.stage ?? null,
          department: input.department ?? null,
          critical: input.critical ? 1 : 0,
          position: input.position ?? last + 10,
          rules: JSON.stringify(input.rules ?? []),
          created_at: now,
          updated_at: now,
        };
        await store.insertMany(tx, [r]);
        await audit.record(tx, auth, { action: 'touchpoint.created', objectType: 'touchpoint', objectId: r.id, data: { key: r.key } });
        if ((input.rules ?? []).length > 0) await enqueueReclassify(tx, auth.workspaceId);
        return r;
      });
      await changed(auth.workspaceId);
      return toTouchpoint(row);
    },

    async update(auth: AuthContext, id: string, patch: UpdateTouchpoint): Promise<Touchpoint> {
      requirePermission(auth, 'settings.manage');
      const row = await transactions.run(async (tx) => {
        const cur = await store.get(tx, auth.workspaceId, id);
        if (!cur) throw notFound('Touchpoint');
        await validateRefs(tx, auth.workspaceId, patch);
        if (patch.key && patch.key !== cur.key && (await store.getByKey(tx, auth.workspaceId, patch.key)))
          throw conflict(`A touchpoint with the key ${patch.key} already exists`);
        const next: Partial<TouchpointRow> = { updated_at: clock.nowIso() };
        if (patch.key !== undefined) next.key = patch.key;
        if (patch.name !== undefined) next.name = patch.name;
        if (patch.channel !== undefined) next.channel = patch.channel;
        if (patch.stage !== undefined) next.stage = patch.stage;
        if (patch.department !== undefined) next.department = patch.department;
        if (patch.critical !== undefined) next.critical = patch.critical ? 1 : 0;
        if (patch.position !== undefined) next.position = patch.position;
        if (patch.rules !== undefined) next.rules = JSON.stringify(patch.rules);
        await store.update(tx, auth.workspaceId, id, next);
        await audit.record(tx, auth, { action: 'touchpoint.updated', objectType: 'touchpoint', objectId: id, data: { fields: Object.keys(patch) } });
        const affectsClassification = ['rules', 'stage', 'department', 'position', 'channel'].some((f) => f in patch);
        if (affectsClassification) await enqueueReclassify(tx, auth.workspaceId);
        return { ...cur, ...next };
      });
      await changed(auth.workspaceId);
      return toTouchpoint(row);
    },

    async delete(auth: AuthContext, id: string) {
      requirePermission(auth, 'settings.manage');
      await transactions.run(async (tx) => {
        const cur = await store.get(tx, auth.workspaceId, id);
        if (!cur) throw notFound('Touchpoint');
        await store.delete(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'touchpoint.deleted', objectType: 'touchpoint', objectId: id, data: { key: cur.key } });
        await enqueueReclassify(tx, auth.workspaceId);
      });
      await changed(auth.workspaceId);
      return { ok: true as const };
    },

    getStages: (auth: AuthContext) => getList(auth, 'stages'),
    putStages: (auth: AuthContext, items: ListItem[]) => putList(auth, 'stages', items),
    getDepartments: (auth: AuthContext) => getList(auth, 'departments'),
    putDepartments: (auth: AuthContext, items: ListItem[]) => putList(auth, 'departments', items),
  };
}
export type TouchpointsService = ReturnType<typeof createTouchpointsService>;

/** The page path an interaction happened on: properties.path, or the context page path. */
export function pathOf(props: Record<string, unknown>): string | null {
  if (typeof props.path === 'string') return props.path;
  const ctx = props.context;
  if (ctx && typeof ctx === 'object' && !Array.isArray(ctx)) {
    const page = (ctx as Record<string, unknown>).page;
    if (page && typeof page === 'object' && !Array.isArray(page)) {
      const p = (page as Record<string, unknown>).path;
      if (typeof p === 'string') return p;
    }
  }
  return null;
}
