// Settings: Canned responses with placeholders.
import { useState } from 'react';
import { Button, Group, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { useCanned } from '../../api/queries';
import { useCreateCanned, useDeleteCanned } from './hooks';
import { DangerCell, Loaded, MutationError, Section } from './parts';

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
