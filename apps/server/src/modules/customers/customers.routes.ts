import {
  ZCreateCustomer,
  ZCustomer,
  ZCustomer360,
  ZCustomerQuery,
  ZIdParam,
  ZOrganization,
  ZPageQuery,
  ZProblem,
  ZUpdateCustomer,
  page,
} from '@rapport/contracts';
import type { Customer360 } from '@rapport/contracts';
import type { AuthContext } from '../../platform/access.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { CustomersService } from './customers.service.js';
import type { OrganizationsService } from './organizations.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

/** `profile` (the interactions spine's customer 360) answers GET /customers/:id with a superset of Customer. */
export function registerCustomerRoutes(
  app: FastifyZodInstance,
  deps: { customers: CustomersService; organizations: OrganizationsService; profile: (auth: AuthContext, id: string) => Promise<Customer360> },
) {
  const { customers } = deps;
  app.get(
    '/api/v1/customers',
    {
      config: { access: 'customers.read' },
      schema: {
        tags: ['customers'],
        summary: 'List and search (name, email, phone)',
        querystring: ZPageQuery.extend(ZCustomerQuery.shape),
        response: { 200: page(ZCustomer), ...errors },
      },
    },
    async (req) => customers.list(requireAuth(req), req.query),
  );
  app.post(
    '/api/v1/customers',
    { config: { access: 'customers.write' }, schema: { tags: ['customers'], body: ZCreateCustomer, response: { 201: ZCustomer, ...errors } } },
    async (req, reply) => reply.code(201).send(await customers.create(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.read' },
      schema: { tags: ['customers'], summary: 'Customer 360', params: ZIdParam, response: { 200: ZCustomer360, ...errors } },
    },
    async (req) => deps.profile(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/customers/:id',
    {
      config: { access: 'customers.write' },
      schema: { tags: ['customers'], params: ZIdParam, body: ZUpdateCustomer, response: { 200: ZCustomer, ...errors } },
    },
    async (req) => customers.update(requireAuth(req), req.params.id, req.body),
  );
  app.get(
    '/api/v1/organizations',
    {
      config: { access: 'customers.read' },
      schema: {
        tags: ['customers'],
        summary: 'Organizations (B2B accounts from group calls)',
        querystring: ZPageQuery,
        response: { 200: page(ZOrganization), 401: ZProblem, 403: ZProblem },
      },
    },
    async (req) => deps.organizations.list(requireAuth(req), req.query),
  );
}
