import {
  ZCreateWebhook,
  ZIdParam,
  ZOk,
  ZProblem,
  ZUpdateWebhook,
  ZWebhook,
  ZWebhookDelivery,
  ZWebhookDeliveryDetail,
  ZWebhookDeliveryParams,
  ZWebhookDeliveryQuery,
  ZWebhookWithSecret,
  page,
} from '@rapport/contracts';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { WebhooksService } from './webhooks.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem, 422: ZProblem };

export function registerWebhookRoutes(app: FastifyZodInstance, deps: { webhooks: WebhooksService }) {
  const { webhooks } = deps;
  const tags = ['webhooks'];
  const access = 'settings.manage' as const;
  app.get(
    '/api/v1/webhooks',
    { config: { access }, schema: { tags, summary: 'Webhook subscriptions (secrets are never listed)', response: { 200: page(ZWebhook), ...errors } } },
    async (req) => webhooks.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/webhooks',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Subscribe a URL to domain events; the signing secret is in this response only',
        body: ZCreateWebhook,
        response: { 201: ZWebhookWithSecret, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await webhooks.create(requireAuth(req), req.body)),
  );
  app.get('/api/v1/webhooks/:id', { config: { access }, schema: { tags, params: ZIdParam, response: { 200: ZWebhook, ...errors } } }, async (req) =>
    webhooks.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/webhooks/:id',
    { config: { access }, schema: { tags, params: ZIdParam, body: ZUpdateWebhook, response: { 200: ZWebhook, ...errors } } },
    async (req) => webhooks.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete('/api/v1/webhooks/:id', { config: { access }, schema: { tags, params: ZIdParam, response: { 200: ZOk, ...errors } } }, async (req) =>
    webhooks.delete(requireAuth(req), req.params.id),
  );
  app.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      config: { access },
      schema: {
        tags,
        summary: 'A new signing secret (shown once); the previous one also signs for 24 hours',
        params: ZIdParam,
        response: { 200: ZWebhookWithSecret, ...errors },
      },
    },
    async (req) => webhooks.rotateSecret(requireAuth(req), req.params.id),
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      config: { access },
      schema: {
        tags,
        summary: 'The delivery log, newest first',
        params: ZIdParam,
        querystring: ZWebhookDeliveryQuery,
        response: { 200: page(ZWebhookDelivery), ...errors },
      },
    },
    async (req) => webhooks.listDeliveries(requireAuth(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries/:deliveryId',
    { config: { access }, schema: { tags, params: ZWebhookDeliveryParams, response: { 200: ZWebhookDeliveryDetail, ...errors } } },
    async (req) => webhooks.getDelivery(requireAuth(req), req.params.id, req.params.deliveryId),
  );
  app.post(
    '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Send a delivery again (one attempt, same body and webhook-id)',
        params: ZWebhookDeliveryParams,
        response: { 202: ZWebhookDelivery, ...errors, 429: ZProblem },
      },
    },
    async (req, reply) => reply.code(202).send(await webhooks.redeliver(requireAuth(req), req.params.id, req.params.deliveryId)),
  );
}
