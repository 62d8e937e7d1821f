// GET /api/v1/stream: the WebSocket that keeps the web app live.
import fastifyWebsocket from '@fastify/websocket';
import { ZLiveClientMessage, ZLiveQuery, type LiveServerMessage } from '@rapport/contracts';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../platform/access.js';
import { AUTH_CHANGED, createAuthResolver, SESSION_COOKIE, TOKEN_PREFIX, type AuthResolver } from '../../platform/auth.js';
import type { Bus } from '../../platform/bus.js';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/database.js';
import type { LogTail } from '../../platform/log-tail.js';
import { AppError, forbidden, invalid, unauthenticated } from '../../platform/errors.js';
import { isSameOrigin } from '../../platform/http.js';
import { keepAlive, parseFrame } from '../../platform/socket.js';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import { createLiveService, type LiveService } from './live.service.js';

/** A client that cannot keep up is dropped; it reconnects with its last cursor and catches up from the log. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * Browsers cannot set headers on a WebSocket, so besides the session cookie and a Bearer header
 * this route also takes `?token=`; that is why it authenticates here rather than in the shared
 * guard. A cookie is only honoured from the same origin (cross-site WebSocket hijacking).
 */
async function authenticate(req: FastifyRequest, resolver: AuthResolver, queryToken: string | undefined): Promise<AuthContext> {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : queryToken;
  if (token !== undefined) {
    if (!token.startsWith(TOKEN_PREFIX)) throw unauthenticated('The API token is malformed');
    return resolver.fromToken(token, req.ip);
  }
  const sid = req.cookies[SESSION_COOKIE];
  if (!sid) throw unauthenticated('Sign in or send an API token');
  const origin = req.headers.origin;
  if (origin !== undefined && !isSameOrigin(origin, req.headers.host)) throw forbidden('Cross-site WebSocket refused');
  return resolver.fromSession(sid, req.ip);
}

/** Creates the live service on the app's bus and serves it; returns it for the caller to inspect. */
export async function registerLiveRoutes(
  app: FastifyZodInstance,
  deps: { db: Db; bus: Bus; clock: Clock; conversations: ConversationsService; tail: LogTail },
): Promise<LiveService> {
  // The sockets' own credential cache forgets on AUTH_CHANGED like the request guard's does
  // (subscribed before the live service, which re-verifies sockets on the same event).
  const resolver = createAuthResolver(deps);
  const unsubscribeAuth = deps.bus.subscribe((e) => e.type === AUTH_CHANGED && resolver.invalidate());
  const live = createLiveService(deps);
  await deps.tail.start();
  await app.register(fastifyWebsocket, { options: { maxPayload: 16 * 1024 } });
  app.addHook('onClose', async () => {
    unsubscribeAuth();
    deps.tail.stop();
    live.close();
  });

  app.get(
    '/api/v1/stream',
    {
      websocket: true,
      config: { access: 'public' },
      schema: {
        tags: ['live'],
        summary: 'WebSocket of workspace domain events (from the log), filtered by role; ?cursor= to catch up',
        querystring: ZLiveQuery,
      },
      onRequest: async (req) => {
        const parsed = ZLiveQuery.safeParse(req.query);
        if (!parsed.success) throw invalid('The stream takes ?cursor= (a cursor the stream sent) and ?token=');
        req.auth = await authenticate(req, resolver, parsed.success ? parsed.data.token : undefined);
      },
    },
    (socket, req) => {
      const auth = req.auth;
      if (!auth) {
        socket.close(1008, 'unauthenticated');
        return;
      }
      const send = (message: LiveServerMessage) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(1013, 'too slow; reconnect with your last cursor');
          return;
        }
        socket.send(JSON.stringify(message));
      };
      const token = ZLiveQuery.safeParse(req.query).data?.token;
      const session = live.connect(
        {
          auth,
          send,
          verify: () => authenticate(req, resolver, token),
          // 4401: the client's next connect is refused with 401 and it signs in again.
          close: (reason) => socket.close(4401, reason),
        },
        { cursor: req.query.cursor },
      );

      keepAlive(socket);

      socket.on('message', (raw) => {
        const json = parseFrame(raw);
        if (json === undefined) {
          send({ kind: 'error', detail: 'Messages must be JSON' });
          return;
        }
        const parsed = ZLiveClientMessage.safeParse(json);
        if (!parsed.success) {
          send({ kind: 'error', detail: 'Unknown message; send {type:"viewing"|"typing"|"left", conversationId} or {type:"ping"}' });
          return;
        }
        session
          .then((s) => s.receive(parsed.data))
          .catch((err: unknown) => {
            send({ kind: 'error', detail: err instanceof AppError ? err.message : 'The message could not be handled' });
          });
      });
      socket.on('close', () => {
        void session.then((s) => s.disconnect());
      });
    },
  );
  return live;
}
