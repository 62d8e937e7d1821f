// A provider retries a webhook it thinks failed, sometimes while the first post is still being
// written: the second insert then hits the unique provider id, and receiving it again finds the
// first (a duplicate) instead of failing the provider's request.
import type { InboundResult } from '../conversations/channel-messages.service.js';
import type { Inbound, InboundInput } from './inbound.js';

const isUniqueViolation = (err: unknown): boolean => {
  if (!(err instanceof Error)) return false;
  const code = 'code' in err ? String(err.code) : '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT') || /UNIQUE constraint/.test(err.message);
};

export async function receiveOnce(inbound: Inbound, input: InboundInput): Promise<InboundResult> {
  try {
    return await inbound.receive(input);
  } catch (err) {
    if (!isUniqueViolation(err) || !input.message.externalId) throw err;
    return inbound.receive(input);
  }
}
