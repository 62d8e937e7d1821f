import { ZContactPolicy, ZFiringsQuery, ZIdParam, ZOk, ZPreviewResult, ZProblem, ZRule, ZRuleFiring, ZRuleInput, ZRulePatch, page } from '@rapport/contracts';
import { z } from 'zod';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { RulesService } from './rules.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem, 422: ZProblem };
const ZSample = z
  .strictObject({
    customerId: z.string().max(64).optional(),
    event: z.strictObject({ name: z.string().max(200).optional(), properties: z.record(z.string().max(100), z.unknown()).optional() }).optional(),
  })
  .optional();

export function registerRulesRoutes(app: FastifyZodInstance, deps: { rules: RulesService }) {
  const { rules } = deps;
  const tags = ['rules'];
  const read = 'settings.read' as const;
  const write = 'settings.manage' as const;
  app.get(
    '/api/v1/rules',
    { config: { access: read }, schema: { tags, summary: 'Rules of the workspace, with what each did', response: { 200: page(ZRule), ...errors } } },
    async (req) => rules.list(requireAuth(req)),
  );
  app.post(
    '/api/v1/rules',
    {
      config: { access: write },
      schema: { tags, summary: 'Create a rule: a trigger, conditions and actions', body: ZRuleInput, response: { 201: ZRule, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await rules.create(requireAuth(req), req.body)),
  );
  app.post(
    '/api/v1/rules/preview',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'Dry run of a rule not saved: who would match now and why, its messages rendered, what the contact policy would hold back',
        body: z.strictObject({ rule: ZRuleInput, sample: ZSample }),
        response: { 200: ZPreviewResult, ...errors },
      },
    },
    async (req) => rules.preview(requireAuth(req), req.body),
  );
  app.get('/api/v1/rules/:id', { config: { access: read }, schema: { tags, params: ZIdParam, response: { 200: ZRule, ...errors } } }, async (req) =>
    rules.get(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/rules/:id',
    { config: { access: write }, schema: { tags, params: ZIdParam, body: ZRulePatch, response: { 200: ZRule, ...errors } } },
    async (req) => rules.update(requireAuth(req), req.params.id, req.body),
  );
  app.delete('/api/v1/rules/:id', { config: { access: write }, schema: { tags, params: ZIdParam, response: { 200: ZOk, ...errors } } }, async (req) =>
    rules.remove(requireAuth(req), req.params.id),
  );
  app.post(
    '/api/v1/rules/:id/preview',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'Dry run of a saved rule',
        params: ZIdParam,
        body: z.strictObject({ sample: ZSample }).optional(),
        response: { 200: ZPreviewResult, ...errors },
      },
    },
    async (req) => rules.preview(requireAuth(req), { sample: req.body?.sample }, req.params.id),
  );
  app.get(
    '/api/v1/rules/:id/firings',
    {
      config: { access: read },
      schema: {
        tags,
        summary: 'What a rule did: each firing with the facts that made it fire, its actions, suppressions and what the customer did after',
        params: ZIdParam,
        querystring: ZFiringsQuery,
        response: { 200: page(ZRuleFiring), ...errors },
      },
    },
    async (req) => rules.firings(requireAuth(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/contact-policy',
    {
      config: { access: read },
      schema: { tags, summary: 'The one contact policy of proactive messages and surveys', response: { 200: ZContactPolicy, ...errors } },
    },
    async (req) => rules.getPolicy(requireAuth(req)),
  );
  app.put(
    '/api/v1/contact-policy',
    { config: { access: write }, schema: { tags, body: ZContactPolicy, response: { 200: ZContactPolicy, ...errors } } },
    async (req) => rules.putPolicy(requireAuth(req), req.body),
  );
}
