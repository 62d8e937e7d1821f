// One webhook attempt over HTTP: POST the signed body to the checked, pinned address; follow at
// most 3 redirects (301, 302, 307, 308 — each re-POSTs the same request and each target is checked
// by the guard again); give up after a total timeout; keep only the first 1 KB of the answer.
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { EgressRefused, pinnedLookup, type EgressGuard } from '../../platform/ssrf.js';

export type AttemptResult = {
  ok: boolean;
  /** HTTP status of the last answer, null when none came. */
  status: number | null;
  /** First `maxBody` bytes of the last answer's body. */
  body: string | null;
  error: string | null;
  durationMs: number;
  /** The guard refused a target (the URL or a redirect). */
  refused: boolean;
};

export type SendOptions = { timeoutMs: number; maxRedirects: number; maxBody: number };
export const DEFAULT_SEND: SendOptions = { timeoutMs: 10_000, maxRedirects: 3, maxBody: 1024 };
const REDIRECTS = new Set([301, 302, 307, 308]);

type Answer = { status: number; location: string | null; body: string };

function once(
  url: URL,
  target: { host: string; address: string; family: 4 | 6 },
  headers: Record<string, string>,
  body: string,
  maxBody: number,
  signal: AbortSignal,
) {
  return new Promise<Answer>((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(target),
        // A fresh connection every time: nothing pooled under the host name outlives its check.
        agent: false,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const status = res.statusCode ?? 0;
          const location = typeof res.headers.location === 'string' ? res.headers.location : null;
          resolve({ status, location, body: Buffer.concat(chunks).subarray(0, maxBody).toString('utf8') });
        };
        res.on('data', (chunk: Buffer) => {
          if (size >= maxBody) return;
          chunks.push(chunk);
          size += chunk.length;
          // Enough read: the rest of the answer is not ours to wait for.
          if (size >= maxBody) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', (err) => (size >= maxBody ? undefined : reject(err)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function sendAttempt(
  guard: EgressGuard,
  url: string,
  headers: Record<string, string>,
  body: string,
  opts: SendOptions = DEFAULT_SEND,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  let current = new URL(url);
  let last: Answer | null = null;
  try {
    for (let hop = 0; ; hop++) {
      const target = await guard.check(current);
      last = await once(current, target, headers, body, opts.maxBody, controller.signal);
      if (!REDIRECTS.has(last.status) || !last.location) break;
      if (hop >= opts.maxRedirects) {
        return { ok: false, status: last.status, body: last.body, error: `more than ${opts.maxRedirects} redirects`, durationMs: elapsed(), refused: false };
      }
      const next = URL.canParse(last.location, current) ? new URL(last.location, current) : null;
      if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
        return { ok: false, status: last.status, body: last.body, error: 'redirected to a URL that is not http(s)', durationMs: elapsed(), refused: true };
      }
      current = next;
    }
    const ok = last.status >= 200 && last.status < 300;
    return { ok, status: last.status, body: last.body, error: ok ? null : `HTTP ${last.status}`, durationMs: elapsed(), refused: false };
  } catch (err) {
    if (err instanceof EgressRefused) {
      const where = last ? ` (redirect to ${current.host})` : '';
      return {
        ok: false,
        status: last?.status ?? null,
        body: last?.body ?? null,
        error: `refused${where}: ${err.message}`,
        durationMs: elapsed(),
        refused: true,
      };
    }
    const message = controller.signal.aborted ? `timed out after ${opts.timeoutMs / 1000} s` : err instanceof Error ? err.message : String(err);
    return { ok: false, status: null, body: null, error: message, durationMs: elapsed(), refused: false };
  } finally {
    clearTimeout(timer);
  }
}
