// Members, teams, canned responses, custom fields, API tokens and the audit log.
import { useState, type FormEvent, type ReactNode } from 'react';
import { Alert, Badge, Button, Group, MultiSelect, Paper, Select, Stack, Switch, Table, Text, TextInput, Textarea, Title } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import {
  useAddTeamMember,
  useAudit,
  useCanned,
  useCreateCanned,
  useCreateCustomField,
  useCreateTeam,
  useCreateToken,
  useCustomFields,
  useDeleteCanned,
  useDeleteCustomField,
  useDeleteTeam,
  useInvite,
  useMembers,
  useRevokeToken,
  useTeams,
  useTokens,
  useResendInvitation,
  useUpdateMember,
} from '../../api/queries';
import type { Me } from '../../api/types';
import { CUSTOM_FIELD_TYPES, ROLES } from '../../api/types';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { dateTime } from '../../components/format';
import { Secret } from './Secret';

/** The last cell of a settings row: a small red action (delete, revoke) with an accessible name. */
function DangerCell({ label, onClick, children }: { label: string; onClick: () => void; children: ReactNode }) {
  return (
    <Table.Td>
      <Button size="xs" variant="subtle" color="red" onClick={onClick} aria-label={label}>
        {children}
      </Button>
    </Table.Td>
  );
}

export function Section({ title, children, form }: { title: string; children: ReactNode; form?: ReactNode }) {
  return (
    <Stack>
      <Title order={2} size="h4">
        {title}
      </Title>
      {form ? (
        <Paper withBorder p="sm">
          {form}
        </Paper>
      ) : null}
      {children}
    </Stack>
  );
}

/** A list query's loading and error states, then the content. */
export function Loaded<T>({
  q,
  children,
}: {
  q: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  if (q.isPending) return <SkeletonLines count={4} />;
  if (q.isError || q.data === undefined) return <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />;
  return <>{children(q.data)}</>;
}

function MutationError({ m }: { m: Pick<UseMutationResult<unknown, Error, never>, 'isError' | 'error'> }) {
  return m.isError ? <ErrorNotice error={m.error} title="Not saved" /> : null;
}


export function MembersSection({ me }: { me: Me }) {
  const members = useMembers();
  const teams = useTeams();
  const invite = useInvite();
  const updateMember = useUpdateMember();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<string>('agent');
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
                onChange={(v) => setRole(v ?? 'agent')}
                data={ROLES.filter((r) => r !== 'owner')}
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

export function TeamsSection() {
  const teams = useTeams();
  const members = useMembers();
  const create = useCreateTeam();
  const add = useAddTeamMember();
  const remove = useDeleteTeam();
  const [name, setName] = useState('');
  const [autoAssign, setAutoAssign] = useState(true);
  const names = new Map((members.data ?? []).map((m) => [m.userId, m.name]));
  return (
    <Section
      title="Teams"
      form={
        <form
          aria-label="Create a team"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name, autoAssign }, { onSuccess: () => setName('') });
          }}
        >
          <Group align="flex-end" gap="xs">
            <TextInput label="Team name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <Switch label="Assign automatically" checked={autoAssign} onChange={(e) => setAutoAssign(e.currentTarget.checked)} mb={8} />
            <Button type="submit" loading={create.isPending}>
              Create team
            </Button>
          </Group>
          <MutationError m={create} />
        </form>
      }
    >
      <MutationError m={add} />
      <MutationError m={remove} />
      <Loaded q={teams}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No teams yet.</Text>
          ) : (
            <Table aria-label="Teams">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Team</Table.Th>
                  <Table.Th>Members</Table.Th>
                  <Table.Th>Add member</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>
                      {t.name}{' '}
                      {t.autoAssign ? (
                        <Badge size="xs" variant="filled" color="#364fc7">
                          auto-assign
                        </Badge>
                      ) : null}
                    </Table.Td>
                    <Table.Td>{t.memberIds.map((id) => names.get(id) ?? id).join(', ') || '—'}</Table.Td>
                    <Table.Td>
                      <Select
                        size="xs"
                        aria-label={`Add a member to ${t.name}`}
                        placeholder="Add…"
                        value={null}
                        data={(members.data ?? []).filter((m) => !t.memberIds.includes(m.userId)).map((m) => ({ value: m.userId, label: m.name }))}
                        onChange={(userId) => userId && add.mutate({ teamId: t.id, userId })}
                        w={160}
                      />
                    </Table.Td>
                    <DangerCell label={`Delete team ${t.name}`} onClick={() => remove.mutate(t.id)}>
                      Delete
                    </DangerCell>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

export function CannedSection() {
  const canned = useCanned();
  const create = useCreateCanned();
  const remove = useDeleteCanned();
  const [form, setForm] = useState({ shortcut: '', title: '', body: '' });
  return (
    <Section
      title="Canned responses"
      form={
        <form
          aria-label="Create a canned response"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(form, { onSuccess: () => setForm({ shortcut: '', title: '', body: '' }) });
          }}
        >
          <Stack gap="xs">
            <Group gap="xs">
              <TextInput
                label="Shortcut"
                description="Type /shortcut in the composer"
                required
                value={form.shortcut}
                onChange={(e) => setForm({ ...form, shortcut: e.currentTarget.value })}
              />
              <TextInput label="Title" required value={form.title} onChange={(e) => setForm({ ...form, title: e.currentTarget.value })} />
            </Group>
            <Textarea
              label="Body"
              description="Placeholders such as {{customer.name}} are filled in"
              required
              autosize
              minRows={2}
              value={form.body}
              onChange={(e) => setForm({ ...form, body: e.currentTarget.value })}
            />
            <Button type="submit" w="fit-content" loading={create.isPending}>
              Add canned response
            </Button>
            <MutationError m={create} />
          </Stack>
        </form>
      }
    >
      <MutationError m={remove} />
      <Loaded q={canned}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">None yet.</Text>
          ) : (
            <Table aria-label="Canned responses">
              <Table.Tbody>
                {list.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>/{c.shortcut}</Table.Td>
                    <Table.Td>{c.title}</Table.Td>
                    <Table.Td>
                      <Text size="sm" lineClamp={2}>
                        {c.body}
                      </Text>
                    </Table.Td>
                    <DangerCell label={`Delete canned response ${c.shortcut}`} onClick={() => remove.mutate(c.id)}>
                      Delete
                    </DangerCell>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

export function CustomFieldsSection() {
  const fields = useCustomFields();
  const create = useCreateCustomField();
  const remove = useDeleteCustomField();
  const [form, setForm] = useState({ key: '', label: '', type: 'text', options: '' });
  return (
    <Section
      title="Custom fields"
      form={
        <form
          aria-label="Create a custom field"
          onSubmit={(e) => {
            e.preventDefault();
            const options = form.options
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
            create.mutate(
              { key: form.key, label: form.label, type: form.type, ...(form.type === 'select' ? { options } : {}) },
              { onSuccess: () => setForm({ key: '', label: '', type: 'text', options: '' }) },
            );
          }}
        >
          <Group align="flex-end" gap="xs">
            <TextInput label="Key" required value={form.key} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} />
            <TextInput label="Label" required value={form.label} onChange={(e) => setForm({ ...form, label: e.currentTarget.value })} />
            <Select
              label="Type"
              value={form.type}
              allowDeselect={false}
              data={[...CUSTOM_FIELD_TYPES]}
              onChange={(v) => setForm({ ...form, type: v ?? 'text' })}
              w={120}
            />
            {form.type === 'select' ? (
              <TextInput
                label="Options"
                description="Comma-separated"
                value={form.options}
                onChange={(e) => setForm({ ...form, options: e.currentTarget.value })}
              />
            ) : null}
            <Button type="submit" loading={create.isPending}>
              Add field
            </Button>
          </Group>
          <MutationError m={create} />
        </form>
      }
    >
      <MutationError m={remove} />
      <Loaded q={fields}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">None yet.</Text>
          ) : (
            <Table aria-label="Custom fields">
              <Table.Tbody>
                {list.map((f) => (
                  <Table.Tr key={f.id}>
                    <Table.Td>{f.label}</Table.Td>
                    <Table.Td>{f.key}</Table.Td>
                    <Table.Td>
                      {f.type}
                      {f.options.length ? ` (${f.options.join(', ')})` : ''}
                    </Table.Td>
                    <DangerCell label={`Delete field ${f.key}`} onClick={() => remove.mutate(f.id)}>
                      Delete
                    </DangerCell>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

export function TokensSection() {
  const tokens = useTokens();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<string | null>(null);
  return (
    <Section
      title="API tokens"
      form={
        <form
          aria-label="Create an API token"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate(
              { name },
              {
                onSuccess: (t) => {
                  setShown(t.token);
                  setName('');
                },
              },
            );
          }}
        >
          <Stack gap="xs">
            <Group align="flex-end" gap="xs">
              <TextInput label="Token name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
              <Button type="submit" loading={create.isPending}>
                Create token
              </Button>
            </Group>
            <MutationError m={create} />
            {shown ? <Secret title="Token created" value={shown} note="Copy it now: it is shown only once. Send it as Authorization: Bearer <token>." /> : null}
          </Stack>
        </form>
      }
    >
      <MutationError m={revoke} />
      <Loaded q={tokens}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No tokens.</Text>
          ) : (
            <Table aria-label="API tokens">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Prefix</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th>Last used</Table.Th>
                  <Table.Th>State</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>{t.name}</Table.Td>
                    <Table.Td>{t.prefix}…</Table.Td>
                    <Table.Td>{dateTime(t.createdAt)}</Table.Td>
                    <Table.Td>{t.lastUsedAt ? dateTime(t.lastUsedAt) : 'Never'}</Table.Td>
                    <Table.Td>
                      {t.revokedAt ? (
                        'Revoked'
                      ) : (
                        <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(t.id)} aria-label={`Revoke token ${t.name}`}>
                          Revoke
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}

export function AuditSection() {
  const audit = useAudit();
  return (
    <Section title="Audit log">
      <Loaded q={audit}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">Nothing recorded yet.</Text>
          ) : (
            <Table aria-label="Audit log" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Who</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Object</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((a) => (
                  <Table.Tr key={a.id}>
                    <Table.Td>{dateTime(a.createdAt)}</Table.Td>
                    <Table.Td>{a.actor.name ?? a.actor.type}</Table.Td>
                    <Table.Td>{a.action}</Table.Td>
                    <Table.Td>
                      {a.objectType} {a.objectId ?? ''}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Section>
  );
}
