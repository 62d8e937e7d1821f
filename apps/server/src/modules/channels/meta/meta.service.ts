// WhatsApp Cloud API and Messenger (Meta): the webhook (handshake, signed posts, messages and
// delivery statuses), and the senders through the Graph API, which keep Meta's 24-hour
// customer-service window: outside it, WhatsApp takes only approved templates and Messenger only
// a human agent's reply within 7 days (the HUMAN_AGENT tag). See docs/channels.md.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ZMessengerEvent } from '@rapport/contracts';
import { ZMetaWebhook, ZWhatsAppValue, type InboxChannel } from '@rapport/contracts';
import type { z } from 'zod';
import type { Clock } from '../../../platform/clock.js';
import { forbidden, invalid, notFound } from '../../../platform/errors.js';
import type { Inbound } from '../inbound.js';
import type { InboxesService, InboxRecord } from '../inboxes.service.js';
import type { DeliveryContext, Outbound, Sender } from '../outbound.js';
import { PermanentDeliveryError } from '../outbound.js';
import { failureOf, postToProvider, readLimited, str } from '../provider-http.js';
import { receiveOnce } from '../receive-once.js';

/** Media files fetched from the Graph API for one webhook post; more are kept as placeholders. */
export const MAX_MEDIA_PER_POST = 10;

export const WINDOW_MS = 24 * 3_600_000;
export const HUMAN_AGENT_MS = 7 * 24 * 3_600_000;
export const PSID_KIND = 'messenger_psid';

/** Equal strings, compared in constant time (as bytes of their SHA-256, so lengths do not leak). */
function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'rapport').update(a).digest();
  const hb = createHmac('sha256', 'rapport').update(b).digest();
  return timingSafeEqual(ha, hb);
}

const isMeta = (inbox: InboxRecord | null): inbox is InboxRecord => !!inbox && (inbox.channel === 'whatsapp' || inbox.channel === 'messenger');

/** A WhatsApp number the entry is for: its phone number id (the inbox address or setting), or its display number. */
function waAddressed(inbox: InboxRecord, phoneNumberId: string, display: string | undefined): boolean {
  if (inbox.channel !== 'whatsapp') return false;
  const id = str(inbox.settings.phoneNumberId);
  if (id) return id === phoneNumberId;
  return inbox.address === phoneNumberId || (!!display && inbox.address === `+${display.replace(/\D/g, '')}`);
}
const pageAddressed = (inbox: InboxRecord, pageId: string) => inbox.channel === 'messenger' && (str(inbox.settings.pageId) ?? inbox.address) === pageId;

/** An agent's `/template name[@language] [param | param…]` reply (WhatsApp). */
export function parseTemplate(body: string): { name: string; language: string | null; params: string[] } | null {
  const m = /^\/template\s+([a-z0-9_]{1,512})(?:@([A-Za-z_]{2,15}))?(?:\s+([\s\S]*))?$/.exec(body.trim());
  if (!m || !m[1]) return null;
  const rest = (m[3] ?? '').trim();
  return {
    name: m[1],
    language: m[2] ?? null,
    params:
      rest === ''
        ? []
        : rest
            .split('|')
            .map((p) => p.trim())
            .slice(0, 20),
  };
}

export type MetaPost = { inboxId: string; signature: string | undefined; raw: Buffer };

export function createMeta(deps: {
  inboxes: InboxesService;
  inbound: Inbound;
  outbound: Outbound;
  clock: Clock;
  graphUrl: string;
  /** The customer's page-scoped id on a Messenger page (identity `messenger_psid` = `<pageId>:<psid>`). */
  psidOf: (workspaceId: string, customerId: string, pageId: string) => Promise<string | null>;
}) {
  const { inboxes, inbound, outbound, clock } = deps;
  const graphUrl = deps.graphUrl.replace(/\/+$/, '');

  async function metaInbox(inboxId: string): Promise<InboxRecord> {
    const inbox = await inboxes.getRecord(inboxId);
    if (!isMeta(inbox) || !inbox.enabled) throw notFound('WhatsApp or Messenger inbox');
    return inbox;
  }

  /**
   * The inbox an entry is for, if this post may write to it. Meta signs a whole post with one app
   * secret, so an entry is taken only for an inbox of the same workspace holding that same secret
   * (one Meta app serving several numbers or pages): another workspace's inbox, or one of another
   * app, named in a body signed with this secret, is ignored.
   */
  async function targetOf(path: InboxRecord, channel: InboxChannel, matches: (i: InboxRecord) => boolean, address: string[]): Promise<InboxRecord | null> {
    if (matches(path)) return path;
    for (const a of address) {
      const other = await inboxes.findByAddress(channel, a, path.workspaceId);
      if (!other || !matches(other) || other.workspaceId !== path.workspaceId || !other.enabled) continue;
      const secret = other.secrets.appSecret;
      if (secret && path.secrets.appSecret && safeEqual(secret, path.secrets.appSecret)) return other;
    }
    return null;
  }

  async function onWhatsApp(path: InboxRecord, value: z.infer<typeof ZWhatsAppValue>, counts: Counts) {
    const { phone_number_id: id, display_phone_number: display } = value.metadata;
    const target = await targetOf(path, 'whatsapp', (i) => waAddressed(i, id, display), [id, ...(display ? [`+${display.replace(/\D/g, '')}`] : [])]);
    if (!target) {
      counts.ignored += (value.messages?.length ?? 0) + (value.statuses?.length ?? 0);
      return;
    }
    const names = new Map((value.contacts ?? []).map((c) => [c.wa_id, c.profile?.name]));
    for (const m of value.messages ?? []) {
      const media = m.image ?? m.video ?? m.audio ?? m.sticker ?? m.document;
      // At most MAX_MEDIA_PER_POST files are fetched per post (review finding M7): one signed post
      // must not turn into thousands of calls to Meta from this server's address.
      const file = media?.id && counts.media++ < MAX_MEDIA_PER_POST ? await fetchMedia(target, media.id, inbound.maxAttachmentBytes) : null;
      const text = m.text?.body ?? m.button?.text ?? media?.caption ?? (file ? '' : media?.filename ? `[document] ${media.filename}` : `[${m.type} message]`);
      const name = names.get(m.from);
      const contentType = (media?.mime_type ?? file?.contentType ?? 'application/octet-stream').split(';')[0]?.trim() ?? 'application/octet-stream';
      const attachments = file
        ? [{ filename: media?.filename ?? `${m.type}-1.${contentType.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin'}`, contentType, content: file.content }]
        : [];
      await receiveOnce(inbound, {
        inbox: target,
        contact: { phone: `+${m.from}`, ...(name ? { name } : {}) },
        message: { body: text || (file ? `[${m.type}]` : `[${m.type} message]`), externalId: m.id, attachments },
        thread: { continueLatest: true },
      });
      counts.received++;
    }
    for (const s of value.statuses ?? []) {
      const ref = { channel: target.channel, externalId: s.id };
      const e = s.errors?.[0];
      if (s.status === 'sent') await outbound.updateDelivery(target.workspaceId, ref, 'sent');
      else if (s.status === 'delivered' || s.status === 'read') await outbound.updateDelivery(target.workspaceId, ref, 'delivered');
      else if (s.status === 'failed') {
        const detail = e ? [e.code, e.title ?? e.message].filter((x) => x !== undefined && x !== '').join(' ') : '';
        await outbound.updateDelivery(target.workspaceId, ref, 'failed', `WhatsApp: failed${detail ? ` (${detail})` : ''}`);
      } else continue;
      counts.statuses++;
    }
  }

  async function onMessenger(path: InboxRecord, pageId: string, events: Array<z.infer<typeof ZMessengerEvent>>, counts: Counts) {
    const target = await targetOf(path, 'messenger', (i) => pageAddressed(i, pageId), [pageId]);
    if (!target) {
      counts.ignored += events.length;
      return;
    }
    for (const e of events) {
      if (e.message && !e.message.is_echo) {
        // The page's own messages come back as echoes; only the customer's are received.
        if (e.recipient.id !== pageId) continue;
        const body = e.message.text ?? (e.message.attachments?.length ? e.message.attachments.map((a) => `[${a.type ?? 'attachment'}]`).join(' ') : '');
        await receiveOnce(inbound, {
          inbox: target,
          contact: { identity: { kind: PSID_KIND, value: `${pageId}:${e.sender.id}` } },
          message: { body: body || '(empty message)', externalId: e.message.mid },
          thread: { continueLatest: true },
        });
        counts.received++;
      } else if (e.delivery?.mids) {
        for (const mid of e.delivery.mids) await outbound.updateDelivery(target.workspaceId, { channel: 'messenger', externalId: mid }, 'delivered');
        counts.statuses += e.delivery.mids.length;
      }
    }
  }

  type Counts = { received: number; statuses: number; ignored: number; media: number };

  /**
   * A WhatsApp media file: its URL asked of the Graph API by id (digits only) with the inbox's
   * token, then fetched with that token. Only the configured Graph API is named by the post; the
   * file's URL is Meta's answer. Anything that fails leaves a placeholder instead.
   */
  async function fetchMedia(inbox: InboxRecord, mediaId: string, budget: number): Promise<{ content: Buffer; contentType: string } | null> {
    const token = inbox.secrets.accessToken;
    if (!token || !/^\d{1,32}$/.test(mediaId)) return null;
    const headers = { authorization: `Bearer ${token}` };
    try {
      const info = await fetch(`${graphUrl}/${mediaId}`, { headers, redirect: 'error', signal: AbortSignal.timeout(15_000) });
      if (!info.ok) return null;
      const json: unknown = await info.json();
      const url = json && typeof json === 'object' && 'url' in json ? str(json.url) : null;
      if (!url || !/^https?:\/\//.test(url)) return null;
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
      if (!res.ok) return null;
      const content = await readLimited(res, budget);
      return content ? { content, contentType: res.headers.get('content-type') ?? 'application/octet-stream' } : null;
    } catch {
      return null;
    }
  }

  // Senders.
  async function graph(inbox: InboxRecord, path: string, body: unknown): Promise<string> {
    const token = inbox.secrets.accessToken;
    if (!token) throw new PermanentDeliveryError(`The ${inbox.channel} inbox has no access token set`);
    const answer = await postToProvider(`${graphUrl}/${path}`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const messages = answer.json?.messages;
    const id = str(answer.json?.message_id) ?? (Array.isArray(messages) && messages[0] && typeof messages[0] === 'object' ? str(messages[0].id) : null);
    if (answer.status >= 200 && answer.status < 300 && id) return id;
    const error = answer.json?.error && typeof answer.json.error === 'object' ? Object.fromEntries(Object.entries(answer.json.error)) : {};
    const code = str(error.code);
    const reason = `${inbox.channel === 'whatsapp' ? 'WhatsApp' : 'Messenger'} refused the message${code ? ` (error ${code})` : ''}: ${str(error.message) ?? `HTTP ${answer.status}`}`;
    // Throttling (4, 80007, 130429) and errors Meta calls transient are worth another attempt.
    const transient = error.is_transient === true || ['1', '2', '4', '17', '341', '80007', '130429', '131000'].includes(code ?? '');
    throw failureOf(answer.status, reason, transient);
  }

  /** How long since the customer last wrote in this conversation (null: never). */
  async function sinceCustomer(ctx: DeliveryContext): Promise<number | null> {
    const last = await outbound.lastCustomerMessageAt(ctx.inbox.workspaceId, ctx.conversation.id);
    return last ? clock.nowMs() - Date.parse(last) : null;
  }

  const whatsAppSender: Sender = async (ctx) => {
    const { inbox } = ctx;
    const phoneNumberId = str(inbox.settings.phoneNumberId) ?? (inbox.address && /^\d+$/.test(inbox.address) ? inbox.address : null);
    if (!phoneNumberId) throw new PermanentDeliveryError('The WhatsApp inbox needs its phone number id (settings.phoneNumberId)');
    const to = ctx.customer.phone?.replace(/^\+/, '');
    if (!to || !/^\d{7,15}$/.test(to)) throw new PermanentDeliveryError('The customer has no WhatsApp number');
    const template = parseTemplate(ctx.message.body);
    let payload: Record<string, unknown>;
    if (template) {
      const approved = Array.isArray(inbox.settings.templates) ? inbox.settings.templates : [];
      const match = approved.find(
        (t): t is { name: string; language: string } =>
          !!t &&
          typeof t === 'object' &&
          'name' in t &&
          t.name === template.name &&
          'language' in t &&
          (!template.language || t.language === template.language),
      );
      if (!match) throw new PermanentDeliveryError(`The template ${template.name} is not among this inbox's approved templates (settings.templates)`);
      payload = {
        messaging_product: 'whatsapp',
        to,
        type: 'template',
        template: {
          name: match.name,
          language: { code: match.language },
          ...(template.params.length > 0 ? { components: [{ type: 'body', parameters: template.params.map((text) => ({ type: 'text', text })) }] } : {}),
        },
      };
    } else {
      const since = await sinceCustomer(ctx);
      if (since === null || since > WINDOW_MS)
        throw new PermanentDeliveryError(
          `Outside WhatsApp's 24-hour customer-service window (${since === null ? 'the customer has not written' : `the customer last wrote ${Math.floor(since / 3_600_000)} h ago`}): only an approved template can be sent — reply "/template <name> [param | …]"`,
        );
      payload = { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { preview_url: false, body: ctx.message.body } };
    }
    return { externalId: await graph(inbox, `${encodeURIComponent(phoneNumberId)}/messages`, payload), status: 'sent' };
  };

  const messengerSender: Sender = async (ctx) => {
    const { inbox } = ctx;
    const pageId = str(inbox.settings.pageId) ?? inbox.address;
    if (!pageId || !/^\d+$/.test(pageId)) throw new PermanentDeliveryError('The Messenger inbox needs its page id');
    if (parseTemplate(ctx.message.body)) throw new PermanentDeliveryError('Templates are sent on WhatsApp only; Messenger takes text');
    const psid = await deps.psidOf(inbox.workspaceId, ctx.customer.id, pageId);
    if (!psid) throw new PermanentDeliveryError('The customer has not written to this Messenger page');
    const since = await sinceCustomer(ctx);
    if (since === null || since > HUMAN_AGENT_MS)
      throw new PermanentDeliveryError(
        `Outside Messenger's windows (${since === null ? 'the customer has not written' : `the customer last wrote ${Math.floor(since / 86_400_000)} days ago`}): a page may answer within 24 hours, or within 7 days as a human agent`,
      );
    const tagged = since > WINDOW_MS ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { messaging_type: 'RESPONSE' };
    const payload = { recipient: { id: psid }, ...tagged, message: { text: ctx.message.body } };
    return { externalId: await graph(inbox, `${encodeURIComponent(pageId)}/messages`, payload), status: 'sent' };
  };

  return {
    whatsAppSender,
    messengerSender,

    /** The subscription handshake: the challenge back when the verify token is this inbox's. */
    async handshake(inboxId: string, query: { mode: string; verifyToken: string; challenge: string }): Promise<string> {
      const inbox = await metaInbox(inboxId);
      const expected = inbox.secrets.verifyToken;
      if (query.mode !== 'subscribe' || !expected || !safeEqual(expected, query.verifyToken)) throw forbidden('The verify token does not match');
      return query.challenge;
    },

    /** A signed webhook post: every entry written to its inbox, once per provider id. */
    async receive(post: MetaPost): Promise<Counts> {
      const inbox = await metaInbox(post.inboxId);
      const secret = inbox.secrets.appSecret;
      if (!secret) throw forbidden('This inbox has no app secret set: nothing can be verified');
      const m = /^sha256=([0-9a-f]{64})$/i.exec(post.signature ?? '');
      if (!m || !m[1]) throw forbidden('X-Hub-Signature-256 is missing or malformed');
      const expected = createHmac('sha256', secret).update(post.raw).digest();
      if (!timingSafeEqual(expected, Buffer.from(m[1], 'hex'))) throw forbidden('X-Hub-Signature-256 does not match');
      let json: unknown;
      try {
        json = JSON.parse(post.raw.toString('utf8'));
      } catch {
        throw invalid('The body is not valid JSON');
      }
      const parsed = ZMetaWebhook.safeParse(json);
      if (!parsed.success)
        throw invalid(
          'Not a Meta webhook',
          parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        );
      const counts: Counts = { received: 0, statuses: 0, ignored: 0, media: 0 };
      const body = parsed.data;
      // Validate the whole body before writing any of it: a malformed post stores nothing.
      if (body.object === 'whatsapp_business_account') {
        const values: Array<z.infer<typeof ZWhatsAppValue>> = [];
        for (const [i, entry] of body.entry.entries())
          for (const [j, change] of (entry.changes ?? []).entries()) {
            if (change.field !== 'messages') continue;
            const v = ZWhatsAppValue.safeParse(change.value);
            if (!v.success)
              throw invalid(
                'Not a WhatsApp messages change',
                v.error.issues.slice(0, 20).map((x) => ({ path: [`entry.${i}.changes.${j}.value`, ...x.path.map(String)].join('.'), message: x.message })),
              );
            values.push(v.data);
          }
        for (const v of values) await onWhatsApp(inbox, v, counts);
      } else if (body.object === 'page') {
        for (const entry of body.entry) if (entry.id && entry.messaging) await onMessenger(inbox, entry.id, entry.messaging, counts);
      }
      // Any other object (instagram, permissions…) is not Rapport's: acknowledged, ignored.
      return counts;
    },
  };
}
export type Meta = ReturnType<typeof createMeta>;
