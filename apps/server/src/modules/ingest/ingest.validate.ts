// Parses one Segment-spec event (track, identify, page, screen, group, alias) into what the
// spine stores, or says in plain words why it cannot be accepted.
import { createHash } from 'node:crypto';
import type { IdentityKey } from '../identity/identity.types.js';

export const EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
const MAX_ID = 255;

export type ParsedEvent = {
  index: number;
  type: EventType;
  messageId: string | null;
  sourceId: string;
  userId: string | null;
  anonymousId: string | null;
  kind: string;
  name: string;
  channel: string | null;
  path: string | null;
  occurredAt: string;
  properties: Record<string, unknown>;
  propertiesJson: string;
  groupId: string | null;
  groupTraits: Record<string, unknown> | null;
  keys: IdentityKey[];
  either: IdentityKey[] | undefined;
  profile: { name: string | null; email: string | null; phone: string | null; traits: Record<string, unknown> } | null;
  /** false when a client (public) write key sent it: it may add data, never overwrite or merge. */
  trusted?: boolean;
};
export type Invalid = { index: number; messageId: string | null; type: string | null; reason: string; userId: string | null; anonymousId: string | null };

export type ParseContext = { receivedAtMs: number; sentAt: unknown; ip: string | null; batchContext: Record<string, unknown> | null; checkSize: boolean };

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const kindOf: Record<EventType, string> = { track: 'event', identify: 'identify', page: 'page', screen: 'screen', group: 'group', alias: 'alias' };
const channelOfSegment: Record<string, string> = { browser: 'web', client: 'web', mobile: 'app', server: 'server' };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

class Reject extends Error {}

function id(v: unknown, field: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new Reject(`${field} must be a string`);
  if (v.length > MAX_ID) throw new Reject(`${field} is longer than ${MAX_ID} characters`);
  if (v.includes('\u0000')) throw new Reject(`${field} must not contain NUL characters`);
  return v;
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new Reject(`${field} must be an object`);
  return v;
}

function str(v: unknown, field: string, max = 500): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Reject(`${field} must be a string`);
  if (v.length > max) throw new Reject(`${field} is longer than ${max} characters`);
  if (v.includes('\u0000')) throw new Reject(`${field} must not contain NUL characters`);
  return v;
}

function time(v: unknown, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') throw new Reject(`${field} must be an ISO 8601 timestamp`);
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new Reject(`${field} is not a valid ISO 8601 timestamp`);
  return ms;
}

export function normalizeEmail(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const e = v.trim().toLowerCase();
  return e.length <= 254 && EMAIL.test(e) && !e.includes('\u0000') ? e : null;
}

export function normalizePhone(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const p = String(v).replace(/[^\d+]/g, '');
  return p.length >= 5 && p.length <= 20 ? p : null;
}

function profileOf(traits: Record<string, unknown>): ParsedEvent['profile'] {
  const first = typeof traits.firstName === 'string' ? traits.firstName : typeof traits.first_name === 'string' ? traits.first_name : null;
  const last = typeof traits.lastName === 'string' ? traits.lastName : typeof traits.last_name === 'string' ? traits.last_name : null;
  const full = typeof traits.name === 'string' && traits.name.trim() ? traits.name : [first, last].filter(Boolean).join(' ');
  const name = full.replaceAll('\u0000', '').trim().slice(0, 200) || null;
  return { name, email: normalizeEmail(traits.email), phone: normalizePhone(traits.phone), traits };
}

function hash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 32);
}

export function parseEvent(raw: unknown, index: number, fixedType: EventType | null, ctx: ParseContext): ParsedEvent | Invalid {
  const bare = isObject(raw) ? raw : null;
  // What the rejected-events log keeps of an event: text columns never hold NUL characters.
  const loose = (v: unknown, max = MAX_ID) => (typeof v === 'string' || typeof v === 'number' ? String(v).replaceAll('\u0000', '').slice(0, max) : null);
  const messageId = bare && typeof bare.messageId === 'string' ? loose(bare.messageId, 100) : null;
  const base = {
    index,
    messageId,
    type: bare && typeof bare.type === 'string' ? loose(bare.type, 20) : fixedType,
    userId: loose(bare?.userId),
    anonymousId: loose(bare?.anonymousId),
  };
  try {
    if (!bare) throw new Reject('the event must be a JSON object');
    const rawType = fixedType ?? bare.type;
    if (typeof rawType !== 'string' || !(EVENT_TYPES as readonly string[]).includes(rawType)) throw new Reject(`type must be one of ${EVENT_TYPES.join(', ')}`);
    const type = rawType as EventType;
    if (bare.messageId !== undefined && typeof bare.messageId !== 'string') throw new Reject('messageId must be a string');
    if (typeof bare.messageId === 'string' && (bare.messageId.length === 0 || bare.messageId.length > 100 || bare.messageId.includes('\u0000'))) {
      throw new Reject('messageId must be 1 to 100 characters without NUL');
    }
    const userId = id(bare.userId, 'userId');
    const anonymousId = id(bare.anonymousId, 'anonymousId');
    if (!userId && !anonymousId) throw new Reject('userId or anonymousId is required');
    const properties = obj(bare.properties, 'properties');
    const traits = obj(bare.traits, 'traits');
    const context = { ...(ctx.batchContext ?? {}), ...obj(bare.context, 'context') };
    if (!context.ip && ctx.ip) context.ip = ctx.ip;

    // Clock skew: the device's clock is off by (sentAt - receivedAt); shift the timestamp by that.
    const sentAt = time(bare.sentAt ?? ctx.sentAt, 'sentAt');
    const stamped = time(bare.timestamp, 'timestamp') ?? time(bare.originalTimestamp, 'originalTimestamp');
    let occurredMs = stamped ?? ctx.receivedAtMs;
    if (stamped !== null && sentAt !== null) occurredMs = stamped + (ctx.receivedAtMs - sentAt);
    if (occurredMs > ctx.receivedAtMs + MAX_FUTURE_MS) throw new Reject('timestamp is more than 24 hours in the future (after clock-skew correction)');
    if (occurredMs < Date.UTC(1970, 0, 2)) throw new Reject('timestamp is before 1970');

    const keys: IdentityKey[] = [];
    if (userId) keys.push({ kind: 'user_id', value: userId });
    if (anonymousId) keys.push({ kind: 'anonymous_id', value: anonymousId });
    const contextTraits = isObject(context.traits) ? context.traits : {};
    const identityTraits = type === 'identify' ? { ...contextTraits, ...traits } : contextTraits;
    const email = normalizeEmail(identityTraits.email);
    const phone = normalizePhone(identityTraits.phone);
    if (email) keys.push({ kind: 'email', value: email });
    if (phone) keys.push({ kind: 'phone', value: phone });
    if (Array.isArray(context.externalIds)) {
      for (const x of context.externalIds.slice(0, 10)) {
        if (isObject(x) && typeof x.type === 'string' && (typeof x.id === 'string' || typeof x.id === 'number') && !`${x.type}${x.id}`.includes('\u0000'))
          keys.push({ kind: `external:${x.type.slice(0, 50)}`, value: String(x.id).slice(0, MAX_ID) });
      }
    }

    let name: string;
    let props: Record<string, unknown>;
    let either: IdentityKey[] | undefined;
    let groupId: string | null = null;
    let groupTraits: Record<string, unknown> | null = null;
    const page = isObject(context.page) ? context.page : {};
    const path = typeof properties.path === 'string' ? properties.path : typeof page.path === 'string' ? page.path : null;
    switch (type) {
      case 'track': {
        const event = str(bare.event, 'event', 200);
        if (!event || !event.trim()) throw new Reject('event is required for track');
        name = event;
        props = { ...properties, context };
        break;
      }
      case 'page':
      case 'screen': {
        const pageName = str(bare.name, 'name', 200);
        const category = str(bare.category, 'category', 200);
        name = pageName ?? (type === 'page' ? (path ?? 'Page Viewed') : 'Screen Viewed');
        props = { ...properties, ...(category ? { category } : {}), context };
        break;
      }
      case 'identify':
        name = 'Identified';
        props = { traits, context };
        break;
      case 'group': {
        groupId = id(bare.groupId, 'groupId');
        if (!groupId) throw new Reject('groupId is required for group');
        groupTraits = traits;
        name = 'Joined Group';
        props = { groupId, traits, context };
        break;
      }
      case 'alias': {
        const previousId = id(bare.previousId, 'previousId');
        if (!previousId) throw new Reject('previousId is required for alias');
        if (!userId) throw new Reject('userId is required for alias');
        either = [
          { kind: 'anonymous_id', value: previousId },
          { kind: 'user_id', value: previousId },
        ];
        name = 'Aliased';
        props = { previousId, context };
        break;
      }
    }
    // The size that counts is what is stored: properties, traits and context (plus ids), measured
    // on the JSON the interaction keeps anyway rather than on a second serialisation of the event.
    const propertiesJson = JSON.stringify(props);
    if (ctx.checkSize) {
      const approx = propertiesJson.length * 3 <= MAX_EVENT_BYTES ? propertiesJson.length : Buffer.byteLength(propertiesJson);
      if (approx + name.length + (userId?.length ?? 0) + (anonymousId?.length ?? 0) > MAX_EVENT_BYTES) throw new Reject('the event is larger than 32 KB');
    }
    const given = typeof properties.channel === 'string' ? properties.channel : typeof context.channel === 'string' ? context.channel : null;
    const explicit = given?.replaceAll('\u0000', '') || null;
    const segmentChannel = typeof bare.channel === 'string' ? (channelOfSegment[bare.channel] ?? null) : null;
    const channel = (explicit ?? segmentChannel ?? (type === 'page' ? 'web' : type === 'screen' ? 'app' : null))?.slice(0, 40) ?? null;
    const profileTraits = type === 'identify' ? identityTraits : null;
    return {
      index,
      type,
      messageId,
      // Without a messageId, the content is the dedupe key (minus what changes on a retry).
      sourceId: messageId ? `seg:${messageId}` : `seg:h:${hash({ ...bare, sentAt: null, writeKey: null, _metadata: null })}`,
      userId,
      anonymousId,
      kind: kindOf[type],
      name,
      channel: channel === 'server' ? null : channel,
      path,
      occurredAt: new Date(occurredMs).toISOString(),
      properties: props,
      propertiesJson,
      groupId,
      groupTraits,
      keys,
      either,
      profile: profileTraits ? profileOf(profileTraits) : email || phone ? { name: null, email, phone, traits: {} } : null,
    };
  } catch (err) {
    if (err instanceof Reject) return { ...base, reason: err.message };
    throw err;
  }
}

export const isInvalid = (p: ParsedEvent | Invalid): p is Invalid => 'reason' in p;
