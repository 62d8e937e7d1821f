// Survey links: `<payload>.<mac>`, base64url, where the payload names the workspace, survey,
// customer, send and expiry, and the mac is HMAC-SHA256 of the payload under the workspace's
// survey secret. Verified in constant time; the send row must then agree with every field.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export type LinkClaims = { workspaceId: string; surveyId: string; customerId: string; sendId: string; expiresAt: number };

const ZClaims = z.object({ w: z.string().max(64), s: z.string().max(64), c: z.string().max(64), d: z.string().max(64), e: z.number().int() });

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest();

export function signLink(secret: string, c: LinkClaims): string {
  const payload = Buffer.from(JSON.stringify({ w: c.workspaceId, s: c.surveyId, c: c.customerId, d: c.sendId, e: Math.floor(c.expiresAt / 1000) })).toString(
    'base64url',
  );
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The claims a token says it carries, unverified: only to find the workspace whose secret verifies it. */
export function readLink(token: string): LinkClaims | null {
  if (token.length > 1024) return null;
  const [payload, sig, extra] = token.split('.');
  if (!payload || !sig || extra !== undefined) return null;
  try {
    const parsed = ZClaims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!parsed.success) return null;
    const { w, s, c, d, e } = parsed.data;
    return { workspaceId: w, surveyId: s, customerId: c, sendId: d, expiresAt: e * 1000 };
  } catch {
    return null;
  }
}

export function verifyLink(secret: string, token: string): boolean {
  const [payload, sig] = token.split('.');
  if (!payload || !sig) return false;
  const expected = mac(secret, payload);
  const given = Buffer.from(sig, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
