// The settings screens' writes (members, invitations, teams, canned responses, custom fields,
// tokens, write keys, the identity secret, touchpoints), kept with the feature.
import { useQuery } from '@tanstack/react-query';
import { get, patch, post, del } from '../../api/client';
import { keys, useWrite } from '../../api/queries';
import type {
  ApiToken,
  CannedResponse,
  CreatedToken,
  CreatedWriteKey,
  CustomFieldDef,
  InviteResult,
  Member,
  Team,
  Touchpoint,
  WriteKey,
  WriteKeyKind,
} from '../../api/types';

export const useInvite = () =>
  useWrite(
    (body: { email: string; name?: string; role: string; teamIds?: string[] }) => post<InviteResult>('/api/v1/members', body),
    () => [keys.members],
  );

export const useResendInvitation = () =>
  useWrite(
    (memberId: string) => post<InviteResult>(`/api/v1/members/${encodeURIComponent(memberId)}/invitation`),
    () => [keys.members],
  );

export const useUpdateMember = () =>
  useWrite(
    (v: { id: string; body: Record<string, unknown> }) => patch<Member>(`/api/v1/members/${v.id}`, v.body),
    () => [keys.members],
  );

export const useCreateTeam = () =>
  useWrite(
    (body: { name: string; autoAssign: boolean }) => post<Team>('/api/v1/teams', body),
    () => [keys.teams],
  );

export const useAddTeamMember = () =>
  useWrite(
    (v: { teamId: string; userId: string }) => post<Team>(`/api/v1/teams/${v.teamId}/members`, { userId: v.userId }),
    () => [keys.teams, keys.members],
  );

export const useDeleteTeam = () =>
  useWrite(
    (id: string) => del<null>(`/api/v1/teams/${id}`),
    () => [keys.teams],
  );

export const useCreateCanned = () =>
  useWrite(
    (body: { shortcut: string; title: string; body: string }) => post<CannedResponse>('/api/v1/canned-responses', body),
    () => [keys.canned],
  );

export const useDeleteCanned = () =>
  useWrite(
    (id: string) => del<null>(`/api/v1/canned-responses/${id}`),
    () => [keys.canned],
  );

export const useCreateCustomField = () =>
  useWrite(
    (body: { key: string; label: string; type: string; options?: string[] }) => post<CustomFieldDef>('/api/v1/custom-fields', body),
    () => [keys.customFields],
  );

export const useDeleteCustomField = () =>
  useWrite(
    (id: string) => del<null>(`/api/v1/custom-fields/${id}`),
    () => [keys.customFields],
  );

export const useCreateToken = () =>
  useWrite(
    (body: { name: string }) => post<CreatedToken>('/api/v1/tokens', body),
    () => [keys.tokens],
  );

export const useRevokeToken = () =>
  useWrite(
    (id: string) => del<ApiToken>(`/api/v1/tokens/${id}`),
    () => [keys.tokens],
  );

export const useCreateWriteKey = () =>
  useWrite(
    (body: { name: string; kind: WriteKeyKind; allowedOrigins: string[] }) => post<CreatedWriteKey>('/api/v1/write-keys', body),
    () => [keys.writeKeys],
  );

export const useUpdateWriteKey = () =>
  useWrite(
    (v: { id: string; allowedOrigins: string[] }) => patch<WriteKey>(`/api/v1/write-keys/${encodeURIComponent(v.id)}`, { allowedOrigins: v.allowedOrigins }),
    () => [keys.writeKeys],
  );

export const useIdentitySecret = (enabled: boolean) =>
  useQuery({ queryKey: ['identity-secret'], queryFn: () => get<{ secret: string }>('/api/v1/identity-secret'), enabled, staleTime: Infinity });

export const useRotateIdentitySecret = () =>
  useWrite(
    () => post<{ secret: string }>('/api/v1/identity-secret/rotate'),
    () => [['identity-secret']],
  );

export const useCreateTouchpoint = () =>
  useWrite(
    (body: { key: string; name: string; channel?: string | null; stage?: string | null; critical?: boolean }) => post<Touchpoint>('/api/v1/touchpoints', body),
    () => [keys.touchpoints],
  );
