// Calls to a messaging provider's API (Twilio, Meta's Graph API): one POST with a timeout, the
// answer read as JSON when it is JSON. The base URLs are the operator's configuration, never a
// tenant's, so these calls do not go through the webhooks' egress guard; what a tenant sets
// (account SID, phone number id, page id) is validated to digits and letters before it joins a path.
import { PermanentDeliveryError } from './outbound.js';

export type ProviderAnswer = { status: number; json: Record<string, unknown> | null; text: string };

const TIMEOUT_MS = 15_000;
const MAX_ANSWER = 64 * 1024;

export async function postToProvider(url: string, init: { headers: Record<string, string>; body: string }): Promise<ProviderAnswer> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    // Network trouble and timeouts are worth another attempt (the delivery job retries).
    const reason = !(err instanceof Error) ? String(err) : err.name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS / 1000} s` : err.message;
    throw new Error(`could not reach ${new URL(url).host}: ${reason}`);
  }
  const text = (await res.text()).slice(0, MAX_ANSWER);
  let json: Record<string, unknown> | null = null;
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) json = Object.fromEntries(Object.entries(v));
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/** 5xx and 429 are retried; any other refusal is permanent (retrying the same request changes nothing). */
export function failureOf(status: number, reason: string, transient = false): Error {
  if (transient || status >= 500 || status === 429 || status === 408) return new Error(reason);
  return new PermanentDeliveryError(reason);
}

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** A response body, up to `max` bytes (null when larger). */
export async function readLimited(res: Response, max: number): Promise<Buffer | null> {
  if (Number(res.headers.get('content-length') ?? 0) > max || !res.body) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    size += r.value.length;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(Buffer.from(r.value));
  }
  return Buffer.concat(chunks);
}
