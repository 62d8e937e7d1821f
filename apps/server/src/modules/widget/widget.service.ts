// The chat widget (issue 11): visitors boot on a chat inbox (anonymous, or a user of the site
// whose id its back end signed), write into the customer's conversation of that inbox, read it
// back, leave an email for when nobody is online, and report page views through ingest as a
// client source (add-only). Agent replies reach them through the `chat` sender: pushed to the
// visitor's sockets on every process (the bus), mailed when no socket of theirs is open.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type {
  WidgetBoot,
  WidgetBooted,
  WidgetHistory,
  WidgetMessage,
  WidgetPage,
  WidgetSent,
  WidgetSurvey,
  WidgetSurveyAnswer,
  WidgetSurveyAnswered,
} from '@rapport/contracts';
import type { Audit } from '../../platform/audit.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { Tx } from '../../platform/db/database.js';
import type { WidgetVisitorRow } from '../../platform/db/schema.js';
import type { Transactions } from '../../platform/db/transactions.js';
import { forbidden, notFound, rateLimited, unauthenticated } from '../../platform/errors.js';
import { isSameOrigin } from '../../platform/http.js';
import { newId, randomSecret, sha256 } from '../../platform/ids.js';
import type { Mailer } from '../../platform/mailer.js';
import { clientKey, createRateLimiter, type RateLimiter } from '../../platform/rate-limit.js';
import type { Inbound } from '../channels/inbound.js';
import type { InboxesService, InboxRecord } from '../channels/inboxes.service.js';
import type { DeliveryContext, Outbound } from '../channels/outbound.js';
import type { ChannelMessages } from '../conversations/channel-messages.service.js';
import type { CustomersService } from '../customers/customers.service.js';
import type { IdentitiesService } from '../identity/identities.service.js';
import type { IngestService } from '../ingest/ingest.service.js';
import type { IngestPrincipal } from '../ingest/write-keys.service.js';
import type { SurveysService } from '../surveys/surveys.service.js';
import type { WidgetStore } from './widget.store.js';

/** Bus event of an agent reply for visitors' sockets (every process delivers to its own). */
export const WIDGET_PUSH = 'widget.push';
/** Bus event of a survey delivered in the chat, for the customer's visitors' sockets. */
export const WIDGET_SURVEY_PUSH = 'widget.survey';
/** A socket proves it is open at least this often (the server pings every 30 s). */
export const ONLINE_MS = 75_000;
const HISTORY_LIMIT = 200;
/** A visitor who never wrote is kept this long after their last visit. */
export const IDLE_VISITOR_DAYS = 30;

export type WidgetPush = { inboxId: string; visitorIds: string[]; conversationId: string; message: WidgetMessage };
export type WidgetSurveyPush = { visitorIds: string[]; survey: WidgetSurvey };
export type WidgetChatSettings = { allowedOrigins: string[]; color: string; greeting: string; requireIdentity: boolean };
type Logger = { warn(obj: object, msg: string): void };
type RequestInfo = {
  ip: string | null;
  origin?: string | undefined;
  host?: string | undefined;
  userAgent?: string | undefined;
  acceptLanguage?: string | undefined;
};

/** hex HMAC-SHA256 of the user id with the inbox identity secret (what the site's back end computes). */
export const widgetUserHash = (secret: string, userId: string) => createHmac('sha256', secret).update(userId).digest('hex');

function isSameHash(secret: string | undefined, userId: string, hash: string): boolean {
  if (!secret) return false;
  const expected = Buffer.from(widgetUserHash(secret, userId), 'hex');
  const given = Buffer.from(hash.toLowerCase(), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const chatSettings = (inbox: InboxRecord): WidgetChatSettings => {
  const s = inbox.settings;
  return {
    allowedOrigins: Array.isArray(s.allowedOrigins) ? s.allowedOrigins.filter((o): o is string => typeof o === 'string') : [],
    color: typeof s.color === 'string' ? s.color : '#3b5bdb',
    greeting: typeof s.greeting === 'string' ? s.greeting : 'Hi! How can we help?',
    requireIdentity: s.requireIdentity === true,
  };
};

/**
 * May a page of this origin use the inbox? `*` allows any site, else the origin must be listed;
 * the Rapport server's own origin always may. No Origin header: not a cross-site browser request
 * (a server, curl), which proves nothing an Origin would; `null` (sandboxed frames, file: pages)
 * names no site an owner could allow.
 */
export function isOriginAllowed(inbox: InboxRecord, origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  if (isSameOrigin(origin, host)) return true;
  const allowed = chatSettings(inbox).allowedOrigins.map((o) => o.toLowerCase());
  return allowed.includes('*') || allowed.includes(origin.toLowerCase());
}

export function createWidgetService(deps: {
  store: WidgetStore;
  transactions: Transactions;
  clock: Clock;
  audit: Audit;
  bus: Bus;
  mailer: Mailer;
  logger: Logger;
  inboxes: InboxesService;
  inbound: Inbound;
  outbound: Outbound;
  messages: ChannelMessages;
  customers: CustomersService;
  identities: IdentitiesService;
  ingest: IngestService;
  surveys: Pick<SurveysService, 'chatSurveys' | 'answerInChat'>;
  /** Members with the live stream open (modules/live). */
  agentsOnline: (workspaceId: string) => number;
}) {
  const { store, clock, messages, customers, identities, ingest, outbound } = deps;
  const { autocommit } = deps.transactions;
  const now = () => clock.nowMs();
  const limiter = (max: number, windowMs: number) => createRateLimiter({ max, windowMs, now });
  const limits = {
    bootPerIp: limiter(60, 60_000),
    badHashPerIp: limiter(10, 15 * 60_000),
    sendPerVisitor: limiter(30, 60_000),
    sendPerIp: limiter(300, 60_000),
    emailPerVisitor: limiter(5, 3_600_000),
    pagePerVisitor: limiter(120, 60_000),
    seenPerVisitor: limiter(120, 60_000),
    surveyPerVisitor: limiter(20, 60_000),
  };
  function take(l: RateLimiter, key: string, what: string) {
    const wait = l.retryAfter(key);
    if (wait > 0) throw rateLimited(`Too many ${what}; retry in ${wait} s`, wait);
    l.fail(key);
  }

  /** The chat inbox a widget call names: an inbox of the workspace, or the workspace's first chat inbox. */
  async function resolveInbox(q: { workspace?: string | undefined; inbox?: string | undefined }): Promise<InboxRecord> {
    let inbox: InboxRecord | null = null;
    if (q.inbox) {
      inbox = await deps.inboxes.getRecord(q.inbox);
      // Another workspace's inbox is as unknown as a missing one.
      if (inbox && q.workspace && inbox.workspaceId !== q.workspace) inbox = null;
    } else if (q.workspace) inbox = await deps.inboxes.chatInboxOf(q.workspace);
    if (!inbox || inbox.channel !== 'chat' || !inbox.enabled) throw notFound('Chat inbox');
    return inbox;
  }

  function requireOrigin(inbox: InboxRecord, req: RequestInfo) {
    if (!isOriginAllowed(inbox, req.origin, req.host))
      throw forbidden(`The origin ${req.origin ?? ''} may not use this chat (see the inbox's allowed origins)`);
  }

  const identityOf = (v: WidgetVisitorRow) => (v.user_id ? { kind: 'user_id' as const, value: v.user_id } : { kind: 'anonymous_id' as const, value: v.id });

  /** The customer this visitor is now (following merges), or null before they have one. */
  async function customerOf(v: WidgetVisitorRow): Promise<string | null> {
    const id = identityOf(v);
    const owner = await identities.ownerOf(autocommit, v.workspace_id, id.kind, id.value);
    if (!owner) return null;
    return (await customers.resolve(autocommit, v.workspace_id, owner))?.id ?? null;
  }

  /** The visitor's customer and those merged into it (whose surveys they may answer); none before they have one. */
  async function customerIdsOf(v: WidgetVisitorRow): Promise<string[]> {
    const id = await customerOf(v);
    return id ? [id, ...(await customers.mergedInto(autocommit, v.workspace_id, id))] : [];
  }

  async function surveysOf(v: WidgetVisitorRow, acceptLanguage: string | undefined): Promise<WidgetSurvey[]> {
    const ids = await customerIdsOf(v);
    return ids.length === 0 ? [] : deps.surveys.chatSurveys(v.workspace_id, ids, acceptLanguage);
  }

  /** The visitor a token names, on this inbox; 401 for anything else (nothing says which part was wrong). */
  async function authenticate(inbox: InboxRecord, token: string | undefined): Promise<WidgetVisitorRow> {
    const [id, secret, ...rest] = (token ?? '').split('.');
    const refuse = () => unauthenticated('Boot the widget again: the visitor token is unknown', 'Bearer');
    if (!id || !secret || rest.length > 0 || !/^wvs_[0-9a-f]{32}$/.test(id)) throw refuse();
    const row = await store.byId(id);
    if (!row || row.inbox_id !== inbox.id || row.workspace_id !== inbox.workspaceId) throw refuse();
    const expected = Buffer.from(row.token_hash, 'hex');
    const given = Buffer.from(sha256(secret), 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw refuse();
    return row;
  }

  /** A public (client) ingest source for this visitor: it may add, never overwrite or merge. */
  const principalOf = (v: WidgetVisitorRow): IngestPrincipal => ({
    workspaceId: v.workspace_id,
    writeKeyId: `widget:${v.inbox_id}`,
    kind: 'client',
    allowedOrigins: [],
    isVerifiedUser: (userId) => v.user_id !== null && userId === v.user_id,
  });
  const ids = (v: WidgetVisitorRow) => ({ anonymousId: v.id, ...(v.user_id ? { userId: v.user_id } : {}) });

  async function identify(v: WidgetVisitorRow, traits: { email?: string | undefined; name?: string | undefined }, ip: string | null) {
    const clean = Object.fromEntries(Object.entries(traits).filter(([, x]) => x !== undefined));
    if (Object.keys(clean).length === 0) return;
    await ingest.ingest(principalOf(v), {
      events: [{ type: 'identify', messageId: `widget-${randomUUID()}`, ...ids(v), traits: clean, timestamp: new Date(now()).toISOString() }],
      fixedType: 'identify',
      sentAt: undefined,
      batchContext: null,
      ip,
    });
  }

  async function history(v: WidgetVisitorRow, after: string | null): Promise<WidgetHistory> {
    const customerId = await customerOf(v);
    const thread = customerId ? await messages.customerThread(v.workspace_id, v.inbox_id, customerId, { after, limit: HISTORY_LIMIT }) : null;
    if (!thread) return { conversationId: null, data: [] };
    // What the visitor has now fetched has reached them.
    for (const m of thread.messages)
      if (m.authorType === 'agent' && m.delivery === 'sent') await outbound.updateDelivery(v.workspace_id, { messageId: m.id }, 'delivered');
    return {
      conversationId: thread.conversationId,
      data: thread.messages.map((m) => ({ id: m.id, body: m.body, createdAt: m.createdAt, author: { type: m.authorType, name: m.authorName } })),
    };
  }

  /** Where a mail about this inbox may point: a page of an origin the owner listed (never one the visitor chose). */
  function linkFor(inbox: InboxRecord, pageUrl: string | null): string | null {
    const listed = chatSettings(inbox).allowedOrigins.filter((o) => o !== '*');
    if (pageUrl && URL.canParse(pageUrl) && listed.map((o) => o.toLowerCase()).includes(new URL(pageUrl).origin.toLowerCase())) return pageUrl;
    return listed[0] ?? null;
  }

  /** The `chat` sender: push to the customer's visitors' sockets; mail the reply when none is open. */
  async function deliver(ctx: DeliveryContext) {
    const workspaceId = ctx.inbox.workspaceId;
    const customerIds = [ctx.customer.id, ...(await customers.mergedInto(autocommit, workspaceId, ctx.customer.id))];
    const visitors = await store.ofCustomers(workspaceId, ctx.inbox.id, customerIds);
    const message: WidgetMessage = {
      id: ctx.message.id,
      body: ctx.message.body,
      createdAt: ctx.message.createdAt,
      author: { type: 'agent', name: ctx.message.authorName },
    };
    const push: WidgetPush = { inboxId: ctx.inbox.id, visitorIds: visitors.map((v) => v.id), conversationId: ctx.conversation.id, message };
    if (push.visitorIds.length > 0) deps.bus.publish({ workspaceId, type: WIDGET_PUSH, data: push });
    const isOnline = visitors.some((v) => Number(v.online_until) > now());
    if (!isOnline) {
      const to = visitors.find((v) => v.email)?.email ?? ctx.customer.email;
      if (to) {
        const link = linkFor(ctx.inbox, visitors.find((v) => v.page_url)?.page_url ?? null);
        const who = ctx.message.authorName ?? ctx.inbox.name;
        await deps.mailer.send({
          to,
          subject: `${who} replied to your chat`,
          text: `${who} replied:\n\n${ctx.message.body}\n\n${link ? `Continue the conversation: ${link}\n` : 'Reply in the chat on our website to continue the conversation.\n'}`,
        });
      }
    }
    return { status: 'sent' as const };
  }

  return {
    resolveInbox,
    requireOrigin,
    authenticate,
    deliver,

    async boot(inbox: InboxRecord, input: WidgetBoot, req: RequestInfo): Promise<WidgetBooted> {
      requireOrigin(inbox, req);
      take(limits.bootPerIp, clientKey(req.ip), 'boots from this address');
      const settings = chatSettings(inbox);
      const user = input.user;
      if (!user && settings.requireIdentity) throw unauthenticated('This chat is for signed-in users: boot it with user.id and user.hash');
      if (user) {
        const wait = limits.badHashPerIp.retryAfter(clientKey(req.ip));
        if (wait > 0) throw rateLimited(`Too many refused identities; retry in ${wait} s`, wait);
        if (!isSameHash(inbox.secrets.identitySecret, user.id, user.hash)) {
          limits.badHashPerIp.fail(clientKey(req.ip));
          deps.logger.warn(
            { workspaceId: inbox.workspaceId, inboxId: inbox.id, userId: user.id.slice(0, 64), ip: req.ip, origin: req.origin },
            'widget identity hash refused',
          );
          await deps.transactions.run((tx) =>
            deps.audit.record(
              tx,
              { workspaceId: inbox.workspaceId, userId: null, ip: req.ip },
              {
                action: 'widget.identity_refused',
                objectType: 'inbox',
                objectId: inbox.id,
                data: { userId: user.id.slice(0, 200), origin: req.origin ?? null },
              },
            ),
          );
          throw unauthenticated('The user hash does not match: compute it on your server as the hex HMAC-SHA256 of user.id with the inbox identity secret');
        }
      }
      const userId = user?.id ?? null;
      let visitor: WidgetVisitorRow | null = null;
      if (input.visitorToken) {
        // A token of another user (or an anonymous one for a user, or the reverse) starts afresh:
        // signing out must not leave the next person on the device the previous one's chat.
        const known = await authenticate(inbox, input.visitorToken).catch(() => null);
        if (known && known.user_id === userId) visitor = known;
      }
      const at = new Date(now()).toISOString();
      let token = input.visitorToken ?? '';
      if (!visitor) {
        const secret = randomSecret(32);
        visitor = {
          workspace_id: inbox.workspaceId,
          id: newId('visitor'),
          inbox_id: inbox.id,
          user_id: userId,
          token_hash: sha256(secret),
          customer_id: null,
          email: null,
          name: null,
          page_url: null,
          online_until: 0,
          created_at: at,
          last_seen_at: at,
        };
        await store.insert(visitor);
        token = `${visitor.id}.${secret}`;
      }
      const patch: Partial<WidgetVisitorRow> = { last_seen_at: at, customer_id: await customerOf(visitor) };
      if (user?.email) patch.email = user.email.toLowerCase();
      if (user?.name) patch.name = user.name;
      await store.update(visitor.workspace_id, visitor.id, patch);
      visitor = { ...visitor, ...patch };
      if (user) await identify(visitor, { email: user.email?.toLowerCase(), name: user.name }, req.ip);
      return {
        visitor: { id: visitor.id, token, userId, hasEmail: visitor.email !== null },
        inbox: {
          id: inbox.id,
          workspaceId: inbox.workspaceId,
          name: inbox.name,
          color: settings.color,
          greeting: settings.greeting,
          requireIdentity: settings.requireIdentity,
        },
        agentsOnline: deps.agentsOnline(inbox.workspaceId) > 0,
        history: await history(visitor, null),
        surveys: await surveysOf(visitor, req.acceptLanguage),
      };
    },

    /** Surveys waiting for the visitor's answer in the chat. */
    surveys: (v: WidgetVisitorRow, req: RequestInfo) => surveysOf(v, req.acceptLanguage),

    /** The visitor answers a survey delivered in the chat: recorded as the public page records an answer. */
    async answerSurvey(v: WidgetVisitorRow, sendId: string, body: WidgetSurveyAnswer, req: RequestInfo): Promise<WidgetSurveyAnswered> {
      take(limits.surveyPerVisitor, v.id, 'survey answers');
      const ids = await customerIdsOf(v);
      if (ids.length === 0) throw notFound('Survey');
      return deps.surveys.answerInChat(v.workspace_id, ids, sendId, body, req.acceptLanguage);
    },

    /** Does the customer (or one merged into it) use the chat widget? */
    async hasVisitor(workspaceId: string, customerId: string): Promise<boolean> {
      const ids = [customerId, ...(await customers.mergedInto(autocommit, workspaceId, customerId))];
      return (await store.ofCustomersAnywhere(workspaceId, ids)).length > 0;
    },

    /** A survey just delivered in the chat: to the customer's open widgets (the others fetch it when they boot or reconnect). */
    async pushSurvey(workspaceId: string, customerId: string, survey: WidgetSurvey): Promise<void> {
      const ids = [customerId, ...(await customers.mergedInto(autocommit, workspaceId, customerId))];
      const visitors = await store.ofCustomersAnywhere(workspaceId, ids);
      const push: WidgetSurveyPush = { visitorIds: visitors.map((x) => x.id), survey };
      if (push.visitorIds.length > 0) deps.bus.publish({ workspaceId, type: WIDGET_SURVEY_PUSH, data: push });
    },

    async send(inbox: InboxRecord, v: WidgetVisitorRow, body: string, req: RequestInfo): Promise<WidgetSent> {
      take(limits.sendPerIp, clientKey(req.ip), 'messages from this address');
      take(limits.sendPerVisitor, v.id, 'messages');
      const result = await deps.inbound.receive({
        inbox,
        contact: { identity: identityOf(v), ...(v.name ? { name: v.name } : {}) },
        message: { body },
        thread: { continueLatest: true },
      });
      if (result.customerId !== v.customer_id) await store.update(v.workspace_id, v.id, { customer_id: result.customerId });
      return {
        conversationId: result.conversationId,
        message: { id: result.messageId, body, createdAt: new Date(now()).toISOString(), author: { type: 'customer', name: v.name } },
        agentsOnline: deps.agentsOnline(inbox.workspaceId) > 0,
        hasEmail: v.email !== null,
      };
    },

    history: (v: WidgetVisitorRow, after: string | undefined) => history(v, after ?? null),

    /**
     * The address to answer at when nobody is online. Kept on the visitor (the offline mail goes
     * there) and offered to the customer add-only through ingest: it fills an empty email, never
     * links the address as an identity, so typing someone's email reaches neither their record
     * nor their conversations.
     */
    async setEmail(v: WidgetVisitorRow, email: string, req: RequestInfo) {
      take(limits.emailPerVisitor, v.id, 'email changes');
      await store.update(v.workspace_id, v.id, { email: email.toLowerCase() });
      await identify(v, { email: email.toLowerCase() }, req.ip);
      return { hasEmail: true as const };
    },

    async page(v: WidgetVisitorRow, page: WidgetPage, req: RequestInfo) {
      take(limits.pagePerVisitor, v.id, 'page views');
      const url = new URL(page.url);
      const props = { url: page.url, path: url.pathname, search: url.search, title: page.title ?? '', referrer: page.referrer ?? '' };
      await ingest.ingest(principalOf(v), {
        events: [
          {
            type: 'page',
            messageId: `widget-${randomUUID()}`,
            ...ids(v),
            ...(page.title ? { name: page.title.slice(0, 200) } : {}),
            properties: props,
            context: { page: props, ...(req.userAgent ? { userAgent: req.userAgent.slice(0, 500) } : {}), library: { name: 'rapport-widget' } },
            timestamp: new Date(now()).toISOString(),
          },
        ],
        fixedType: 'page',
        sentAt: undefined,
        batchContext: null,
        ip: req.ip,
      });
      await store.update(v.workspace_id, v.id, { page_url: page.url });
    },

    /** The visitor acknowledges pushed replies: those of its own conversations become delivered. */
    async seen(v: WidgetVisitorRow, messageIds: string[]) {
      // Acknowledgements past the limit are dropped: they only advance a status.
      if (limits.seenPerVisitor.retryAfter(v.id) > 0) return;
      limits.seenPerVisitor.fail(v.id);
      const customerId = await customerOf(v);
      if (!customerId) return;
      for (const id of messageIds.slice(0, 20)) {
        const ctx = await messages.deliveryContext(v.workspace_id, id);
        if (!ctx || ctx.customer.id !== customerId || ctx.conversation.inboxId !== v.inbox_id || ctx.message.status !== 'sent') continue;
        await outbound.updateDelivery(v.workspace_id, { messageId: id }, 'delivered');
      }
    },

    /** A socket of this visitor is open (called on connect and on every heartbeat), or none is. */
    markOnline: (v: WidgetVisitorRow, isOnline: boolean) =>
      store.update(v.workspace_id, v.id, { online_until: isOnline ? now() + ONLINE_MS : 0, last_seen_at: new Date(now()).toISOString() }),

    agentsOnline: (workspaceId: string) => deps.agentsOnline(workspaceId) > 0,

    /** Housekeeping: visitors who only looked (never wrote) are forgotten after IDLE_VISITOR_DAYS. */
    prune: () => store.pruneIdle(new Date(now() - IDLE_VISITOR_DAYS * 86_400_000).toISOString()),

    /** GDPR erasure (in the workflow's transaction): the person's visitors, their contact emails and pages. */
    eraseForCustomers: (tx: Tx, workspaceId: string, q: { customerIds: string[]; anonymousIds: string[]; userIds: string[] }) =>
      store.eraseForCustomers(tx, workspaceId, {
        customerIds: q.customerIds,
        visitorIds: q.anonymousIds.filter((id) => id.startsWith('wvs_')),
        userIds: q.userIds,
      }),
  };
}
export type WidgetService = ReturnType<typeof createWidgetService>;
