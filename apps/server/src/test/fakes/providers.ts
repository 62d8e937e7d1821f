// A local stand-in for Twilio's Messages API and Meta's Graph send endpoint (127.0.0.1, a free
// port): records every request, answers as the provider does, and fails on demand (a 500 then
// success, or a scripted refusal).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedRequest = {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The form (Twilio) or the JSON (Graph) body. */
  form: Record<string, string> | null;
  json: any;
};

type Scripted = { status: number; body: unknown };

export type FakeProvider = {
  url: string;
  requests: RecordedRequest[];
  /** The next n requests answer `status` (500 by default) with `body`. */
  failNext(n: number, status?: number, body?: unknown): void;
  /** Forget what was recorded. */
  reset(): void;
  close(): Promise<void>;
};

const id = (prefix: string, n = 16) => `${prefix}${randomBytes(n).toString('hex')}`;

export async function startFakeProvider(): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const script: Scripted[] = [];
  let port = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const isForm = String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      let json: any = null;
      if (!isForm) {
        try {
          json = JSON.parse(raw);
        } catch {
          json = null;
        }
      }
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, raw, form: isForm ? Object.fromEntries(new URLSearchParams(raw)) : null, json });
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      // Twilio's MMS media (behind the account's basic auth).
      if (req.method === 'GET' && /^\/2010-04-01\/Accounts\/[^/]+\/Messages\/[^/]+\/Media\/[^/]+$/.test(path)) {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return res.end(Buffer.from(`jpeg bytes of ${path.split('/').pop()}`));
      }
      // Meta's media: the Graph API names a file's URL by its id, then serves it (both behind the Bearer token).
      if (req.method === 'GET' && /^\/v[\d.]+\/\d+$/.test(path)) {
        const mediaId = path.split('/').pop();
        return send(200, { url: `http://127.0.0.1:${port}/media/${mediaId}`, mime_type: 'image/jpeg', file_size: 20, id: mediaId });
      }
      if (req.method === 'GET' && path.startsWith('/media/')) {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        return res.end(Buffer.from(`whatsapp image ${path.split('/').pop()}`));
      }
      const next = script.shift();
      if (next) return send(next.status, next.body);
      // A webhook receiver's path (the API channel's replies arrive here as message.created).
      if (path.startsWith('/hooks/')) return send(200, { ok: true });
      if (/^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(path)) return send(201, { sid: id('SM'), status: 'queued' });
      if (/\/messages$/.test(path)) {
        if (json?.messaging_product === 'whatsapp')
          return send(200, { messaging_product: 'whatsapp', contacts: [{ input: json.to, wa_id: json.to }], messages: [{ id: `wamid.${id('', 12)}` }] });
        return send(200, { recipient_id: json?.recipient?.id ?? null, message_id: `m_${id('', 12)}` });
      }
      send(404, { error: { message: 'Unknown path', code: 404 } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(n, status = 500, body = { message: 'Internal error', code: 20500 }) {
      for (let i = 0; i < n; i++) script.push({ status, body });
    },
    reset() {
      requests.length = 0;
      script.length = 0;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
