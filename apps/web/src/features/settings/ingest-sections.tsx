// Write keys (with a tracking snippet) and the touchpoint catalogue, served by the interactions module.
import { useState } from 'react';
import { Badge, Button, Code, Group, Select, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useCreateTouchpoint, useCreateWriteKey, useTouchpoints, useWriteKeys } from '../../api/queries';
import { ErrorNotice } from '../../components/feedback';
import { Loaded, Section } from './sections';
import { Secret } from './Secret';

const NOT_HERE = 'This server does not offer this yet; it arrives with the event-ingest module.';

export function trackingSnippet(origin: string, key: string): string {
  return `<script>
  // Rapport speaks the Segment HTTP API: this posts events to ${origin}/v1/track.
  // (Segment, RudderStack or Jitsu libraries work too: point their API host at ${origin}.)
  (function () {
    var KEY = ${JSON.stringify(key)}, HOST = ${JSON.stringify(origin)};
    var anon = localStorage.getItem('rapport_anon') || crypto.randomUUID();
    localStorage.setItem('rapport_anon', anon);
    window.rapport = {
      userId: null,
      identify: function (userId) { window.rapport.userId = userId; },
      track: function (event, properties) {
        return fetch(HOST + '/v1/track', {
          method: 'POST', keepalive: true,
          headers: { 'content-type': 'application/json', authorization: 'Basic ' + btoa(KEY + ':') },
          body: JSON.stringify({ type: 'track', event: event, properties: properties || {},
            userId: window.rapport.userId, anonymousId: anon,
            messageId: crypto.randomUUID(), timestamp: new Date().toISOString() })
        });
      }
    };
  })();
</script>`;
}

export function WriteKeysSection() {
  const keys = useWriteKeys();
  const create = useCreateWriteKey();
  const [name, setName] = useState('website');
  const [created, setCreated] = useState<string | null>(null);
  const available = keys.data !== null;
  return (
    <Section
      title="Write keys"
      form={
        available ? (
          <form
            aria-label="Create a write key"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ name }, { onSuccess: (k) => setCreated(k.key) });
            }}
          >
            <Stack gap="xs">
              <Group align="flex-end" gap="xs">
                <TextInput label="Key name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
                <Button type="submit" loading={create.isPending}>
                  Create write key
                </Button>
              </Group>
              {create.isError ? <ErrorNotice error={create.error} title="Not created" /> : null}
              {created ? (
                <>
                  <Secret title="Write key created" value={created} note="Copy it now: it is shown only once. Write keys can only send events." />
                  <Text size="sm" fw={600}>
                    Tracking snippet
                  </Text>
                  <Code block data-testid="tracking-snippet">
                    {trackingSnippet(location.origin, created)}
                  </Code>
                </>
              ) : null}
            </Stack>
          </form>
        ) : undefined
      }
    >
      <Loaded q={keys}>
        {(list) =>
          list === null ? (
            <Text c="dimmed">{NOT_HERE}</Text>
          ) : list.length === 0 ? (
            <Text c="dimmed">No write keys yet.</Text>
          ) : (
            <Table aria-label="Write keys">
              <Table.Tbody>
                {list.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>{k.name}</Table.Td>
                    <Table.Td>{k.prefix ? `${k.prefix}…` : k.id}</Table.Td>
                    <Table.Td>{k.revokedAt ? 'Revoked' : 'Active'}</Table.Td>
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

const STAGES = ['research', 'purchase', 'usage', 'post_sales', 'advocacy'];

export function TouchpointsSection() {
  const touchpoints = useTouchpoints();
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
              <Select label="Stage" clearable value={form.stage} data={STAGES} onChange={(v) => setForm({ ...form, stage: v })} w={140} />
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
