// What ingest does with what a request carries before storing it: Segment's limits, dropping
// credentials from event bodies, and what a client (public) write key may say about identities.
import type { IdentityKey } from '../identity/identity.types.js';
import type { ParsedEvent } from './ingest.validate.js';
import type { IngestPrincipal } from './write-keys.service.js';

/** Segment's own limits: 2,500 events per batch (checked on the inflated body). */
export const MAX_BATCH_EVENTS = 2500;
/** Rejected events kept per workspace per minute; the rest are only counted. */
export const REJECTED_KEPT_PER_MINUTE = 1000;
/** Per-event rejection details in one response; the rest are counted in `rejectedCount`. */
export const MAX_REJECTIONS_IN_RESPONSE = 100;

/** Credentials never rest in the database: a write key sent inside an event is dropped. */
export function withoutCredentials(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const { writeKey: _writeKey, ...rest } = raw as Record<string, unknown>;
  const ctx = rest.context;
  if (ctx !== null && typeof ctx === 'object' && !Array.isArray(ctx) && 'writeKey' in ctx) {
    const { writeKey: _ctxKey, ...context } = ctx as Record<string, unknown>;
    return { ...rest, context };
  }
  return rest;
}

export function userHashOf(raw: unknown, batchContext: Record<string, unknown> | null): unknown {
  const ctx = raw !== null && typeof raw === 'object' && 'context' in raw ? raw.context : undefined;
  const own = ctx !== null && typeof ctx === 'object' && 'userHash' in ctx ? ctx.userHash : undefined;
  return own ?? batchContext?.userHash;
}

/**
 * What a client (public) key may do with identities: stitch anonymous ids, onto a user id only
 * when the back end signed it (context.userHash). It never links by email, phone or external
 * ids (anyone can type them into a web page), so it can neither attach events to a known
 * customer nor merge two; an unsigned user id becomes a separate client-only identity.
 */
export function asClientEvent(e: ParsedEvent, principal: IngestPrincipal, hash: unknown): ParsedEvent {
  const verified = e.userId !== null && principal.isVerifiedUser(e.userId, hash);
  const keys: IdentityKey[] = [];
  for (const k of e.keys) {
    if (k.kind === 'anonymous_id') keys.push(k);
    else if (k.kind === 'user_id') keys.push(verified ? k : { kind: 'client_user_id', value: k.value });
  }
  const either = e.either?.filter((k) => k.kind === 'anonymous_id');
  return { ...e, keys, either: either && either.length > 0 ? either : undefined, trusted: false };
}
