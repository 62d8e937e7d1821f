// CORS for browser ingest: client write keys sit in web pages of other origins, so /v1/* answers
// preflights and carries Access-Control-Allow-Origin for the origins a client key allows (empty:
// any). Server keys are never usable from a browser, and the cookie-authenticated /api/v1/* API
// never answers CORS at all (nothing here touches it).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { forbidden } from '../../platform/errors.js';
import type { IngestPrincipal } from './write-keys.service.js';

const ALLOWED_HEADERS = 'authorization, content-type, content-encoding, x-retry-count';

/** Preflights carry no credentials, so they are answered for any origin; the real request is checked. */
export function registerIngestPreflight(app: FastifyZodInstance) {
  app.options('/v1/*', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', 'GET, POST, OPTIONS')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '86400')
        .header('vary', 'Origin');
    }
    return reply.code(204).send();
  });
}

/**
 * After the key is known: a browser request (one with an Origin) must use a client key whose
 * allowed origins include it; the answer then carries CORS headers, errors included.
 */
export function allowOrigin(req: FastifyRequest, reply: FastifyReply, principal: IngestPrincipal) {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (principal.kind !== 'client') throw forbidden('A server write key cannot be used from a browser; create a client key');
  // `Origin: null` (sandboxed frames, file: pages) names no site an owner could allow.
  if (origin === 'null' || (principal.allowedOrigins.length > 0 && !principal.allowedOrigins.includes(origin)))
    throw forbidden(`The origin ${origin} is not allowed for this write key`);
  reply.header('access-control-allow-origin', origin).header('vary', 'Origin');
}
