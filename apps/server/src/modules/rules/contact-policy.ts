// The one contact policy every proactive message and survey goes through: at most N per
// customer per period, quiet hours in the customer's time zone (a message waits until they end),
// and support-aware suppression — no marketing message or survey while the customer has a case
// open, a breached SLA or a recent negative feeling. A rule whose purpose is `service` (an
// apology, a delay notice) is not held back by suppression or the cap; quiet hours still apply.
import { durationSeconds, ZContactPolicy, type ContactPolicy } from '@rapport/contracts';
import { DateTime } from 'luxon';
import type { Tx } from '../../platform/db/database.js';
import type { CustomerRow } from '../../platform/db/schema.js';
import { parseJsonObject } from '../../platform/json.js';
import type { RulesStore } from './rules.store.js';

export type PolicyVerdict = { ok: true } | { ok: false; reason: string } | { ok: false; deferUntil: string; reason: string };

export const DEFAULT_POLICY: ContactPolicy = ZContactPolicy.parse({});

export function validZone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** When quiet hours hold `at` in `zone`, the instant they end; otherwise null. */
export function quietUntil(policy: ContactPolicy, zone: string, atMs: number): string | null {
  const q = policy.quietHours;
  if (!q || q.start === q.end) return null;
  const local = DateTime.fromMillis(atMs, { zone: validZone(zone) ? zone : policy.timezone });
  const now = local.hour * 60 + local.minute;
  const [start, end] = [minutes(q.start), minutes(q.end)];
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  let until = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  if (until <= local) until = until.plus({ days: 1 });
  return until.toUTC().toISO() as string;
}

export function createContactPolicy(deps: { store: RulesStore; openCountOf: (tx: Tx, workspaceId: string, customerId: string) => Promise<number> }) {
  const { store } = deps;

  async function get(tx: Tx | Parameters<RulesStore['getPolicy']>[0], workspaceId: string): Promise<ContactPolicy> {
    const row = await store.getPolicy(tx, workspaceId);
    if (!row) return DEFAULT_POLICY;
    const parsed = ZContactPolicy.safeParse(JSON.parse(row.policy));
    return parsed.success ? parsed.data : DEFAULT_POLICY;
  }

  return {
    get,
    /**
     * Whether a proactive message (or survey) may reach the customer now; in the caller's
     * transaction, which records the contact (`record`) if it goes.
     */
    async check(tx: Tx, workspaceId: string, customer: CustomerRow, purpose: 'service' | 'marketing' | 'survey', nowMs: number): Promise<PolicyVerdict> {
      const policy = await get(tx, workspaceId);
      if (purpose !== 'service') {
        if (policy.suppressWhileOpenConversation && (await deps.openCountOf(tx, workspaceId, customer.id)) > 0)
          return { ok: false, reason: 'suppressed: the customer has a conversation open' };
        if (policy.suppressWhileBreachedSla && (await store.hasBreach(tx, workspaceId, customer.id)))
          return { ok: false, reason: 'suppressed: the customer has a breached SLA' };
        if (policy.negativeFeelingBelow !== null && customer.feeling_score !== null && customer.feeling_score !== undefined && customer.feeling_at) {
          const within = (durationSeconds(policy.negativeWithin) ?? 0) * 1000;
          if (Number(customer.feeling_score) < policy.negativeFeelingBelow && nowMs - Date.parse(customer.feeling_at) <= within)
            return { ok: false, reason: `suppressed: the customer's feeling is negative (${Number(customer.feeling_score).toFixed(2)})` };
        }
        if (policy.maxMessages > 0) {
          const since = new Date(nowMs - (durationSeconds(policy.period) ?? 0) * 1000).toISOString();
          const n = await store.contactsSince(tx, workspaceId, customer.id, since);
          if (n >= policy.maxMessages) return { ok: false, reason: `capped: ${n} messages already in ${policy.period}` };
        }
      }
      const zone = parseJsonObject(customer.traits).timezone;
      const until = quietUntil(policy, typeof zone === 'string' ? zone : policy.timezone, nowMs);
      if (until) return { ok: false, deferUntil: until, reason: `quiet hours until ${until}` };
      return { ok: true };
    },
    record: (tx: Tx, workspaceId: string, customerId: string, at: string, source: string, ref: string) =>
      store.insertContact(tx, { workspace_id: workspaceId, customer_id: customerId, at, source, ref }),
  };
}
export type ContactPolicyService = ReturnType<typeof createContactPolicy>;
