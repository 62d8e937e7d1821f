import { ZCustomerDeleted, ZCustomerExport, ZIdParam, ZPageQuery, ZProblem, ZTimelineItem, ZTimelineQuery, page } from '@rapport/contracts';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { Customer360Service } from './customer360.service.js';
import type { CustomerPrivacyWorkflow } from '../../workflows/customer-privacy.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem };

export function registerCustomer360Routes(app: FastifyZodInstance, deps: { customer360: Customer360Service; privacy: CustomerPrivacyWorkflow }) {
  const { customer360, privacy } = deps;
  const tags = ['customers'];
  app.get(
    '/api/v1/customers/:id/timeline',
    {
      config: { access: 'customers.read' },
      schema: {
        tags,
        summary: 'Every interaction of the customer, newest first',
        params: ZIdParam,
        querystring: ZPageQuery.extend(ZTimelineQuery.shape),
        response: { 200: page(ZTimelineItem), ...errors },
      },
    },
    async (req) => customer360.timeline(requireAuth(req), req.params.id, req.query),
  );
  app.get(
    '/api/v1/customers/:id/export',
    {
      config: { access: 'customers.write' },
      schema: { tags, summary: 'Everything held about the customer (GDPR access)', params: ZIdParam, response: { 200: ZCustomerExport, ...errors } },
    },
    async (req) => privacy.export(requireAuth(req), req.params.id),
  );
  app.delete(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.write' },
      schema: {
        tags,
        summary: 'Erase the customer and everything about them (GDPR erasure; owners and admins)',
        params: ZIdParam,
        response: { 200: ZCustomerDeleted, ...errors },
      },
    },
    async (req) => privacy.erase(requireAuth(req), req.params.id),
  );
}
