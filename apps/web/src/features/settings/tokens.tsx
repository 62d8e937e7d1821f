// Settings: API tokens, shown once.
import { useState } from 'react';
import { Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { useCreateToken, useRevokeToken, useTokens } from './hooks';
import { dateTime } from '../../components/format';
import { Secret } from './Secret';
import { Loaded, MutationError, Section } from './parts';

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
