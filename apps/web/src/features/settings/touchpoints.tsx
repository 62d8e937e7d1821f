// Settings: the touchpoint catalogue.
import { useState } from 'react';
import { Badge, Button, Group, Select, Switch, Table, Text, TextInput } from '@mantine/core';
import { useStages, useTouchpoints } from '../../api/queries';
import { useCreateTouchpoint } from './hooks';
import { ErrorNotice } from '../../components/feedback';
import { Loaded, Section } from './parts';

const NOT_HERE = 'This server does not offer this yet; it arrives with the event-ingest module.';

export function TouchpointsSection() {
  const touchpoints = useTouchpoints();
  const stages = useStages();
  const create = useCreateTouchpoint();
  const [form, setForm] = useState({ key: '', name: '', channel: '', stage: '' as string | null, critical: false });
  const available = touchpoints.data !== null;
  return (
    <Section
      title="Touchpoints"
      form={
        available ? (
          <form
            aria-label="Create a touchpoint"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate(
                { key: form.key, name: form.name, channel: form.channel || null, stage: form.stage || null, critical: form.critical },
                { onSuccess: () => setForm({ key: '', name: '', channel: '', stage: '', critical: false }) },
              );
            }}
          >
            <Group align="flex-end" gap="xs">
              <TextInput label="Key" required value={form.key} onChange={(e) => setForm({ ...form, key: e.currentTarget.value })} w={140} />
              <TextInput label="Name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
              <TextInput label="Channel" value={form.channel} onChange={(e) => setForm({ ...form, channel: e.currentTarget.value })} w={120} />
              <Select
                label="Stage"
                clearable
                value={form.stage}
                data={(stages.data?.data ?? []).map((s) => ({ value: s.key, label: s.name }))}
                onChange={(v) => setForm({ ...form, stage: v })}
                w={140}
              />
              <Switch label="Critical" checked={form.critical} onChange={(e) => setForm({ ...form, critical: e.currentTarget.checked })} mb={8} />
              <Button type="submit" loading={create.isPending}>
                Add touchpoint
              </Button>
            </Group>
            {create.isError ? <ErrorNotice error={create.error} title="Not created" /> : null}
          </form>
        ) : undefined
      }
    >
      <Loaded q={touchpoints}>
        {(list) =>
          list === null ? (
            <Text c="dimmed">{NOT_HERE}</Text>
          ) : list.length === 0 ? (
            <Text c="dimmed">No touchpoints yet.</Text>
          ) : (
            <Table aria-label="Touchpoints">
              <Table.Tbody>
                {list.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Td>{t.name}</Table.Td>
                    <Table.Td>{t.key}</Table.Td>
                    <Table.Td>{t.channel ?? ''}</Table.Td>
                    <Table.Td>{t.stage ?? ''}</Table.Td>
                    <Table.Td>
                      {t.critical ? (
                        <Badge color="#b02525" variant="filled">
                          critical
                        </Badge>
                      ) : null}
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
