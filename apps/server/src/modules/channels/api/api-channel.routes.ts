// The API channel's one route: POST /api/v1/inboxes/{id}/messages (a workspace token that may
// write conversations and customers). 201 for a new message, 200 with the first for a repeat.
import { ZApiChannelMessage, ZApiChannelResult, ZIdParam, ZProblem } from '@rapport/contracts';
import type { FastifyZodInstance } from '../../../platform/fastify.js';
import { requireAuth } from '../../../platform/http.js';
import type { ApiChannel } from './api-channel.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

export function registerApiChannelRoutes(app: FastifyZodInstance, deps: { api: ApiChannel }) {
  app.post(
    '/api/v1/inboxes/:id/messages',
    {
      config: { access: 'conversations.write' },
      schema: {
        tags: ['channels'],
        summary: 'API channel: a message from your system, threaded by conversationExternalId; idempotent by externalId (200 with the first for a repeat)',
        params: ZIdParam,
        body: ZApiChannelMessage,
        response: { 200: ZApiChannelResult, 201: ZApiChannelResult, ...errors },
      },
    },
    async (req, reply) => {
      const result = await deps.api.postMessage(requireAuth(req), req.params.id, req.body);
      return reply.code(result.created ? 201 : 200).send(result);
    },
  );
}
