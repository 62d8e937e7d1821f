// SMS through Twilio: inbound form posts (signed with the inbox's auth token, X-Twilio-Signature),
// status callbacks for what Rapport sent, and the sender that posts to Twilio's Messages API.
import { ZTwilioInbound, ZTwilioStatus } from '@rapport/contracts';
import twilio from 'twilio';
import { forbidden, invalid, notFound, type FieldError } from '../../../platform/errors.js';
import type { Inbound } from '../inbound.js';
import type { InboxesService, InboxRecord } from '../inboxes.service.js';
import type { Outbound, Sender } from '../outbound.js';
import { PermanentDeliveryError } from '../outbound.js';
import { failureOf, postToProvider, readLimited, str } from '../provider-http.js';
import { receiveOnce } from '../receive-once.js';

const E164 = /^\+[1-9]\d{6,14}$/;
/** Twilio's media lives on its own hosts: a link elsewhere is dropped, one there is kept when it cannot be fetched. */
const MEDIA_URL = /^https:\/\/([a-z0-9-]+\.)*(twilio\.com|twiliocdn\.com)\//i;
const MEDIA_TIMEOUT_MS = 15_000;
const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'audio/mpeg': 'mp3',
  'audio/ogg': 'ogg',
  'application/pdf': 'pdf',
  'text/vcard': 'vcf',
  'text/plain': 'txt',
};

export type TwilioRequest = {
  inboxId: string;
  /** Every URL Twilio may have signed (the configured public URL, then the one the request names). */
  urls: string[];
  signature: string | undefined;
  params: Record<string, string>;
};

function fieldErrors(issues: Array<{ path: PropertyKey[]; message: string }>): FieldError[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export function createTwilio(deps: { inboxes: InboxesService; inbound: Inbound; outbound: Outbound; apiUrl: string; publicUrl: string }) {
  const { inboxes, inbound, outbound } = deps;
  const apiUrl = deps.apiUrl.replace(/\/+$/, '');
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const statusUrlOf = (inboxId: string) => `${publicUrl}/channels/twilio/${inboxId}/status`;

  /** The inbox the path names, once the request proves it holds its auth token. */
  async function verified(req: TwilioRequest): Promise<InboxRecord> {
    const inbox = await inboxes.getRecord(req.inboxId);
    if (!inbox || inbox.channel !== 'sms' || !inbox.enabled) throw notFound('SMS inbox');
    const token = inbox.secrets.authToken;
    if (!token) throw forbidden('This SMS inbox has no Twilio auth token set: nothing can be verified');
    if (!req.signature) throw forbidden('X-Twilio-Signature is missing');
    const signature = req.signature;
    // validateRequest compares in constant time (and tries the URL with and without its port).
    if (!req.urls.some((url) => twilio.validateRequest(token, signature, url, req.params))) throw forbidden('X-Twilio-Signature does not match');
    const sid = str(inbox.settings.accountSid);
    if (sid && req.params.AccountSid !== undefined && req.params.AccountSid !== sid) throw forbidden('The message is for another Twilio account');
    return inbox;
  }

  /**
   * An MMS file, fetched only from the inbox's own account on the configured Twilio API (with its
   * credentials): a URL a post names elsewhere is never requested, whoever signed the post.
   */
  async function fetchMedia(inbox: InboxRecord, url: string, budget: number): Promise<{ content: Buffer; contentType: string } | null> {
    const sid = str(inbox.settings.accountSid);
    const token = inbox.secrets.authToken;
    // Compared once parsed: dot segments (also %2e-encoded) cannot climb out into another account.
    if (!sid || !token || budget <= 0 || !URL.canParse(url)) return null;
    if (!new URL(url).href.startsWith(new URL(`${apiUrl}/2010-04-01/Accounts/${sid}/Messages/`).href)) return null;
    try {
      // Twilio answers with a redirect to its media store; fetch drops the credentials on a cross-origin hop.
      const res = await fetch(url, {
        headers: { authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}` },
        signal: AbortSignal.timeout(MEDIA_TIMEOUT_MS),
      });
      if (!res.ok) return null;
      const content = await readLimited(res, budget);
      return content ? { content, contentType: res.headers.get('content-type')?.split(';')[0]?.trim() ?? 'application/octet-stream' } : null;
    } catch {
      return null;
    }
  }

  const sender: Sender = async (ctx) => {
    const { inbox } = ctx;
    const sid = str(inbox.settings.accountSid);
    const token = inbox.secrets.authToken;
    if (!sid || !token || !inbox.address) throw new PermanentDeliveryError('The SMS inbox needs its Twilio account SID, auth token and number');
    const to = ctx.customer.phone;
    if (!to || !E164.test(to)) throw new PermanentDeliveryError('The customer has no phone number to text');
    const form = new URLSearchParams({ From: inbox.address, To: to, Body: ctx.message.body, StatusCallback: statusUrlOf(inbox.id) });
    const answer = await postToProvider(`${apiUrl}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
    });
    const externalId = str(answer.json?.sid);
    if (answer.status >= 200 && answer.status < 300 && externalId) return { externalId, status: 'sent' };
    const code = str(answer.json?.code);
    const message = str(answer.json?.message) ?? `HTTP ${answer.status}`;
    throw failureOf(answer.status, `Twilio refused the message${code ? ` (error ${code})` : ''}: ${message}`);
  };

  return {
    sender,
    statusUrlOf,

    /** An inbound SMS/MMS: the customer by phone, threaded into their latest conversation in the inbox. */
    async receiveMessage(req: TwilioRequest) {
      const inbox = await verified(req);
      const parsed = ZTwilioInbound.safeParse(req.params);
      if (!parsed.success) throw invalid('Not a Twilio message', fieldErrors(parsed.error.issues));
      const p = parsed.data;
      if (!E164.test(p.From)) throw invalid('Not a Twilio message', [{ path: 'From', message: 'an E.164 number' }]);
      const links: string[] = [];
      const attachments: Array<{ filename: string; contentType: string; content: Buffer }> = [];
      let budget = inbound.maxAttachmentBytes;
      for (let i = 0; i < p.NumMedia; i++) {
        const url = req.params[`MediaUrl${i}`];
        if (!url || url.length > 2048) continue;
        const file = await fetchMedia(inbox, url, budget);
        if (file) {
          const type = (req.params[`MediaContentType${i}`] ?? file.contentType).toLowerCase();
          attachments.push({ filename: `media-${i + 1}.${EXTENSIONS[type] ?? 'bin'}`, contentType: type, content: file.content });
          budget -= file.content.length;
        } else if (MEDIA_URL.test(url)) links.push(url);
      }
      const body = [p.Body, ...links.map((u) => `[media] ${u}`)].filter((s) => s !== '').join('\n') || (attachments.length > 0 ? '(media)' : '(empty message)');
      return receiveOnce(inbound, {
        inbox,
        contact: { phone: p.From, ...(p.ProfileName ? { name: p.ProfileName } : {}) },
        message: { body, externalId: p.MessageSid, attachments },
        thread: { continueLatest: true },
      });
    },

    /** Twilio's word on a message Rapport sent: sent, delivered, or failed with its error code. */
    async receiveStatus(req: TwilioRequest): Promise<boolean> {
      const inbox = await verified(req);
      const parsed = ZTwilioStatus.safeParse(req.params);
      if (!parsed.success) throw invalid('Not a Twilio status callback', fieldErrors(parsed.error.issues));
      const s = parsed.data;
      const ref = { channel: 'sms' as const, externalId: s.MessageSid };
      if (s.MessageStatus === 'sent') return outbound.updateDelivery(inbox.workspaceId, ref, 'sent');
      if (s.MessageStatus === 'delivered' || s.MessageStatus === 'read') return outbound.updateDelivery(inbox.workspaceId, ref, 'delivered');
      if (s.MessageStatus === 'failed' || s.MessageStatus === 'undelivered' || s.MessageStatus === 'canceled') {
        const reason = `Twilio: ${s.MessageStatus}${s.ErrorCode ? ` (error ${s.ErrorCode})` : ''}${s.ErrorMessage ? `: ${s.ErrorMessage}` : ''}`;
        return outbound.updateDelivery(inbox.workspaceId, ref, 'failed', reason);
      }
      return false; // queued, sending, accepted…: nothing new for the desk
    },
  };
}
export type Twilio = ReturnType<typeof createTwilio>;
