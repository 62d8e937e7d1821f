// HTTP plumbing shared by every route: RFC 9457 problems, the access hook and idempotency.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { AuthContext, Permission } from './access.js';
import { requirePermission } from './access.js';
import { SESSION_COOKIE, TOKEN_PREFIX, type AuthResolver } from './auth.js';
import type { Clock } from './clock.js';
import type { Db } from './db/database.js';
import { AppError, forbidden, invalid, conflict, unauthenticated, unprocessable, statusOf, titleOf, type AppErrorCode, type FieldError } from './errors.js';
import { sha256 } from './ids.js';
import { createIdempotencyStore } from './idempotency.store.js';

export type Access = Permission | 'public' | 'authenticated';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/**
 * Whether a request's Origin names this server. Anything else — another site, `null` (sandboxed
 * frames, file: pages), a malformed value — is cross-site, never an error.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!URL.canParse(origin)) return false;
  const url = new URL(origin);
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '' && url.host === host;
}

export function requireAuth(req: FastifyRequest): AuthContext {
  if (!req.auth) throw unauthenticated('Sign in or send an API token');
  return req.auth;
}

const PROBLEM_BASE = 'https://rapport.dev/problems/';

export type Problem = {
  status: number;
  title: string;
  detail: string;
  type?: string;
  errors?: FieldError[] | undefined;
  headers?: Record<string, string> | undefined;
  extensions?: Record<string, unknown> | undefined;
};

/** Every RFC 9457 problem body Rapport sends goes through here. */
export function problem(reply: FastifyReply, p: Problem) {
  if (p.headers) reply.headers(p.headers);
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({
      ...(p.extensions ?? {}),
      type: p.type ?? 'about:blank',
      title: p.title,
      status: p.status,
      detail: p.detail,
      instance: reply.request.url,
      requestId: String(reply.request.id),
      ...(p.errors && p.errors.length > 0 ? { errors: p.errors } : {}),
    });
}

export function sendProblem(
  reply: FastifyReply,
  code: AppErrorCode,
  detail: string,
  errors?: FieldError[],
  headers?: Record<string, string>,
  extensions?: Record<string, unknown>,
) {
  return problem(reply, {
    extensions,
    status: statusOf[code],
    title: titleOf[code],
    type: PROBLEM_BASE + code.toLowerCase().replaceAll('_', '-'),
    detail,
    errors,
    headers,
  });
}

const fastifyCodes: Record<string, AppErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID',
  FST_ERR_VALIDATION: 'INVALID',
};

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) return sendProblem(reply, err.code, err.message, err.errors, err.headers, err.extensions);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v) => ({
        path: [err.validationContext, ...String(v.instancePath).split('/').filter(Boolean)].filter(Boolean).join('.'),
        message: v.message ?? 'invalid',
      }));
      return sendProblem(reply, 'INVALID', `The request ${err.validationContext ?? 'input'} is not valid`, errors);
    }
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return sendProblem(reply, 'INVALID', 'The body is not valid JSON');
    }
    const mapped = err.code ? fastifyCodes[err.code] : undefined;
    if (mapped) return sendProblem(reply, mapped, err.message);
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return problem(reply, { status: err.statusCode, title: err.name, detail: err.message });
    } else {
      req.log.error({ err }, 'unhandled error');
    }
    return problem(reply, {
      status: 500,
      title: 'Internal server error',
      detail: 'Something went wrong on our side; the request id identifies it in the logs',
    });
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 'NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`));
}

/** Every route must say who may call it: the guard fails closed at start-up otherwise. */
export function installAccessGuard(app: FastifyInstance, resolver: AuthResolver) {
  app.decorateRequest('auth', null);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access && !route.url.startsWith('/docs') && route.method !== 'HEAD') {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access rule`);
    }
  });
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config.access;
    if (!access || access === 'public') return;
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const token = header.slice(7).trim();
      if (!token.startsWith(TOKEN_PREFIX)) throw unauthenticated('The API token is malformed');
      req.auth = await resolver.fromToken(token, req.ip);
    } else {
      const sid = req.cookies[SESSION_COOKIE];
      if (!sid) throw unauthenticated('Sign in or send an API token', 'Bearer');
      // Cookie sessions: refuse cross-site writes (CSRF) on top of SameSite=Lax.
      if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
        const origin = req.headers.origin;
        if (origin !== undefined && !isSameOrigin(origin, req.headers.host)) {
          throw forbidden('Cross-site request refused');
        }
      }
      req.auth = await resolver.fromSession(sid, req.ip);
    }
    if (access !== 'authenticated') requirePermission(req.auth, access);
  });
}

/**
 * Idempotency-Key on POST: the first response (2xx or 4xx) is stored and replayed for a retry
 * with the same key and body; a different body under the same key is refused with 422, and a
 * retry while the first is still running gets 409.
 */
export function installIdempotency(app: FastifyInstance, deps: { db: Db; clock: Clock }) {
  const { clock } = deps;
  const store = createIdempotencyStore(deps.db);
  const HEADER = 'idempotency-key';
  app.addHook('preHandler', async (req, reply) => {
    const key = req.headers[HEADER];
    // Keys are scoped to an authenticated caller; public routes (setup, login, ingest) have their own guards.
    if (req.method !== 'POST' || typeof key !== 'string' || !req.auth) return;
    if (key.length < 1 || key.length > 255) throw invalid('Idempotency-Key must be 1 to 255 characters');
    const workspaceId = req.auth.workspaceId;
    const principal = req.auth.tokenId ?? req.auth.userId;
    const path = req.url;
    const requestHash = sha256(`${req.method} ${path} ${JSON.stringify(req.body ?? null)}`);
    const claimed = await store.claim({
      workspace_id: workspaceId,
      principal,
      key,
      method: req.method,
      path,
      request_hash: requestHash,
      status_code: null,
      response: null,
      created_at: clock.nowIso(),
    });
    if (claimed) {
      (req as FastifyRequest & { idempotency?: object }).idempotency = { workspaceId, principal, key };
      return;
    }
    const existing = await store.get({ workspaceId, principal, key });
    if (existing.request_hash !== requestHash) {
      throw unprocessable('This Idempotency-Key was used with a different request');
    }
    if (existing.status_code === null || existing.response === null) {
      throw conflict('A request with this Idempotency-Key is still being processed; retry later');
    }
    reply.header('idempotent-replayed', 'true');
    const contentType = existing.status_code >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8';
    return reply.code(existing.status_code).type(contentType).send(existing.response);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const idem = (req as FastifyRequest & { idempotency?: { workspaceId: string; principal: string; key: string } }).idempotency;
    if (!idem) return payload;
    if (reply.statusCode >= 500 || typeof payload !== 'string') await store.release(idem);
    else await store.complete(idem, reply.statusCode, payload);
    return payload;
  });
}
