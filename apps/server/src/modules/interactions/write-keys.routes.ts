import { ZCreatedWriteKey, ZCreateWriteKey, ZIdParam, ZProblem, ZWriteKey, page } from '@rapport/contracts';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { requireAuth } from '../../platform/http.js';
import type { WriteKeysService } from './write-keys.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem };

export function registerWriteKeyRoutes(app: FastifyZodInstance, deps: { writeKeys: WriteKeysService }) {
  const { writeKeys } = deps;
  app.post(
    '/api/v1/write-keys',
    {
      config: { access: 'ingest.manage' },
      schema: { tags: ['ingest'], summary: 'Create a write key (shown once)', body: ZCreateWriteKey, response: { 201: ZCreatedWriteKey, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await writeKeys.create(requireAuth(req), req.body.name)),
  );
  app.get(
    '/api/v1/write-keys',
    { config: { access: 'ingest.manage' }, schema: { tags: ['ingest'], response: { 200: page(ZWriteKey), ...errors } } },
    async (req) => writeKeys.list(requireAuth(req)),
  );
  app.delete(
    '/api/v1/write-keys/:id',
    {
      config: { access: 'ingest.manage' },
      schema: { tags: ['ingest'], summary: 'Revoke a write key', params: ZIdParam, response: { 200: ZWriteKey, ...errors } },
    },
    async (req) => writeKeys.revoke(requireAuth(req), req.params.id),
  );
}
