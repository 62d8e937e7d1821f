// The settings screens' reads and writes (members, invitations, teams, canned responses, custom
// fields, tokens, the audit log, write keys, the identity secret, touchpoints), kept with the
// feature. Lists several features share (members, teams, canned responses, custom fields,
// touchpoints) are in api/queries.ts.
import { useQuery } from '@tanstack/react-query';
import { api, must, type BodyOf } from '../../api/client';
import { keys, orNull, useWrite } from '../../api/queries';

export const useTokens = () => useQuery({ queryKey: keys.tokens, queryFn: async () => (await must(api.GET('/api/v1/tokens'))).data });
export const useAudit = () =>
  useQuery({ queryKey: keys.audit, queryFn: async () => (await must(api.GET('/api/v1/audit-log', { params: { query: { limit: 100 } } }))).data });
export const useWriteKeys = () =>
  useQuery({ queryKey: keys.writeKeys, queryFn: async () => (await orNull(must(api.GET('/api/v1/write-keys'))))?.data ?? null, retry: false });

export const useInvite = () =>
  useWrite(
    (body: BodyOf<'/api/v1/members', 'post'>) => must(api.POST('/api/v1/members', { body })),
    () => [keys.members],
  );

export const useResendInvitation = () =>
  useWrite(
    (memberId: string) => must(api.POST('/api/v1/members/{id}/invitation', { params: { path: { id: memberId } } })),
    () => [keys.members],
  );

export const useUpdateMember = () =>
  useWrite(
    (v: { id: string; body: BodyOf<'/api/v1/members/{id}', 'patch'> }) => must(api.PATCH('/api/v1/members/{id}', { params: { path: { id: v.id } }, body: v.body })),
    () => [keys.members],
  );

export const useCreateTeam = () =>
  useWrite(
    (body: BodyOf<'/api/v1/teams', 'post'>) => must(api.POST('/api/v1/teams', { body })),
    () => [keys.teams],
  );

export const useAddTeamMember = () =>
  useWrite(
    (v: { teamId: string; userId: string }) => must(api.POST('/api/v1/teams/{id}/members', { params: { path: { id: v.teamId } }, body: { userId: v.userId } })),
    () => [keys.teams, keys.members],
  );

export const useDeleteTeam = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/teams/{id}', { params: { path: { id } } })),
    () => [keys.teams],
  );

export const useCreateCanned = () =>
  useWrite(
    (body: BodyOf<'/api/v1/canned-responses', 'post'>) => must(api.POST('/api/v1/canned-responses', { body })),
    () => [keys.canned],
  );

export const useDeleteCanned = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/canned-responses/{id}', { params: { path: { id } } })),
    () => [keys.canned],
  );

export const useCreateCustomField = () =>
  useWrite(
    (body: BodyOf<'/api/v1/custom-fields', 'post'>) => must(api.POST('/api/v1/custom-fields', { body })),
    () => [keys.customFields],
  );

export const useDeleteCustomField = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/custom-fields/{id}', { params: { path: { id } } })),
    () => [keys.customFields],
  );

export const useCreateToken = () =>
  useWrite(
    (body: BodyOf<'/api/v1/tokens', 'post'>) => must(api.POST('/api/v1/tokens', { body })),
    () => [keys.tokens],
  );

export const useRevokeToken = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })),
    () => [keys.tokens],
  );

export const useCreateWriteKey = () =>
  useWrite(
    (body: BodyOf<'/api/v1/write-keys', 'post'>) => must(api.POST('/api/v1/write-keys', { body })),
    () => [keys.writeKeys],
  );

export const useUpdateWriteKey = () =>
  useWrite(
    (v: { id: string; allowedOrigins: string[] }) =>
      must(api.PATCH('/api/v1/write-keys/{id}', { params: { path: { id: v.id } }, body: { allowedOrigins: v.allowedOrigins } })),
    () => [keys.writeKeys],
  );

export const useIdentitySecret = (enabled: boolean) =>
  useQuery({ queryKey: ['identity-secret'], queryFn: () => must(api.GET('/api/v1/identity-secret')), enabled, staleTime: Infinity });

export const useRotateIdentitySecret = () =>
  useWrite(
    () => must(api.POST('/api/v1/identity-secret/rotate')),
    () => [['identity-secret']],
  );

export const useCreateTouchpoint = () =>
  useWrite(
    (body: BodyOf<'/api/v1/touchpoints', 'post'>) => must(api.POST('/api/v1/touchpoints', { body })),
    () => [keys.touchpoints],
  );

export const inboxKeys = { all: ['inboxes'] as const };
export const webhookKeys = { all: ['webhooks'] as const, deliveries: (id: string) => ['webhooks', id, 'deliveries'] as const };

export const useInboxes = () => useQuery({ queryKey: inboxKeys.all, queryFn: async () => (await must(api.GET('/api/v1/inboxes'))).data });

export const useCreateInbox = () =>
  useWrite(
    (body: BodyOf<'/api/v1/inboxes', 'post'>) => must(api.POST('/api/v1/inboxes', { body })),
    () => [inboxKeys.all],
  );

export const useUpdateInbox = () =>
  useWrite(
    (v: { id: string; body: BodyOf<'/api/v1/inboxes/{id}', 'patch'> }) => must(api.PATCH('/api/v1/inboxes/{id}', { params: { path: { id: v.id } }, body: v.body })),
    () => [inboxKeys.all],
  );

export const useDeleteInbox = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/inboxes/{id}', { params: { path: { id } } })),
    () => [inboxKeys.all],
  );

export const useWebhooks = () => useQuery({ queryKey: webhookKeys.all, queryFn: async () => (await must(api.GET('/api/v1/webhooks'))).data });

export const useWebhookDeliveries = (id: string) =>
  useQuery({
    queryKey: webhookKeys.deliveries(id),
    queryFn: async () => (await must(api.GET('/api/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: { limit: 20 } } }))).data,
    // Retries land in the background: the log keeps itself current while it is open.
    refetchInterval: 5000,
  });

export const useCreateWebhook = () =>
  useWrite(
    (body: BodyOf<'/api/v1/webhooks', 'post'>) => must(api.POST('/api/v1/webhooks', { body })),
    () => [webhookKeys.all],
  );

export const useUpdateWebhook = () =>
  useWrite(
    (v: { id: string; body: BodyOf<'/api/v1/webhooks/{id}', 'patch'> }) => must(api.PATCH('/api/v1/webhooks/{id}', { params: { path: { id: v.id } }, body: v.body })),
    () => [webhookKeys.all],
  );

export const useDeleteWebhook = () =>
  useWrite(
    (id: string) => must(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id } } })),
    () => [webhookKeys.all],
  );

export const useRotateWebhookSecret = () =>
  useWrite(
    (id: string) => must(api.POST('/api/v1/webhooks/{id}/rotate-secret', { params: { path: { id } } })),
    () => [webhookKeys.all],
  );

export const useRedeliver = () =>
  useWrite(
    (v: { id: string; deliveryId: string }) =>
      must(api.POST('/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: v.id, deliveryId: v.deliveryId } } })),
    (v) => [webhookKeys.deliveries(v.id)],
  );
