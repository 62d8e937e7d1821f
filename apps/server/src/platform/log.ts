// What request logs may hold: never a credential. Tokens travel in `?token=` (WebSocket) and
// write keys in analytics.js' settings URL; both are cut out of every logged URL, and
// credential headers are never logged.
import pino, { type DestinationStream, type Logger } from 'pino';

/** The URL with credentials replaced by [redacted]. */
export function redactUrl(url: string): string {
  return (
    url
      .replace(/\/v1\/projects\/[^/?#]+/gi, '/v1/projects/[redacted]')
      .replace(/([?&](?:token|key|writeKey|access_token)=)[^&#]*/gi, '$1[redacted]')
      // Whatever the parameter is called (or however it is percent-encoded), our secrets have a prefix.
      .replace(/(rpt_|rwk_|rpt%5f|rwk%5f)[\w%-]+/gi, '[redacted]')
  );
}

type LoggedRequest = { method?: string; url?: string; ip?: string; id?: unknown; headers?: Record<string, unknown> };

export const serializers = {
  req(req: LoggedRequest) {
    return {
      id: req.id,
      method: req.method,
      url: redactUrl(req.url ?? ''),
      remoteAddress: req.ip,
      userAgent: req.headers?.['user-agent'],
    };
  },
};

/** The server's logger: pino with the redacting request serializer. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, serializers, redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'] };
  return destination ? pino(options, destination) : pino(options);
}
