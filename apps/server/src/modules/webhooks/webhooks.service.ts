// Outgoing webhooks: subscriptions per workspace to domain event types, a log consumer that turns
// each matching event into one delivery row and one job in the transaction of its cursor, and
// the delivery job that signs (Standard Webhooks), sends through the egress guard and schedules
// the next attempt. See docs/webhooks.md for the contract receivers rely on.
import { randomBytes } from 'node:crypto';
import {
  MAX_WEBHOOKS,
  type CreateWebhook,
  type Page,
  type UpdateWebhook,
  type Webhook,
  type WebhookDelivery,
  type WebhookWithSecret,
} from '@rapport/contracts';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { z } from 'zod';
import { requirePermission, type AuthContext } from '../../platform/access.js';
import type { Audit } from '../../platform/audit.js';
import type { Clock } from '../../platform/clock.js';
import { decodeCursor, toPage } from '../../platform/cursor.js';
import type { Tx } from '../../platform/db/database.js';
import type { WebhookDeliveryRow, WebhookRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { toEnvelope } from '../../platform/domain-events.js';
import { conflict, notFound, rateLimited, unprocessable } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Jobs } from '../../platform/jobs.js';
import type { LogEntry, Logs } from '../../platform/logs.js';
import type { Mailer } from '../../platform/mailer.js';
import { EgressRefused, type EgressGuard } from '../../platform/ssrf.js';
import { DEFAULT_SEND, sendAttempt, type SendOptions } from './webhook-sender.js';
import type { WebhooksStore } from './webhooks.store.js';

export const WEBHOOK_DELIVER_JOB = 'webhooks.deliver';
export const WEBHOOK_DISABLED_MAIL_JOB = 'webhooks.disabled_mail';
export const FANOUT_CONSUMER = 'webhooks.fanout';

/**
 * The wait before each attempt, as Standard Webhooks suggests: at once, then 5 s, 5 min, 30 min,
 * 2 h, 5 h, 10 h and 10 h (eight attempts over about 27.6 hours).
 */
export const RETRY_SCHEDULE_MS = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];
/** A subscription is disabled when a delivery exhausts its retries and nothing has succeeded for this long. */
export const DISABLE_AFTER_MS = 24 * 3_600_000;
/** After a rotation the previous secret also signs for this long, so receivers can switch without loss. */
export const SECRET_GRACE_MS = 24 * 3_600_000;
/** Finished deliveries are kept this long. */
export const DELIVERY_RETENTION_MS = 30 * 86_400_000;
const MAX_PENDING_REDELIVERIES = 10;
const FIRE_HOSE = 'interaction.created';

const ZDeliverPayload = z.object({ deliveryId: z.string(), attempt: z.number().int().min(1) });
const ZDisabledMailPayload = z.object({ webhookId: z.string(), reason: z.string() });

export type AdminContacts = { adminContacts(workspaceId: string): Promise<{ workspaceName: string | null; emails: string[] }> };

export type WebhooksDeps = {
  store: WebhooksStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  jobs: Jobs;
  logs: Logs;
  mailer: Mailer;
  /** Owners and admins of a workspace (the workspaces service), told when a webhook is disabled. */
  admins: AdminContacts;
  guard: EgressGuard;
  publicUrl: string;
  send?: Partial<SendOptions>;
};

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const parseEvents = (text: string): string[] => {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
};

function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id,
    url: r.url,
    events: parseEvents(r.events) as Webhook['events'],
    description: r.description,
    includeInternal: Number(r.include_internal) === 1,
    enabled: Number(r.enabled) === 1,
    disabledReason: r.disabled_reason,
    disabledAt: r.disabled_at,
    failingSince: r.failing_since,
    lastSuccessAt: r.last_success_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

type DeliverySummary = Omit<WebhookDeliveryRow, 'payload'>;
const isStatus = (s: string): s is WebhookDelivery['status'] => s === 'pending' || s === 'succeeded' || s === 'failed';

function toDelivery(r: DeliverySummary): WebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    messageId: r.message_id,
    eventType: r.event_type,
    status: isStatus(r.status) ? r.status : 'failed',
    manual: Number(r.manual) === 1,
    redeliveryOf: r.redelivery_of,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastResponse: r.last_response,
    lastError: r.last_error,
    lastDurationMs: r.last_duration_ms === null ? null : Number(r.last_duration_ms),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deliveredAt: r.delivered_at,
  };
}

/** Whether a subscription takes an event: named (or "*", which leaves out the ingest fire hose), and internal ones only when asked for. */
function wants(sub: { events: string[]; includeInternal: boolean; createdAt: string }, entry: LogEntry, internal: boolean): boolean {
  if (entry.created_at < sub.createdAt) return false;
  if (internal && !sub.includeInternal) return false;
  return sub.events.includes(entry.type) || (sub.events.includes('*') && entry.type !== FIRE_HOSE);
}

export function createWebhooksService(deps: WebhooksDeps) {
  const { store, transactions, clock, audit, jobs, guard } = deps;
  const { autocommit } = transactions;
  const sendOptions: SendOptions = { ...DEFAULT_SEND, ...deps.send };

  async function requireWebhook(ex: Tx | typeof autocommit, workspaceId: string, id: string) {
    const row = await store.get(ex, workspaceId, id);
    if (!row) throw notFound('Webhook');
    return row;
  }

  /** The create-time half of the guard: a URL that cannot be delivered to is refused now (422). */
  async function checkTarget(url: string) {
    try {
      await guard.check(new URL(url));
    } catch (err) {
      if (err instanceof EgressRefused) throw unprocessable(`The webhook URL is refused: ${err.message}`);
      throw err;
    }
  }

  /** Signatures of one attempt: the current secret, and the previous one during its grace period. */
  function signatures(sub: WebhookRow, messageId: string, at: Date, body: string): string {
    const sigs = [new StandardWebhook(sub.secret).sign(messageId, at, body)];
    if (sub.previous_secret && sub.previous_secret_until && sub.previous_secret_until > at.toISOString()) {
      sigs.push(new StandardWebhook(sub.previous_secret).sign(messageId, at, body));
    }
    return sigs.join(' ');
  }

  const deliver = jobs.define(WEBHOOK_DELIVER_JOB, ZDeliverPayload, async (job) => {
    const { deliveryId, attempt } = job.payload;
    const d = await store.getDelivery(autocommit, job.workspaceId, deliveryId);
    // Erased, deleted with its webhook, finished, or a repeat of an attempt already recorded.
    if (!d || d.status !== 'pending' || Number(d.attempts) !== attempt - 1) return;
    const sub = await store.get(autocommit, job.workspaceId, d.webhook_id);
    if (!sub || Number(sub.enabled) !== 1) {
      await store.updateDelivery(autocommit, job.workspaceId, d.id, {
        status: 'failed',
        next_attempt_at: null,
        last_error: 'the webhook is disabled',
        updated_at: clock.nowIso(),
      });
      return;
    }
    const at = clock.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Rapport-Webhooks/1',
      'webhook-id': d.message_id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatures(sub, d.message_id, at, d.payload),
    };
    const result = await sendAttempt(guard, sub.url, headers, d.payload, sendOptions);
    const now = clock.nowIso();
    const manual = Number(d.manual) === 1;
    const gone = result.status === 410;
    const more = !result.ok && !gone && !manual && attempt < RETRY_SCHEDULE_MS.length;
    const nextAt = more ? new Date(clock.nowMs() + (RETRY_SCHEDULE_MS[attempt] ?? 0)).toISOString() : null;
    const disabled = await transactions.run(async (tx): Promise<string | null> => {
      await store.updateDelivery(tx, job.workspaceId, d.id, {
        status: result.ok ? 'succeeded' : more ? 'pending' : 'failed',
        attempts: attempt,
        next_attempt_at: nextAt,
        last_attempt_at: now,
        last_status: result.status,
        last_response: result.body,
        last_error: result.error ? result.error.slice(0, 1000) : null,
        last_duration_ms: result.durationMs,
        updated_at: now,
        ...(result.ok ? { delivered_at: now } : {}),
      });
      if (result.ok) {
        await store.update(tx, job.workspaceId, sub.id, { failing_since: null, last_success_at: now });
        return null;
      }
      const failingSince = sub.failing_since ?? now;
      if (!sub.failing_since) await store.update(tx, job.workspaceId, sub.id, { failing_since: now });
      if (more && nextAt) {
        await deliver.enqueue(tx, {
          workspaceId: job.workspaceId,
          payload: { deliveryId: d.id, attempt: attempt + 1 },
          idempotencyKey: `webhook:${d.id}:${attempt + 1}`,
          runAt: nextAt,
          maxAttempts: 3,
        });
        return null;
      }
      const reason = gone
        ? 'The endpoint answered 410 Gone'
        : !manual && Date.parse(now) - Date.parse(failingSince) >= DISABLE_AFTER_MS
          ? `Every attempt since ${failingSince} failed (last: ${result.error ?? 'no answer'})`
          : null;
      if (!reason || !(await store.disable(tx, job.workspaceId, sub.id, reason, now))) return null;
      await store.failPending(tx, job.workspaceId, sub.id, 'the webhook was disabled', now);
      await audit.record(
        tx,
        { workspaceId: job.workspaceId, userId: null, ip: null },
        { action: 'webhook.disabled', objectType: 'webhook', objectId: sub.id, data: { reason } },
      );
      await disabledMail.enqueue(tx, {
        workspaceId: job.workspaceId,
        payload: { webhookId: sub.id, reason },
        idempotencyKey: `webhook-disabled:${sub.id}:${now}`,
      });
      return reason;
    });
    if (more || disabled !== null) jobs.poke();
  });

  const disabledMail = jobs.define(WEBHOOK_DISABLED_MAIL_JOB, ZDisabledMailPayload, async (job) => {
    const sub = await store.get(autocommit, job.workspaceId, job.payload.webhookId);
    if (!sub) return;
    const { workspaceName, emails } = await deps.admins.adminContacts(job.workspaceId);
    if (emails.length === 0) return;
    const where = workspaceName ?? 'your workspace';
    const settings = `${deps.publicUrl.replace(/\/$/, '')}/settings/webhooks`;
    await deps.mailer.send({
      to: emails.join(', '),
      subject: `A webhook of ${where} was disabled`,
      text:
        `Rapport stopped sending events to a webhook of ${where}:\n\n  ${sub.url}\n\nReason: ${job.payload.reason}\n\n` +
        `Its delivery log shows each attempt's answer. Once the endpoint works, enable the webhook again and redeliver what it missed: ${settings}\n`,
    });
  });

  // Fan-out: every domain event, in log order, becomes one delivery per subscription that wants it,
  // written with a job per delivery in the transaction that moves this consumer's cursor.
  deps.logs.define({
    name: FANOUT_CONSUMER,
    log: 'domain_events',
    batch: 500,
    // The ingest firehose only while some enabled subscription names it ('*' leaves it out).
    types: async (ex) => ((await store.anyEnabledWanting(ex, FIRE_HOSE)) ? 'all' : { except: [FIRE_HOSE] }),
    async handle(tx, entries) {
      const workspaceIds = [...new Set(entries.map((e) => e.workspace_id))];
      const subs = (await store.enabledIn(tx, workspaceIds)).map((r) => ({
        row: r,
        events: parseEvents(r.events),
        includeInternal: Number(r.include_internal) === 1,
        createdAt: r.created_at,
      }));
      if (subs.length === 0) return;
      const now = clock.nowIso();
      const rows: WebhookDeliveryRow[] = [];
      for (const entry of entries) {
        const mine = subs.filter((s) => s.row.workspace_id === entry.workspace_id);
        if (mine.length === 0) continue;
        const { scope, ...envelope } = toEnvelope(entry);
        const payload = JSON.stringify(envelope);
        for (const s of mine) {
          if (!wants(s, entry, scope.internal === true)) continue;
          rows.push({
            workspace_id: entry.workspace_id,
            id: newId('webhookDelivery'),
            webhook_id: s.row.id,
            message_id: envelope.id,
            event_type: entry.type,
            payload,
            status: 'pending',
            manual: 0,
            redelivery_of: null,
            attempts: 0,
            next_attempt_at: now,
            last_attempt_at: null,
            last_status: null,
            last_response: null,
            last_error: null,
            last_duration_ms: null,
            created_at: now,
            updated_at: now,
            delivered_at: null,
          });
        }
      }
      if (rows.length === 0) return;
      await store.insertDeliveries(tx, rows);
      for (const r of rows) {
        await deliver.enqueue(tx, {
          workspaceId: r.workspace_id,
          payload: { deliveryId: r.id, attempt: 1 },
          idempotencyKey: `webhook:${r.id}:1`,
          maxAttempts: 3,
        });
      }
      return () => jobs.poke();
    },
    // An event that keeps failing to fan out is passed (logs.ts logs it) rather than holding up
    // every later event of its partition's workspaces.
    async poison() {},
  });

  return {
    async list(auth: AuthContext): Promise<Page<Webhook>> {
      requirePermission(auth, 'settings.manage');
      return { data: (await store.list(autocommit, auth.workspaceId)).map(toWebhook), nextCursor: null };
    },

    async get(auth: AuthContext, id: string): Promise<Webhook> {
      requirePermission(auth, 'settings.manage');
      return toWebhook(await requireWebhook(autocommit, auth.workspaceId, id));
    },

    async create(auth: AuthContext, input: CreateWebhook): Promise<WebhookWithSecret> {
      requirePermission(auth, 'settings.manage');
      await checkTarget(input.url);
      const now = clock.nowIso();
      const row: WebhookRow = {
        workspace_id: auth.workspaceId,
        id: newId('webhook'),
        url: input.url,
        events: JSON.stringify(input.events),
        description: input.description || null,
        include_internal: input.includeInternal ? 1 : 0,
        enabled: input.enabled === false ? 0 : 1,
        secret: newSecret(),
        previous_secret: null,
        previous_secret_until: null,
        disabled_reason: null,
        disabled_at: input.enabled === false ? now : null,
        failing_since: null,
        last_success_at: null,
        created_at: now,
        updated_at: now,
      };
      await transactions.run(async (tx) => {
        if ((await store.count(tx, auth.workspaceId)) >= MAX_WEBHOOKS) throw conflict(`A workspace has at most ${MAX_WEBHOOKS} webhooks; delete one first`);
        await store.insert(tx, row);
        await audit.record(tx, auth, { action: 'webhook.created', objectType: 'webhook', objectId: row.id, data: { url: row.url, events: input.events } });
      });
      return { ...toWebhook(row), secret: row.secret };
    },

    async update(auth: AuthContext, id: string, patch: UpdateWebhook): Promise<Webhook> {
      requirePermission(auth, 'settings.manage');
      const current = await requireWebhook(autocommit, auth.workspaceId, id);
      if (patch.url !== undefined && patch.url !== current.url) await checkTarget(patch.url);
      const now = clock.nowIso();
      const set: Partial<WebhookRow> = { updated_at: now };
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
      if (patch.description !== undefined) set.description = patch.description || null;
      if (patch.includeInternal !== undefined) set.include_internal = patch.includeInternal ? 1 : 0;
      const wasEnabled = Number(current.enabled) === 1;
      if (patch.enabled === true && !wasEnabled) Object.assign(set, { enabled: 1, disabled_reason: null, disabled_at: null, failing_since: null });
      if (patch.enabled === false && wasEnabled) Object.assign(set, { enabled: 0, disabled_reason: null, disabled_at: now });
      await transactions.run(async (tx) => {
        await store.update(tx, auth.workspaceId, id, set);
        if (set.enabled === 0) await store.failPending(tx, auth.workspaceId, id, 'the webhook was disabled', now);
        const changed = Object.keys(patch);
        await audit.record(tx, auth, {
          action: 'webhook.updated',
          objectType: 'webhook',
          objectId: id,
          data: { changed, ...(patch.url ? { url: patch.url } : {}) },
        });
      });
      return toWebhook(await requireWebhook(autocommit, auth.workspaceId, id));
    },

    async delete(auth: AuthContext, id: string): Promise<{ ok: true }> {
      requirePermission(auth, 'settings.manage');
      await transactions.run(async (tx) => {
        const row = await requireWebhook(tx, auth.workspaceId, id);
        await store.delete(tx, auth.workspaceId, id);
        await audit.record(tx, auth, { action: 'webhook.deleted', objectType: 'webhook', objectId: id, data: { url: row.url } });
      });
      return { ok: true };
    },

    /** A new secret, shown once; the previous one keeps signing alongside for SECRET_GRACE_MS. */
    async rotateSecret(auth: AuthContext, id: string): Promise<WebhookWithSecret> {
      requirePermission(auth, 'settings.manage');
      const secret = newSecret();
      const row = await transactions.run(async (tx) => {
        const current = await requireWebhook(tx, auth.workspaceId, id);
        const now = clock.nowIso();
        const set = {
          secret,
          previous_secret: current.secret,
          previous_secret_until: new Date(clock.nowMs() + SECRET_GRACE_MS).toISOString(),
          updated_at: now,
        };
        await store.update(tx, auth.workspaceId, id, set);
        await audit.record(tx, auth, { action: 'webhook.secret_rotated', objectType: 'webhook', objectId: id });
        return { ...current, ...set };
      });
      return { ...toWebhook(row), secret };
    },

    async listDeliveries(
      auth: AuthContext,
      id: string,
      q: { limit: number; cursor?: string | undefined; status?: WebhookDelivery['status'] | undefined },
    ): Promise<Page<WebhookDelivery>> {
      requirePermission(auth, 'settings.manage');
      await requireWebhook(autocommit, auth.workspaceId, id);
      const after = decodeCursor(q.cursor, 1);
      const rows = await store.listDeliveries(autocommit, auth.workspaceId, id, {
        limit: q.limit,
        beforeId: after ? String(after[0]) : undefined,
        status: q.status,
      });
      return toPage(rows, q.limit, (r) => [r.id], toDelivery);
    },

    async getDelivery(auth: AuthContext, id: string, deliveryId: string): Promise<WebhookDelivery & { payload: string }> {
      requirePermission(auth, 'settings.manage');
      await requireWebhook(autocommit, auth.workspaceId, id);
      const d = await store.getDelivery(autocommit, auth.workspaceId, deliveryId);
      if (!d || d.webhook_id !== id) throw notFound('Delivery');
      return { ...toDelivery(d), payload: d.payload };
    },

    /** One more attempt of a delivery's exact body under the same webhook-id (receivers dedupe by it); no retries. */
    async redeliver(auth: AuthContext, id: string, deliveryId: string): Promise<WebhookDelivery> {
      requirePermission(auth, 'settings.manage');
      const sub = await requireWebhook(autocommit, auth.workspaceId, id);
      const d = await store.getDelivery(autocommit, auth.workspaceId, deliveryId);
      if (!d || d.webhook_id !== id) throw notFound('Delivery');
      if (Number(sub.enabled) !== 1) throw conflict('The webhook is disabled: enable it, then redeliver');
      if ((await store.countPendingManual(autocommit, auth.workspaceId, id)) >= MAX_PENDING_REDELIVERIES) {
        throw rateLimited(`At most ${MAX_PENDING_REDELIVERIES} redeliveries of a webhook wait at once`, 60);
      }
      const now = clock.nowIso();
      const row: WebhookDeliveryRow = {
        ...d,
        id: newId('webhookDelivery'),
        status: 'pending',
        manual: 1,
        redelivery_of: d.redelivery_of ?? d.id,
        attempts: 0,
        next_attempt_at: now,
        last_attempt_at: null,
        last_status: null,
        last_response: null,
        last_error: null,
        last_duration_ms: null,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      };
      await transactions.run(async (tx) => {
        await store.insertDeliveries(tx, [row]);
        await deliver.enqueue(tx, {
          workspaceId: auth.workspaceId,
          payload: { deliveryId: row.id, attempt: 1 },
          idempotencyKey: `webhook:${row.id}:1`,
          maxAttempts: 3,
        });
        await audit.record(tx, auth, {
          action: 'webhook.redelivered',
          objectType: 'webhook',
          objectId: id,
          data: { deliveryId: d.id, messageId: d.message_id },
        });
      });
      jobs.poke();
      return toDelivery(row);
    },

    /** GDPR erasure (the privacy workflow): delivery copies of events naming any of these ids go too. */
    eraseMentions: (tx: Tx, workspaceId: string, needles: string[], keepTypes: readonly string[]) => store.eraseMentions(tx, workspaceId, needles, keepTypes),

    /** Retention sweep: finished deliveries older than DELIVERY_RETENTION_MS. */
    async prune(): Promise<number> {
      const before = new Date(clock.nowMs() - DELIVERY_RETENTION_MS).toISOString();
      let total = 0;
      for (;;) {
        const n = await store.prune(autocommit, before);
        total += n;
        if (n < 5_000) return total;
      }
    },
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
