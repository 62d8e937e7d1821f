import { ZCreateTouchpoint, ZIdParam, ZListItems, ZOk, ZProblem, ZTouchpoint, ZUpdateTouchpoint, page } from '@rapport/contracts';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { TouchpointsService } from './touchpoints.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

export function registerTouchpointRoutes(app: FastifyZodInstance, deps: { touchpoints: TouchpointsService }) {
  const { touchpoints } = deps;
  const tags = ['touchpoints'];
  app.get('/api/v1/touchpoints', { config: { access: 'settings.read' }, schema: { tags, response: { 200: page(ZTouchpoint), ...errors } } }, async (req) =>
    touchpoints.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/touchpoints',
    { config: { access: 'settings.manage' }, schema: { tags, body: ZCreateTouchpoint, response: { 201: ZTouchpoint, ...errors } } },
    async (req, reply) => reply.code(201).send(await touchpoints.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/touchpoints/:id',
    { config: { access: 'settings.read' }, schema: { tags, params: ZIdParam, response: { 200: ZTouchpoint, ...errors } } },
    async (req) => touchpoints.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/touchpoints/:id',
    { config: { access: 'settings.manage' }, schema: { tags, params: ZIdParam, body: ZUpdateTouchpoint, response: { 200: ZTouchpoint, ...errors } } },
    async (req) => touchpoints.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/touchpoints/:id',
    { config: { access: 'settings.manage' }, schema: { tags, params: ZIdParam, response: { 200: ZOk, ...errors } } },
    async (req) => touchpoints.delete(requireAuth(req), req.params.id),
  );
  app.get(
    '/api/v1/stages',
    { config: { access: 'settings.read' }, schema: { tags, summary: 'Journey stages, in order', response: { 200: ZListItems, ...errors } } },
    async (req) => touchpoints.getStages(requireAuth(req)),
  );
  app.put(
    '/api/v1/stages',
    { config: { access: 'settings.manage' }, schema: { tags, body: ZListItems, response: { 200: ZListItems, ...errors } } },
    async (req) => touchpoints.putStages(requireAuth(req), req.body.data),
  );
  app.get('/api/v1/departments', { config: { access: 'settings.read' }, schema: { tags, response: { 200: ZListItems, ...errors } } }, async (req) =>
    touchpoints.getDepartments(requireAuth(req)),
  );
  app.put(
    '/api/v1/departments',
    { config: { access: 'settings.manage' }, schema: { tags, body: ZListItems, response: { 200: ZListItems, ...errors } } },
    async (req) => touchpoints.putDepartments(requireAuth(req), req.body.data),
  );
}
