// Twilio's webhooks: POST /channels/twilio/{inboxId}/sms (the number's "A message comes in" URL)
// and /channels/twilio/{inboxId}/status (the StatusCallback Rapport sends with each message).
// Public (Twilio has no bearer token): each request proves itself with X-Twilio-Signature.
import { ZInboxIdParam } from '@rapport/contracts';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyZodInstance } from '../../../platform/fastify.js';
import type { Twilio, TwilioRequest } from './twilio.service.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>';
const FORM_LIMIT = 64 * 1024;

export async function registerTwilioRoutes(app: FastifyZodInstance, deps: { twilio: Twilio; publicUrl: string | null }) {
  const { twilio } = deps;
  const base = deps.publicUrl?.replace(/\/+$/, '') ?? null;

  function request(req: FastifyRequest, inboxId: string): TwilioRequest {
    const params: Record<string, string> = {};
    const body: unknown = req.body;
    if (body && typeof body === 'object') for (const [k, v] of Object.entries(body)) if (typeof v === 'string') params[k] = v;
    // Twilio signs the URL it called: the configured public URL first, else the one the request
    // names (Host, and X-Forwarded-Proto/-Host when RAPPORT_TRUST_PROXY trusts the proxy).
    const urls = [...(base ? [`${base}${req.url}`] : []), `${req.protocol}://${req.host}${req.url}`];
    const signature = req.headers['x-twilio-signature'];
    return { inboxId, urls, signature: typeof signature === 'string' ? signature : undefined, params };
  }

  await app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    // Only Twilio's form posts here, bounded; the signature covers every field as sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
      const params = new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'));
      done(null, Object.fromEntries(params));
    });
    const tags = ['channels'];
    scope.post(
      '/channels/twilio/:inboxId/sms',
      {
        config: { access: 'public' },
        schema: { tags, summary: "Twilio's inbound SMS webhook (signed with the inbox's auth token)", params: ZInboxIdParam },
      },
      async (req, reply) => {
        await twilio.receiveMessage(request(req, req.params.inboxId));
        return reply.type('text/xml; charset=utf-8').send(EMPTY_TWIML);
      },
    );
    scope.post(
      '/channels/twilio/:inboxId/status',
      {
        config: { access: 'public' },
        schema: { tags, summary: "Twilio's delivery status callback for messages Rapport sent", params: ZInboxIdParam },
      },
      async (req, reply) => {
        await twilio.receiveStatus(request(req, req.params.inboxId));
        return reply.type('text/xml; charset=utf-8').send(EMPTY_TWIML);
      },
    );
  });
}
