// Settings: Teams and their members.
import { useState } from 'react';
import { Badge, Button, Group, Select, Switch, Table, Text, TextInput } from '@mantine/core';
import { useMembers, useTeams } from '../../api/queries';
import { useAddTeamMember, useCreateTeam, useDeleteTeam } from './hooks';
import { DangerCell, Loaded, MutationError, Section } from './parts';

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
