// Settings: Members and roles: invite by email, change roles, deactivate, resend invitations.
import { useState, type FormEvent } from 'react';
import { Alert, Badge, Button, Group, MultiSelect, Select, Stack, Table, TextInput } from '@mantine/core';
import { useMembers, useTeams } from '../../api/queries';
import { useInvite, useResendInvitation, useUpdateMember } from './hooks';
import type { Me } from '../../api/types';
import { oneOf, ROLES } from '../../api/types';
import type { BodyOf } from '../../api/client';

type InvitedRole = NonNullable<BodyOf<'/api/v1/members', 'post'>['role']>;
const INVITABLE = ROLES.filter((r): r is InvitedRole => r !== 'owner');
import { Loaded, MutationError, Section } from './parts';

export function MembersSection({ me }: { me: Me }) {
  const members = useMembers();
  const teams = useTeams();
  const invite = useInvite();
  const updateMember = useUpdateMember();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<InvitedRole>('agent');
  const [teamIds, setTeamIds] = useState<string[]>([]);
  const resend = useResendInvitation();
  const [sent, setSent] = useState<{ to: string; until: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await invite.mutateAsync({ email, role, teamIds });
    setSent({ to: res.invitation.sentTo, until: res.invitation.expiresAt });
    setEmail('');
  };
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  return (
    <Section
      title="Members and roles"
      form={
        <form onSubmit={(e) => void submit(e).catch(() => undefined)} aria-label="Invite a member">
          <Stack gap="xs">
            <Group align="flex-end" gap="xs">
              <TextInput label="Email" type="email" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} w={240} />
              <Select
                label="Role"
                value={role}
                onChange={(v) => setRole(oneOf(INVITABLE, v) ?? 'agent')}
                data={INVITABLE}
                allowDeselect={false}
                w={130}
              />
              <MultiSelect
                label="Teams"
                value={teamIds}
                onChange={setTeamIds}
                data={(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))}
                w={220}
                placeholder="None"
              />
              <Button type="submit" loading={invite.isPending}>
                Invite
              </Button>
            </Group>
            <MutationError m={invite} />
            {sent ? (
              <Alert color="green" variant="light" title="Invitation sent" data-testid="invitation-sent">
                An invitation was emailed to {sent.to}. Its link works once, until {new Date(sent.until).toLocaleDateString()}; only that mailbox can accept it.
              </Alert>
            ) : null}
          </Stack>
        </form>
      }
    >
      <MutationError m={updateMember} />
      <MutationError m={resend} />
      <Loaded q={members}>
        {(list) => (
          <Table aria-label="Members">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Teams</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Availability</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.map((m) => (
                <Table.Tr key={m.id}>
                  <Table.Td>{m.name}</Table.Td>
                  <Table.Td>{m.email}</Table.Td>
                  <Table.Td>
                    <Select
                      size="xs"
                      aria-label={`Role of ${m.name}`}
                      value={m.role}
                      allowDeselect={false}
                      disabled={m.userId === me.user.id}
                      data={ROLES.filter((r) => r !== 'owner' || me.role === 'owner')}
                      onChange={(v) => v && v !== m.role && updateMember.mutate({ id: m.id, body: { role: v } })}
                      w={120}
                    />
                  </Table.Td>
                  <Table.Td>{m.teamIds.map((t) => teamName.get(t) ?? t).join(', ')}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Badge variant="filled" color={m.status === 'active' ? '#1e6b33' : '#495057'}>
                        {m.status}
                      </Badge>
                      {m.userId !== me.user.id && m.status !== 'invited' ? (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          color={m.status === 'active' ? '#b02525' : undefined}
                          aria-label={`${m.status === 'active' ? 'Deactivate' : 'Reactivate'} ${m.name}`}
                          onClick={() => updateMember.mutate({ id: m.id, body: { status: m.status === 'active' ? 'deactivated' : 'active' } })}
                        >
                          {m.status === 'active' ? 'Deactivate' : 'Reactivate'}
                        </Button>
                      ) : null}
                      {m.status === 'invited' ? (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          aria-label={`Resend the invitation to ${m.email}`}
                          loading={resend.isPending && resend.variables === m.id}
                          onClick={() =>
                            void resend
                              .mutateAsync(m.id)
                              .then((res) => setSent({ to: res.invitation.sentTo, until: res.invitation.expiresAt }))
                              .catch(() => undefined)
                          }
                        >
                          Resend invitation
                        </Button>
                      ) : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>{m.availability}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Loaded>
    </Section>
  );
}
