// Meta's webhook, one per inbox: GET /channels/meta/{inboxId}/webhook answers the subscription
// handshake, POST takes WhatsApp and Messenger events signed with the app secret
// (X-Hub-Signature-256 over the raw body, which this scope keeps as bytes for the check).
import { ZInboxIdParam, ZMetaHandshake, ZMetaWebhookResult, ZProblem } from '@rapport/contracts';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyZodInstance } from '../../../platform/fastify.js';
import type { Meta } from './meta.service.js';

const errors = { 400: ZProblem, 403: ZProblem, 404: ZProblem, 413: ZProblem, 415: ZProblem };

export async function registerMetaRoutes(app: FastifyZodInstance, deps: { meta: Meta }) {
  const { meta } = deps;
  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const tags = ['channels'];
    scope.get(
      '/channels/meta/:inboxId/webhook',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: "Meta's webhook handshake: the challenge back when hub.verify_token is the inbox's verify token",
          params: ZInboxIdParam,
          querystring: ZMetaHandshake,
        },
      },
      async (req, reply) => {
        const q = req.query;
        const challenge = await meta.handshake(req.params.inboxId, { mode: q['hub.mode'], verifyToken: q['hub.verify_token'], challenge: q['hub.challenge'] });
        return reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(challenge);
      },
    );
    scope.post(
      '/channels/meta/:inboxId/webhook',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: 'WhatsApp Cloud API and Messenger events (X-Hub-Signature-256 with the inbox’s app secret)',
          params: ZInboxIdParam,
          response: { 200: ZMetaWebhookResult, ...errors },
        },
      },
      async (req) => {
        const signature = req.headers['x-hub-signature-256'];
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        return meta.receive({ inboxId: req.params.inboxId, signature: typeof signature === 'string' ? signature : undefined, raw });
      },
    );
  });
}
