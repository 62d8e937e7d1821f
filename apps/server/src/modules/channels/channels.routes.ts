// Routes: inboxes (CRUD) and attachment downloads.
import { ZCreateInbox, ZIdParam, ZInbox, ZInboxCreated, ZInboxList, ZProblem, ZUpdateInbox } from '@rapport/contracts';
import { z } from 'zod';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import type { FileStore } from '../../platform/files.js';
import { requireAuth } from '../../platform/http.js';
import { notFound } from '../../platform/errors.js';
import type { ChannelMessages } from '../conversations/channel-messages.service.js';
import type { InboxesService } from './inboxes.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

/** Types a browser may show inline; everything else (HTML, SVG, scripts) downloads. */
const INLINE = /^(image\/(png|jpeg|gif|webp)|application\/pdf|text\/plain)$/;

export function registerChannelRoutes(app: FastifyZodInstance, deps: { inboxes: InboxesService; messages: ChannelMessages; files: FileStore }) {
  const { inboxes } = deps;
  const tags = ['channels'];
  app.get(
    '/api/v1/inboxes',
    {
      config: { access: 'settings.read' },
      schema: { tags, summary: 'Inboxes: where customers reach the workspace', response: { 200: ZInboxList, ...errors } },
    },
    async (req) => ({ data: await inboxes.list(requireAuth(req)) }),
  );
  app.post(
    '/api/v1/inboxes',
    {
      config: { access: 'settings.manage' },
      schema: {
        tags,
        summary: 'Create an inbox (email, chat, sms, whatsapp, messenger, api); generated secrets are shown only here',
        body: ZCreateInbox,
        response: { 201: ZInboxCreated, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await inboxes.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/inboxes/:id',
    { config: { access: 'settings.read' }, schema: { tags, params: ZIdParam, response: { 200: ZInbox, ...errors } } },
    async (req) => inboxes.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/inboxes/:id',
    {
      config: { access: 'settings.manage' },
      schema: {
        tags,
        summary: 'Change an inbox; settings and secrets merge over what is set ("" removes a secret)',
        params: ZIdParam,
        body: ZUpdateInbox,
        response: { 200: ZInbox, ...errors },
      },
    },
    async (req) => inboxes.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/inboxes/:id',
    { config: { access: 'settings.manage' }, schema: { tags, params: ZIdParam, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await inboxes.remove(requireAuth(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/api/v1/attachments/:id',
    {
      config: { access: 'conversations.read' },
      schema: {
        tags,
        summary: "A message's attachment (agents who can see its conversation)",
        params: ZIdParam,
        response: { 401: ZProblem, 403: ZProblem, 404: ZProblem },
      },
    },
    async (req, reply) => {
      const row = await deps.messages.attachment(requireAuth(req), req.params.id);
      const file = await deps.files.open(row.storage_key);
      if (!file) throw notFound('Attachment');
      const inline = INLINE.test(row.content_type) && (req.query as { download?: string }).download === undefined;
      return reply
        .header('content-type', INLINE.test(row.content_type) ? row.content_type : 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(row.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, max-age=3600')
        .send(file.stream as never); // a stream: Fastify pipes it without serialising
    },
  );
}
