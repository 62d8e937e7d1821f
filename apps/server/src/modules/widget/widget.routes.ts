// HTTP and WebSocket of the chat widget: the bundle (/widget.js), its public API (/widget/v1/*,
// CORS per inbox) and the visitor's socket (/widget/v1/ws), which gets agent replies as they are
// sent from any process (the bus) and acknowledges them.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import {
  ZProblem,
  ZWidgetBoot,
  ZWidgetBooted,
  ZWidgetClientMessage,
  ZWidgetEmail,
  ZWidgetEmailSaved,
  ZWidgetHistory,
  ZWidgetHistoryQuery,
  ZWidgetPage,
  ZWidgetQuery,
  ZWidgetSend,
  ZWidgetSent,
  ZWidgetSocketQuery,
  ZWidgetSurveyAnswer,
  ZWidgetSurveyAnswered,
  ZWidgetSurveyParam,
  ZWidgetSurveys,
  type WidgetServerMessage,
} from '@rapport/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Bus } from '../../platform/bus.js';
import type { WidgetVisitorRow } from '../../platform/db/schema.js';
import { invalid, notFound } from '../../platform/errors.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { keepAlive, parseFrame } from '../../platform/socket.js';
import type { InboxRecord } from '../channels/inboxes.service.js';
import { WIDGET_PUSH, WIDGET_SURVEY_PUSH, type WidgetPush, type WidgetService, type WidgetSurveyPush } from './widget.service.js';

/** Widget bodies are small: a message is at most 5,000 characters. */
export const WIDGET_BODY_LIMIT = 32 * 1024;
const MAX_SOCKETS_PER_VISITOR = 10;
const tags = ['widget'];
const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem, 413: ZProblem, 429: ZProblem };

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

const info = (req: FastifyRequest) => ({
  ip: req.ip ?? null,
  origin: typeof req.headers.origin === 'string' ? req.headers.origin : undefined,
  host: req.headers.host,
  userAgent: req.headers['user-agent'],
  acceptLanguage: req.headers['accept-language'],
});

/** The built bundle, re-read when the file changes (a rebuild needs no restart). */
function bundleReader(file: string) {
  let cached: { mtimeMs: number; body: Buffer; gzip: Buffer; etag: string } | null = null;
  return () => {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      return null;
    }
    if (!cached || cached.mtimeMs !== mtimeMs) {
      const body = readFileSync(file);
      cached = { mtimeMs, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` };
    }
    return cached;
  };
}

export function registerWidgetRoutes(app: FastifyZodInstance, deps: { widget: WidgetService; bus: Bus; widgetFile: string | null }) {
  const { widget } = deps;

  // Sockets of this process by visitor; every process delivers a push to its own.
  const sockets = new Map<string, Set<WebSocket>>();
  const unsubscribe = deps.bus.subscribe((e) => {
    let visitorIds: string[];
    let out: WidgetServerMessage;
    if (e.type === WIDGET_PUSH) {
      const push = e.data as WidgetPush;
      visitorIds = push.visitorIds;
      out = { type: 'message', conversationId: push.conversationId, message: push.message };
    } else if (e.type === WIDGET_SURVEY_PUSH) {
      const push = e.data as WidgetSurveyPush;
      visitorIds = push.visitorIds;
      out = { type: 'survey', survey: push.survey };
    } else return;
    const text = JSON.stringify(out);
    for (const id of visitorIds) for (const s of sockets.get(id) ?? []) if (s.readyState === s.OPEN) s.send(text);
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    for (const set of sockets.values()) for (const s of set) s.close(1001, 'server closing');
  });

  const bundle = deps.widgetFile ? bundleReader(deps.widgetFile) : () => null;
  app.get(
    '/widget.js',
    { config: { access: 'public' }, schema: { tags, summary: 'The chat widget bundle (embed with a <script> tag)', hide: true } },
    async (req, reply) => {
      const b = bundle();
      if (!b) throw notFound('Widget bundle', 'The widget is not built on this server (npm run build -w apps/widget)');
      reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=86400, stale-while-revalidate=604800')
        .header('etag', b.etag)
        .header('access-control-allow-origin', '*')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff')
        .header('vary', 'Accept-Encoding');
      if (req.headers['if-none-match'] === b.etag) return reply.code(304).send();
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(b.gzip);
      return reply.send(b.body);
    },
  );

  function cors(reply: FastifyReply, req: FastifyRequest) {
    const origin = req.headers.origin;
    if (typeof origin === 'string') reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
  }

  /** The inbox the call names, its origin allowed (CORS headers set from here on, errors included). */
  async function inboxOf(req: FastifyRequest, reply: FastifyReply, q: { workspace?: string | undefined; inbox?: string | undefined }): Promise<InboxRecord> {
    const inbox = await widget.resolveInbox(q);
    widget.requireOrigin(inbox, info(req));
    cors(reply, req);
    return inbox;
  }
  async function visitorOf(req: FastifyRequest, reply: FastifyReply, q: { inbox?: string | undefined }): Promise<[InboxRecord, WidgetVisitorRow]> {
    if (!q.inbox) throw invalid('Name the inbox: ?inbox=inb_…', [{ path: 'querystring.inbox', message: 'required' }]);
    const inbox = await inboxOf(req, reply, q);
    return [inbox, await widget.authenticate(inbox, bearer(req))];
  }

  // Preflights are answered only for origins the named inbox allows.
  app.options('/widget/v1/*', { config: { access: 'public' }, schema: { hide: true, querystring: ZWidgetQuery } }, async (req, reply) => {
    await inboxOf(req, reply, req.query);
    return reply
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type')
      .header('access-control-max-age', '600')
      .code(204)
      .send();
  });

  const route = { config: { access: 'public' as const }, bodyLimit: WIDGET_BODY_LIMIT };

  app.post(
    '/widget/v1/boot',
    {
      ...route,
      schema: {
        tags,
        summary: 'Start (or resume) a visitor on a chat inbox: a visitor token, the inbox look, the conversation so far',
        querystring: ZWidgetQuery,
        body: ZWidgetBoot,
        response: { 200: ZWidgetBooted, ...errors },
      },
    },
    async (req, reply) => {
      if (!req.query.workspace && !req.query.inbox) throw invalid('Name the workspace (?workspace=wsp_…) or the inbox (?inbox=inb_…)');
      const inbox = await inboxOf(req, reply, req.query);
      return widget.boot(inbox, req.body, info(req));
    },
  );

  app.post(
    '/widget/v1/messages',
    {
      ...route,
      schema: {
        tags,
        summary: "A visitor's message (into their open conversation of the inbox, or a new one)",
        security: [{ bearer: [] }],
        querystring: ZWidgetQuery,
        body: ZWidgetSend,
        response: { 201: ZWidgetSent, ...errors },
      },
    },
    async (req, reply) => {
      const [inbox, visitor] = await visitorOf(req, reply, req.query);
      return reply.code(201).send(await widget.send(inbox, visitor, req.body.body, info(req)));
    },
  );

  app.get(
    '/widget/v1/messages',
    {
      ...route,
      schema: {
        tags,
        summary: "The visitor's conversation (replies only, never notes), after ?after= if given",
        security: [{ bearer: [] }],
        querystring: ZWidgetHistoryQuery,
        response: { 200: ZWidgetHistory, ...errors },
      },
    },
    async (req, reply) => {
      const [, visitor] = await visitorOf(req, reply, req.query);
      reply.header('cache-control', 'no-store');
      return widget.history(visitor, req.query.after);
    },
  );

  app.post(
    '/widget/v1/email',
    {
      ...route,
      schema: {
        tags,
        summary: 'Where to answer when nobody is online (an unverified contact address: never an identity)',
        security: [{ bearer: [] }],
        querystring: ZWidgetQuery,
        body: ZWidgetEmail,
        response: { 200: ZWidgetEmailSaved, ...errors },
      },
    },
    async (req, reply) => {
      const [, visitor] = await visitorOf(req, reply, req.query);
      return widget.setEmail(visitor, req.body.email, info(req));
    },
  );

  app.post(
    '/widget/v1/page',
    {
      ...route,
      schema: {
        tags,
        summary: 'A page view of the visitor (a Segment page call as a client source: adds, never merges)',
        security: [{ bearer: [] }],
        querystring: ZWidgetQuery,
        body: ZWidgetPage,
        response: { 202: z.object({ accepted: z.literal(true) }), ...errors },
      },
    },
    async (req, reply) => {
      const [, visitor] = await visitorOf(req, reply, req.query);
      await widget.page(visitor, req.body, info(req));
      return reply.code(202).send({ accepted: true });
    },
  );

  app.get(
    '/widget/v1/surveys',
    {
      ...route,
      schema: {
        tags,
        summary: 'Surveys waiting for the visitor in the chat (NPS, CSAT, CES), in their language',
        security: [{ bearer: [] }],
        querystring: ZWidgetQuery,
        response: { 200: ZWidgetSurveys, ...errors },
      },
    },
    async (req, reply) => {
      const [, visitor] = await visitorOf(req, reply, req.query);
      reply.header('cache-control', 'no-store');
      return { data: await widget.surveys(visitor, info(req)) };
    },
  );

  app.post(
    '/widget/v1/surveys/:sendId',
    {
      ...route,
      schema: {
        tags,
        summary: 'Answer a survey delivered in the chat (as the survey page would: one response per send, a later answer updates it)',
        security: [{ bearer: [] }],
        params: ZWidgetSurveyParam,
        querystring: ZWidgetQuery,
        body: ZWidgetSurveyAnswer,
        response: { 200: ZWidgetSurveyAnswered, ...errors },
      },
    },
    async (req, reply) => {
      const [, visitor] = await visitorOf(req, reply, req.query);
      return widget.answerSurvey(visitor, req.params.sendId, req.body, info(req));
    },
  );

  app.get(
    '/widget/v1/ws',
    {
      websocket: true,
      config: { access: 'public' },
      schema: { tags, summary: "The visitor's live socket: agent replies as they are sent; ?token= is the visitor token", querystring: ZWidgetSocketQuery },
      // Before the upgrade: the Origin must be allowed and the token good (403 / 401 as problems).
      onRequest: async (req) => {
        const q = ZWidgetSocketQuery.safeParse(req.query);
        if (!q.success || !q.data.inbox) throw invalid('The socket takes ?inbox=inb_… and ?token=');
        const inbox = await widget.resolveInbox(q.data);
        widget.requireOrigin(inbox, info(req));
        const visitor = await widget.authenticate(inbox, q.data.token);
        (req as FastifyRequest & { visitor?: WidgetVisitorRow }).visitor = visitor;
      },
    },
    (socket, req) => {
      const visitor = (req as FastifyRequest & { visitor?: WidgetVisitorRow }).visitor;
      if (!visitor) return void socket.close(1008, 'unauthenticated');
      const mine = sockets.get(visitor.id) ?? new Set<WebSocket>();
      if (mine.size >= MAX_SOCKETS_PER_VISITOR) return void socket.close(1013, 'too many sockets for this visitor');
      mine.add(socket);
      sockets.set(visitor.id, mine);
      const send = (m: WidgetServerMessage) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(m));
      const online = (isOnline: boolean) => widget.markOnline(visitor, isOnline).catch((err: unknown) => req.log.warn({ err }, 'widget presence not recorded'));
      void online(true);
      send({ type: 'hello', agentsOnline: widget.agentsOnline(visitor.workspace_id) });
      keepAlive(socket, () => void online(true));
      socket.on('message', (raw) => {
        const json = parseFrame(raw);
        if (json === undefined) return void send({ type: 'error', detail: 'Messages must be JSON' });
        const parsed = ZWidgetClientMessage.safeParse(json);
        if (!parsed.success) return void send({ type: 'error', detail: 'Send {type:"seen", messageIds:[…]} or {type:"ping"}' });
        if (parsed.data.type === 'seen')
          widget.seen(visitor, parsed.data.messageIds).catch((err: unknown) => req.log.warn({ err }, 'widget acknowledgement failed'));
      });
      socket.on('close', () => {
        mine.delete(socket);
        if (mine.size === 0) {
          sockets.delete(visitor.id);
          void online(false);
        }
      });
    },
  );
}
