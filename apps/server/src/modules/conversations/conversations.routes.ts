import {
  ZBulkConversations,
  ZBulkResult,
  ZCannedResponse,
  ZCollisionProblem,
  ZConversation,
  ZConversationQuery,
  ZCreateCannedResponse,
  ZCreateConversation,
  ZCreateCustomField,
  ZCreateMessage,
  ZCustomFieldDef,
  ZIdParam,
  ZMergeConversations,
  ZMessage,
  ZPageQuery,
  ZProblem,
  ZRenderCanned,
  ZRenderedCanned,
  ZUpdateCannedResponse,
  ZUpdateConversation,
  page,
} from '@rapport/contracts';
import { z } from 'zod';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { CannedService } from './canned.service.js';
import type { ConversationsService } from './conversations.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem, 422: ZProblem };

export function registerConversationRoutes(app: FastifyZodInstance, deps: { conversations: ConversationsService; canned: CannedService }) {
  const { conversations, canned } = deps;
  app.get(
    '/api/v1/conversations',
    {
      config: { access: 'conversations.read' },
      schema: {
        tags: ['conversations'],
        summary: 'List, filter and search, newest activity first',
        querystring: ZPageQuery.extend(ZConversationQuery.shape),
        response: { 200: page(ZConversation), ...errors },
      },
    },
    async (req) => conversations.list(requireAuth(req), req.query),
  );
  app.post(
    '/api/v1/conversations',
    { config: { access: 'conversations.write' }, schema: { tags: ['conversations'], body: ZCreateConversation, response: { 201: ZConversation, ...errors } } },
    async (req, reply) => reply.code(201).send(await conversations.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/conversations/:id',
    { config: { access: 'conversations.read' }, schema: { tags: ['conversations'], params: ZIdParam, response: { 200: ZConversation, ...errors } } },
    async (req) => conversations.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/conversations/:id',
    {
      config: { access: 'conversations.write' },
      schema: { tags: ['conversations'], params: ZIdParam, body: ZUpdateConversation, response: { 200: ZConversation, ...errors } },
    },
    async (req) => conversations.update(requireAuth(req), req.params.id, req.body),
  );
  app.post(
    '/api/v1/conversations/:id/claim',
    {
      config: { access: 'conversations.write' },
      schema: {
        tags: ['conversations'],
        summary: 'Assign an unassigned conversation to yourself (409 if taken)',
        params: ZIdParam,
        response: { 200: ZConversation, ...errors },
      },
    },
    async (req) => conversations.claim(requireAuth(req), req.params.id),
  );
  app.post(
    '/api/v1/conversations/:id/merge',
    {
      config: { access: 'conversations.write' },
      schema: {
        tags: ['conversations'],
        summary: 'Merge another conversation of the same customer into this one',
        params: ZIdParam,
        body: ZMergeConversations,
        response: { 200: ZConversation, ...errors },
      },
    },
    async (req) => conversations.merge(requireAuth(req), req.params.id, req.body.conversationId),
  );
  app.post(
    '/api/v1/conversations/bulk',
    {
      config: { access: 'conversations.write' },
      schema: {
        tags: ['conversations'],
        summary: 'Assign, tag, resolve many at once; one result per id',
        body: ZBulkConversations,
        response: { 200: ZBulkResult, ...errors },
      },
    },
    async (req) => conversations.bulk(requireAuth(req), req.body.ids, req.body.update),
  );
  app.get(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: 'conversations.read' },
      schema: { tags: ['conversations'], params: ZIdParam, querystring: ZPageQuery, response: { 200: page(ZMessage), ...errors } },
    },
    async (req) => conversations.listMessages(requireAuth(req), req.params.id, req.query),
  );
  app.post(
    '/api/v1/conversations/:id/messages',
    {
      config: { access: 'conversations.write' },
      schema: {
        tags: ['conversations'],
        summary: 'Reply (customer-visible) or add an internal note',
        description:
          'With afterMessageId (the last message the author saw), a reply or note written while someone else replied answers 409 with the newer replies, unless force is true.',
        params: ZIdParam,
        body: ZCreateMessage,
        response: { 201: ZMessage, ...errors, 409: ZCollisionProblem },
      },
    },
    async (req, reply) => reply.code(201).send(await conversations.addMessage(requireAuth(req), req.params.id, req.body)),
  );

  app.get(
    '/api/v1/messages/:id',
    { config: { access: 'conversations.read' }, schema: { tags: ['conversations'], params: ZIdParam, response: { 200: ZMessage, ...errors } } },
    async (req) => conversations.getMessage(requireAuth(req), req.params.id),
  );

  app.get(
    '/api/v1/custom-fields',
    { config: { access: 'settings.read' }, schema: { tags: ['settings'], response: { 200: page(ZCustomFieldDef), ...errors } } },
    async (req) => ({
      data: await conversations.listCustomFields(requireAuth(req)),
      nextCursor: null,
    }),
  );
  app.post(
    '/api/v1/custom-fields',
    { config: { access: 'settings.manage' }, schema: { tags: ['settings'], body: ZCreateCustomField, response: { 201: ZCustomFieldDef, ...errors } } },
    async (req, reply) => reply.code(201).send(await conversations.createCustomField(requireAuth(req), req.body)),
  );
  app.delete(
    '/api/v1/custom-fields/:id',
    { config: { access: 'settings.manage' }, schema: { tags: ['settings'], params: ZIdParam, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await conversations.deleteCustomField(requireAuth(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/canned-responses',
    { config: { access: 'conversations.read' }, schema: { tags: ['canned responses'], response: { 200: page(ZCannedResponse), ...errors } } },
    async (req) => canned.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/canned-responses',
    {
      config: { access: 'settings.manage' },
      schema: { tags: ['canned responses'], body: ZCreateCannedResponse, response: { 201: ZCannedResponse, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await canned.create(requireAuth(req), req.body)),
  );
  app.patch(
    '/api/v1/canned-responses/:id',
    {
      config: { access: 'settings.manage' },
      schema: { tags: ['canned responses'], params: ZIdParam, body: ZUpdateCannedResponse, response: { 200: ZCannedResponse, ...errors } },
    },
    async (req) => canned.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/canned-responses/:id',
    { config: { access: 'settings.manage' }, schema: { tags: ['canned responses'], params: ZIdParam, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await canned.remove(requireAuth(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/v1/canned-responses/:id/render',
    {
      config: { access: 'conversations.read' },
      schema: {
        tags: ['canned responses'],
        summary: 'Fill the placeholders for one conversation',
        params: ZIdParam,
        body: ZRenderCanned,
        response: { 200: ZRenderedCanned, ...errors },
      },
    },
    async (req) => canned.render(requireAuth(req), req.params.id, req.body.conversationId),
  );
}
