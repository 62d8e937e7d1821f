// HTTP routes of setup, sign-in, me, workspaces, members, teams, tokens and the audit log.
import {
  ZAcceptInvite,
  ZApiToken,
  ZAuditEntry,
  ZAuditQuery,
  ZCreateToken,
  ZCreateTokenResult,
  ZCreateTeam,
  ZCreateWorkspace,
  ZCreateWorkspaceResult,
  ZIdParam,
  ZInvitationPreview,
  ZInviteMember,
  ZInviteResult,
  ZInviteToken,
  ZPendingInvitation,
  ZLogin,
  ZMe,
  ZMember,
  ZOk,
  ZPageQuery,
  ZProblem,
  ZSetup,
  ZSetupResult,
  ZSetupStatus,
  ZSwitchWorkspace,
  ZTeam,
  ZTeamMember,
  ZUpdateMe,
  ZUpdateMember,
  ZUpdateTeam,
  page,
} from '@rapport/contracts';
import type { FastifyReply } from 'fastify';
import type { FastifyZodInstance } from '../../platform/fastify.js';
import { z } from 'zod';
import type { Audit } from '../../platform/audit.js';
import { SESSION_COOKIE } from '../../platform/auth.js';
import { requirePermission } from '../../platform/access.js';
import { requireAuth } from '../../platform/http.js';
import { invalid } from '../../platform/errors.js';
import type { WorkspacesService } from './workspaces.service.js';

const errors = { 400: ZProblem, 401: ZProblem, 403: ZProblem, 404: ZProblem, 409: ZProblem };

export function registerWorkspaceRoutes(app: FastifyZodInstance, deps: { workspaces: WorkspacesService; audit: Audit; cookieSecure: boolean }) {
  const { workspaces } = deps;
  const setCookie = (reply: FastifyReply, s: { sessionId: string; maxAgeSeconds: number }) =>
    reply.setCookie(SESSION_COOKIE, s.sessionId, { httpOnly: true, sameSite: 'lax', secure: deps.cookieSecure, path: '/', maxAge: s.maxAgeSeconds });

  app.get('/api/v1/setup', { config: { access: 'public' }, schema: { tags: ['auth'], response: { 200: ZSetupStatus } } }, async () => ({
    needsSetup: await workspaces.needsSetup(),
  }));
  app.post(
    '/api/v1/setup',
    {
      config: { access: 'public' },
      schema: { tags: ['auth'], summary: 'Create the first workspace and owner (once)', body: ZSetup, response: { 201: ZSetupResult, ...errors } },
    },
    async (req, reply) => {
      const { session, ...result } = await workspaces.setup(req.body, req.ip);
      setCookie(reply, session);
      return reply.code(201).send(result);
    },
  );
  app.post(
    '/api/v1/auth/login',
    { config: { access: 'public' }, schema: { tags: ['auth'], body: ZLogin, response: { 200: ZOk, ...errors, 429: ZProblem } } },
    async (req, reply) => {
      setCookie(reply, await workspaces.login(req.body, req.ip));
      return { ok: true as const };
    },
  );
  app.post('/api/v1/auth/logout', { config: { access: 'public' }, schema: { tags: ['auth'], response: { 200: ZOk } } }, async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) await workspaces.logout(sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true as const };
  });
  app.post(
    '/api/v1/auth/switch',
    {
      config: { access: 'me' },
      schema: { tags: ['auth'], summary: 'Switch the session to another workspace', body: ZSwitchWorkspace, response: { 200: ZOk, ...errors } },
    },
    async (req) => {
      const sid = req.cookies[SESSION_COOKIE];
      if (!sid) throw invalid('Only browser sessions switch workspaces; an API token is bound to one');
      await workspaces.switchWorkspace(requireAuth(req), sid, req.body.workspaceId);
      return { ok: true as const };
    },
  );
  app.post(
    '/api/v1/invites/preview',
    {
      config: { access: 'public' },
      schema: {
        tags: ['members'],
        summary: 'What an invitation link is for (the token travels in the body, never the URL)',
        body: ZInviteToken,
        response: { 200: ZInvitationPreview, ...errors },
      },
    },
    async (req) => workspaces.previewInvitation(req.body.token),
  );
  app.post(
    '/api/v1/invites/accept',
    {
      config: { access: 'public' },
      schema: {
        tags: ['members'],
        summary: 'Create the invited account (addresses without one) and sign in',
        description: 'A person who already has an account gets 409: they sign in and accept with POST /api/v1/me/invitations/{workspaceId}/accept.',
        body: ZAcceptInvite,
        response: { 200: ZOk, ...errors },
      },
    },
    async (req, reply) => {
      setCookie(reply, await workspaces.acceptInvite(req.body, req.ip));
      return { ok: true as const };
    },
  );
  app.post(
    '/api/v1/me/invitations/:workspaceId/accept',
    {
      config: { access: 'me' },
      schema: {
        tags: ['members'],
        summary: 'Accept an invitation of the signed-in person (a session moves to that workspace)',
        params: z.object({ workspaceId: z.string().max(64) }),
        response: { 200: ZPendingInvitation, ...errors },
      },
    },
    async (req) =>
      workspaces.acceptInvitationAsMember(
        requireAuth(req),
        req.params.workspaceId,
        req.auth?.method === 'session' ? (req.cookies[SESSION_COOKIE] ?? null) : null,
      ),
  );
  app.delete(
    '/api/v1/me/invitations/:workspaceId',
    {
      config: { access: 'me' },
      schema: {
        tags: ['members'],
        summary: 'Decline an invitation',
        params: z.object({ workspaceId: z.string().max(64) }),
        response: { 204: z.null(), ...errors },
      },
    },
    async (req, reply) => {
      await workspaces.declineInvitation(requireAuth(req), req.params.workspaceId);
      return reply.code(204).send(null);
    },
  );

  app.get('/api/v1/me', { config: { access: 'me' }, schema: { tags: ['auth'], response: { 200: ZMe, ...errors } } }, async (req) =>
    workspaces.me(requireAuth(req)),
  );
  app.patch('/api/v1/me', { config: { access: 'me' }, schema: { tags: ['auth'], body: ZUpdateMe, response: { 200: ZMe, ...errors } } }, async (req) =>
    workspaces.updateMe(requireAuth(req), req.body),
  );
  app.post(
    '/api/v1/workspaces',
    { config: { access: 'me' }, schema: { tags: ['workspaces'], body: ZCreateWorkspace, response: { 201: ZCreateWorkspaceResult, ...errors } } },
    async (req, reply) => reply.code(201).send(await workspaces.createWorkspace(requireAuth(req), req.body.name)),
  );

  app.get('/api/v1/members', { config: { access: 'members.read' }, schema: { tags: ['members'], response: { 200: page(ZMember), ...errors } } }, async (req) =>
    workspaces.listMembers(requireAuth(req)),
  );
  app.post(
    '/api/v1/members',
    {
      config: { access: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Invite a member by email',
        description: 'The invitation link is mailed to the address (RAPPORT_SMTP_RELAY_URL) and never returned to the inviter.',
        body: ZInviteMember,
        response: { 201: ZInviteResult, ...errors, 429: ZProblem },
      },
    },
    async (req, reply) => reply.code(201).send(await workspaces.inviteMember(requireAuth(req), req.body)),
  );
  app.post(
    '/api/v1/members/:id/invitation',
    {
      config: { access: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Mail a fresh invitation link (the previous one stops working)',
        params: ZIdParam,
        response: { 200: ZInviteResult, ...errors, 429: ZProblem },
      },
    },
    async (req) => workspaces.resendInvitation(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/members/:id',
    {
      config: { access: 'members.manage' },
      schema: {
        tags: ['members'],
        summary: 'Change role, deactivate, availability or capacity',
        params: ZIdParam,
        body: ZUpdateMember,
        response: { 200: ZMember, ...errors },
      },
    },
    async (req) => workspaces.updateMember(requireAuth(req), req.params.id, req.body),
  );

  app.get('/api/v1/teams', { config: { access: 'teams.read' }, schema: { tags: ['teams'], response: { 200: page(ZTeam), ...errors } } }, async (req) =>
    workspaces.listTeams(requireAuth(req)),
  );
  app.post(
    '/api/v1/teams',
    { config: { access: 'settings.manage' }, schema: { tags: ['teams'], body: ZCreateTeam, response: { 201: ZTeam, ...errors } } },
    async (req, reply) => reply.code(201).send(await workspaces.createTeam(requireAuth(req), req.body)),
  );
  app.get(
    '/api/v1/teams/:id',
    { config: { access: 'teams.read' }, schema: { tags: ['teams'], params: ZIdParam, response: { 200: ZTeam, ...errors } } },
    async (req) => workspaces.getTeam(requireAuth(req), req.params.id),
  );
  app.patch(
    '/api/v1/teams/:id',
    { config: { access: 'settings.manage' }, schema: { tags: ['teams'], params: ZIdParam, body: ZUpdateTeam, response: { 200: ZTeam, ...errors } } },
    async (req) => workspaces.updateTeam(requireAuth(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/teams/:id',
    { config: { access: 'settings.manage' }, schema: { tags: ['teams'], params: ZIdParam, response: { 204: z.null(), ...errors } } },
    async (req, reply) => {
      await workspaces.deleteTeam(requireAuth(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/v1/teams/:id/members',
    { config: { access: 'settings.manage' }, schema: { tags: ['teams'], params: ZIdParam, body: ZTeamMember, response: { 200: ZTeam, ...errors } } },
    async (req) => workspaces.setTeamMember(requireAuth(req), req.params.id, req.body.userId, true),
  );
  app.delete(
    '/api/v1/teams/:id/members/:userId',
    {
      config: { access: 'settings.manage' },
      schema: { tags: ['teams'], params: ZIdParam.extend({ userId: z.string().max(64) }), response: { 200: ZTeam, ...errors } },
    },
    async (req) => workspaces.setTeamMember(requireAuth(req), req.params.id, req.params.userId, false),
  );

  app.get('/api/v1/tokens', { config: { access: 'tokens.own' }, schema: { tags: ['tokens'], response: { 200: page(ZApiToken), ...errors } } }, async (req) =>
    workspaces.listTokens(requireAuth(req)),
  );
  app.post(
    '/api/v1/tokens',
    { config: { access: 'tokens.own' }, schema: { tags: ['tokens'], body: ZCreateToken, response: { 201: ZCreateTokenResult, ...errors } } },
    async (req, reply) => reply.code(201).send(await workspaces.createToken(requireAuth(req), req.body.name)),
  );
  app.delete(
    '/api/v1/tokens/:id',
    { config: { access: 'tokens.own' }, schema: { tags: ['tokens'], params: ZIdParam, response: { 200: ZApiToken, ...errors } } },
    async (req) => workspaces.revokeToken(requireAuth(req), req.params.id),
  );

  app.get(
    '/api/v1/audit-log',
    {
      config: { access: 'audit.read' },
      schema: { tags: ['audit'], querystring: ZPageQuery.extend(ZAuditQuery.shape), response: { 200: page(ZAuditEntry), ...errors } },
    },
    async (req) => {
      const auth = requireAuth(req);
      requirePermission(auth, 'audit.read');
      return deps.audit.list(auth.workspaceId, req.query);
    },
  );
}
