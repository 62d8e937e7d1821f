// Settings: Typed custom fields on conversations.
import { useState } from 'react';
import { Button, Group, Select, Table, Text, TextInput } from '@mantine/core';
import { useCustomFields } from '../../api/queries';
import { useCreateCustomField, useDeleteCustomField } from './hooks';
import { CUSTOM_FIELD_TYPES, oneOf, type CustomFieldDef } from '../../api/types';
import { DangerCell, Loaded, MutationError, Section } from './parts';

export function CustomFieldsSection() {
  const fields = useCustomFields();
  const create = useCreateCustomField();
  const remove = useDeleteCustomField();
  const [form, setForm] = useState<{ key: string; label: string; type: CustomFieldDef['type']; options: string }>({ key: '', label: '', type: 'text', options: '' });
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
              onChange={(v) => setForm({ ...form, type: oneOf(CUSTOM_FIELD_TYPES, v) ?? 'text' })}
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
