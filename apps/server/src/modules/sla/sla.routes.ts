// HTTP for SLA settings (calendars, policies) and attainment; docs/sla.md.
import {
  ZCreateSlaCalendar,
  ZCreateSlaPolicy,
  ZIdParam,
  ZOk,
  ZProblem,
  ZReorderSlaPolicies,
  ZSlaAttainment,
  ZSlaAttainmentQuery,
  ZSlaCalendar,
  ZSlaPolicy,
  ZUpdateSlaCalendar,
  ZUpdateSlaPolicy,
  page,
} from '@rapport/contracts';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { SlaService } from './sla.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

export function registerSlaRoutes(app: FastifyZodInstance, deps: { sla: SlaService }) {
  const { calendars, policies } = deps.sla;
  const tags = ['sla'];
  const read = 'settings.read' as const;
  const write = 'settings.manage' as const;

  app.get(
    '/api/v1/sla/calendars',
    { config: { access: read }, schema: { tags, summary: 'Business-hours calendars', response: { 200: page(ZSlaCalendar), ...errors } } },
    async (req) => calendars.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/sla/calendars',
    {
      config: { access: write },
      schema: {
        tags,
        summary: 'Create a calendar (time zone, weekly hours, holidays; or 24/7)',
        body: ZCreateSlaCalendar,
        response: { 201: ZSlaCalendar, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(await calendars.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/sla/calendars/:id',
    { config: { access: read }, schema: { tags, params: ZIdParam, response: { 200: ZSlaCalendar, ...errors } } },
    async (req) => calendars.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/sla/calendars/:id',
    { config: { access: write }, schema: { tags, params: ZIdParam, body: ZUpdateSlaCalendar, response: { 200: ZSlaCalendar, ...errors } } },
    async (req) => calendars.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/sla/calendars/:id',
    { config: { access: write }, schema: { tags, summary: 'Delete a calendar no policy uses', params: ZIdParam, response: { 200: ZOk, ...errors } } },
    async (req) => calendars.delete(requireAuth(req), req.params.id),
  );

  app.get(
    '/api/v1/sla/policies',
    { config: { access: read }, schema: { tags, summary: 'SLA policies in the order they are tried', response: { 200: page(ZSlaPolicy), ...errors } } },
    async (req) => policies.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/sla/policies',
    {
      config: { access: write },
      schema: { tags, summary: 'Create an SLA policy (tried after the existing ones)', body: ZCreateSlaPolicy, response: { 201: ZSlaPolicy, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await policies.create(requireAuth(req), req.body)),
  );
  app.put(
    '/api/v1/sla/policies/order',
    {
      config: { access: write },
      schema: {
        tags,
        summary: 'Set the order in which policies are tried (every id once)',
        body: ZReorderSlaPolicies,
        response: { 200: page(ZSlaPolicy), ...errors },
      },
    },
    async (req) => policies.reorder(requireAuth(req), req.body.ids),
  );
  app.get('/api/v1/sla/policies/:id', { config: { access: read }, schema: { tags, params: ZIdParam, response: { 200: ZSlaPolicy, ...errors } } }, async (req) =>
    policies.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/sla/policies/:id',
    { config: { access: write }, schema: { tags, params: ZIdParam, body: ZUpdateSlaPolicy, response: { 200: ZSlaPolicy, ...errors } } },
    async (req) => policies.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete('/api/v1/sla/policies/:id', { config: { access: write }, schema: { tags, params: ZIdParam, response: { 200: ZOk, ...errors } } }, async (req) =>
    policies.delete(requireAuth(req), req.params.id),
  );

  app.get(
    '/api/v1/sla/attainment',
    {
      config: { access: 'customers.read' },
      schema: {
        tags,
        summary: 'SLA attainment: decided targets met and breached, by team, agent, channel or period',
        querystring: ZSlaAttainmentQuery,
        response: { 200: ZSlaAttainment, ...errors },
      },
    },
    async (req) => deps.sla.attainment(requireAuth(req), req.query),
  );
}
