import { ZCreatedWriteKey, ZCreateWriteKey, ZIdentitySecret, ZIdParam, ZProblem, ZUpdateWriteKey, ZWriteKey, page } from '@rapport/contracts';
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
    async (req, reply) => reply.code(201).send(await writeKeys.create(requireAuth(req), req.body)),
  );
  app.patch(
    '/api/v1/write-keys/:id',
    {
      config: { access: 'ingest.manage' },
      schema: {
        tags: ['ingest'],
        summary: "Rename a write key or change a client key's allowed origins",
        params: ZIdParam,
        body: ZUpdateWriteKey,
        response: { 200: ZWriteKey, ...errors },
      },
    },
    async (req) => writeKeys.update(requireAuth(req), req.params.id, req.body),
  );
  app.get(
    '/api/v1/identity-secret',
    {
      config: { access: 'ingest.manage' },
      schema: {
        tags: ['ingest'],
        summary: 'The workspace identity secret: sign user ids with HMAC-SHA256 (hex) so client keys may attach events to them',
        response: { 200: ZIdentitySecret, ...errors },
      },
    },
    async (req) => writeKeys.identitySecret(requireAuth(req)),
  );
  app.post(
    '/api/v1/identity-secret/rotate',
    {
      config: { access: 'ingest.manage' },
      schema: {
        tags: ['ingest'],
        summary: 'Replace the identity secret (signatures made with the old one stop verifying)',
        response: { 200: ZIdentitySecret, ...errors },
      },
    },
    async (req) => writeKeys.rotateIdentitySecret(requireAuth(req)),
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
