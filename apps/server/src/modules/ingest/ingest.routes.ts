// Segment-compatible ingest: POST /v1/{track,identify,page,screen,group,alias,batch,import}.
// The write key arrives as the HTTP Basic user name (or `writeKey` in the body); bodies are
// JSON sent as application/json or text/plain, at most INGEST_BODY_LIMIT bytes (413 above).
import { ZIngestResult, ZPageQuery, ZProblem, ZRejectedEvent, ZRejectedSummary, page } from '@rapport/contracts';
import { gunzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { invalid, tooLarge } from '../../platform/errors.js';
import { requireAuth } from '../../platform/http.js';
import { allowOrigin, registerIngestPreflight } from './ingest-cors.js';
import type { IngestService } from './ingest.service.js';
import { EVENT_TYPES, type EventType } from './ingest.validate.js';
import type { WriteKeysService } from './write-keys.service.js';

/** 500 KB per batch as Segment documents it, with a little margin for framing. */
export const INGEST_BODY_LIMIT = 512 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function basicUser(header: string | undefined): string | null {
  if (!header?.toLowerCase().startsWith('basic ')) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const user = decoded.split(':')[0] ?? '';
  return user.length > 0 ? user : null;
}

const responses = { 200: ZIngestResult, 400: ZProblem, 401: ZProblem, 403: ZProblem, 413: ZProblem, 415: ZProblem, 429: ZProblem };

export async function registerIngestRoutes(app: FastifyZodInstance, deps: { ingest: IngestService; writeKeys: WriteKeysService }) {
  const { ingest, writeKeys } = deps;
  registerIngestPreflight(app);

  async function handle(req: FastifyRequest, reply: FastifyReply, fixedType: EventType | null) {
    const body = req.body;
    if (!isObject(body)) throw invalid('The body must be a JSON object');
    const key = basicUser(req.headers.authorization) ?? (typeof body.writeKey === 'string' ? body.writeKey : null);
    const principal = await writeKeys.authenticate(key);
    allowOrigin(req, reply, principal);
    let events: unknown[];
    if (fixedType) events = [body];
    else if (Array.isArray(body.batch)) events = body.batch;
    else throw invalid('batch must be an array of events', [{ path: 'body.batch', message: 'expected an array' }]);
    return ingest.ingest(principal, {
      events,
      fixedType,
      sentAt: body.sentAt,
      batchContext: !fixedType && isObject(body.context) ? body.context : null,
      ip: req.ip ?? null,
    });
  }

  await app.register(async (scope) => {
    // Some Segment libraries send JSON as text/plain (to dodge CORS preflights), some gzip it:
    // any content type is read as JSON, and a gzip body may inflate to INGEST_BODY_LIMIT bytes.
    scope.removeAllContentTypeParsers();
    // While requests are in flight, the processor lets accepting go first (ingest.service.ts).
    scope.addHook('onRequest', async (req) => ingest.requestStarted(req.id));
    scope.addHook('onResponse', async (req) => ingest.requestEnded(req.id));
    scope.addHook('onRequestAbort', async (req) => ingest.requestEnded(req.id));
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: INGEST_BODY_LIMIT }, (req, body, done) => {
      let text: string;
      try {
        const raw = Buffer.isBuffer(body) ? body : Buffer.from(body);
        text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw, { maxOutputLength: INGEST_BODY_LIMIT }) : raw).toString('utf8');
      } catch (err) {
        const isTooLarge = err instanceof RangeError || (err instanceof Error && 'code' in err && err.code === 'ERR_BUFFER_TOO_LARGE');
        done(isTooLarge ? tooLarge(`The inflated body is larger than ${INGEST_BODY_LIMIT} bytes`) : invalid('The gzip body cannot be inflated'), undefined);
        return;
      }
      try {
        done(null, JSON.parse(text));
      } catch {
        done(invalid('The body is not valid JSON'), undefined);
      }
    });
    const opts = (summary: string) => ({
      bodyLimit: INGEST_BODY_LIMIT,
      config: { access: 'public' as const },
      schema: { tags: ['ingest'], summary, security: [{ basic: [] }], response: responses },
    });
    for (const type of EVENT_TYPES) {
      scope.post(`/v1/${type}`, opts(`Segment ${type} call`), async (req, reply) => handle(req, reply, type));
      // analytics.js (analytics-next) posts to the first letter of the type: /v1/t, /v1/i, …
      scope.post(
        `/v1/${type.charAt(0)}`,
        { ...opts(`Segment ${type} call (analytics.js short path)`), schema: { ...opts('').schema, hide: true } },
        async (req, reply) => handle(req, reply, type),
      );
    }
    scope.post('/v1/batch', opts('Segment batch: up to 500 KB of events'), async (req, reply) => handle(req, reply, null));
    scope.post('/v1/import', opts('Alias of /v1/batch'), async (req, reply) => handle(req, reply, null));
    scope.post('/v1/b', { ...opts('Alias of /v1/batch (analytics.js batching)'), schema: { ...opts('').schema, hide: true } }, async (req, reply) =>
      handle(req, reply, null),
    );
  });

  // analytics.js loads its settings from `${cdnURL}/v1/projects/<writeKey>/settings`: answering
  // it lets the browser library run with `cdnURL` pointed at Rapport and nothing else.
  app.get(
    '/v1/projects/:writeKey/settings',
    {
      config: { access: 'public' },
      schema: { tags: ['ingest'], summary: 'analytics.js settings for a write key', params: z.object({ writeKey: z.string().max(200) }) },
    },
    async (req, reply) => {
      allowOrigin(req, reply, await writeKeys.authenticate(req.params.writeKey));
      // apiHost comes from this request's Host: never let a shared cache hand it to anyone else.
      reply.header('cache-control', 'no-store').header('vary', 'Host, Origin');
      return {
        integrations: { 'Segment.io': { apiKey: req.params.writeKey, apiHost: `${req.host}/v1`, protocol: req.protocol } },
        plan: { track: { __default: { enabled: true } }, identify: { __default: { enabled: true } }, group: { __default: { enabled: true } } },
        enabledMiddleware: {},
        middlewareSettings: {},
        metrics: { sampleRate: 0 },
        remotePlugins: [],
      };
    },
  );

  app.get(
    '/api/v1/rejected-events',
    {
      config: { access: 'ingest.manage' },
      schema: {
        tags: ['ingest'],
        summary: 'Events refused by ingest, newest first',
        querystring: ZPageQuery,
        response: { 200: page(ZRejectedEvent), 401: ZProblem, 403: ZProblem },
      },
    },
    async (req) => ingest.listRejected(requireAuth(req), req.query),
  );
  app.get(
    '/api/v1/rejected-events/summary',
    {
      config: { access: 'ingest.manage' },
      schema: {
        tags: ['ingest'],
        summary: 'Rejected events per day: kept (sampled, at most 1,000 a minute) and dropped (only counted)',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(90).default(14) }),
        response: { 200: ZRejectedSummary, 401: ZProblem, 403: ZProblem },
      },
    },
    async (req) => ingest.rejectedSummary(requireAuth(req), req.query.days),
  );
}
