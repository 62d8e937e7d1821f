// Settings: write keys (client or server, allowed origins, the tracking snippet) and the identity secret.
import { useState } from 'react';
import { Badge, Button, Code, Group, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { useCreateWriteKey, useIdentitySecret, useRotateIdentitySecret, useUpdateWriteKey, useWriteKeys } from './hooks';
import type { WriteKeyKind } from '../../api/types';
import { ErrorNotice } from '../../components/feedback';
import { Loaded, Section } from './parts';
import { Secret } from './Secret';

const NOT_HERE = 'This server does not offer this yet; it arrives with the event-ingest module.';

export function trackingSnippet(origin: string, key: string): string {
  return `<script>
  // Rapport speaks the Segment HTTP API with a client (public) write key: events add to
  // customers, never overwrite or merge them. Segment's own analytics.js works too:
  // AnalyticsBrowser.load({ writeKey: KEY, cdnURL: ${JSON.stringify(origin)} }).
  (function () {
    var KEY = ${JSON.stringify(key)}, HOST = ${JSON.stringify(origin)};
    var anon = localStorage.getItem('rapport_anon') || crypto.randomUUID();
    localStorage.setItem('rapport_anon', anon);
    function send(body) {
      body.anonymousId = anon; body.messageId = crypto.randomUUID(); body.timestamp = new Date().toISOString();
      if (window.rapport.userId) { body.userId = window.rapport.userId; body.context = { userHash: window.rapport.userHash }; }
      return fetch(HOST + '/v1/' + body.type, {
        method: 'POST', keepalive: true,
        headers: { 'content-type': 'application/json', authorization: 'Basic ' + btoa(KEY + ':') },
        body: JSON.stringify(body)
      });
    }
    window.rapport = {
      userId: null, userHash: null,
      // userHash: HMAC-SHA256 of the user id with the workspace identity secret, made by your back end.
      identify: function (userId, userHash, traits) {
        window.rapport.userId = userId; window.rapport.userHash = userHash;
        return send({ type: 'identify', traits: traits || {} });
      },
      track: function (event, properties) { return send({ type: 'track', event: event, properties: properties || {} }); },
      page: function (name) { return send({ type: 'page', name: name, properties: { path: location.pathname, url: location.href } }); }
    };
  })();
</script>`;
}

const parseOrigins = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((o) => o.trim())
    .filter(Boolean);

/** The workspace secret that signs user ids, revealed on demand, with how to use it. */
function IdentitySecret() {
  const [shown, setShown] = useState(false);
  const secret = useIdentitySecret(shown);
  const rotate = useRotateIdentitySecret();
  return (
    <Stack gap={6} data-testid="identity-secret">
      <Text size="sm" fw={600}>
        Identity verification
      </Text>
      <Text size="sm" c="dimmed">
        A client key attaches events to a user id only when your back end signs it: send <Code>context.userHash</Code> = HMAC-SHA256 of the user id with this
        secret, in hex. Keep the secret on your server.
      </Text>
      {shown && secret.data ? (
        <>
          <Code block>{secret.data.secret}</Code>
          <Code block>{`// Node.js
crypto.createHmac('sha256', process.env.RAPPORT_IDENTITY_SECRET).update(user.id).digest('hex')`}</Code>
          <Group gap="xs">
            <Button size="xs" variant="default" color="red" loading={rotate.isPending} onClick={() => rotate.mutate(undefined)}>
              Rotate secret
            </Button>
            <Text size="xs" c="dimmed">
              Signatures made with the old secret stop working.
            </Text>
          </Group>
        </>
      ) : (
        <Group>
          <Button size="xs" variant="default" onClick={() => setShown(true)} loading={shown && secret.isPending}>
            Show identity secret
          </Button>
        </Group>
      )}
      {secret.isError ? <ErrorNotice error={secret.error} title="Not available" /> : null}
    </Stack>
  );
}

function OriginsCell({ id, origins }: { id: string; origins: string[] }) {
  const update = useUpdateWriteKey();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(origins.join(', '));
  if (!editing) {
    return (
      <Group gap={6} wrap="nowrap">
        <Text size="sm">{origins.length > 0 ? origins.join(', ') : 'any origin'}</Text>
        <Button size="compact-xs" variant="subtle" onClick={() => setEditing(true)} aria-label="Edit allowed origins">
          Edit
        </Button>
      </Group>
    );
  }
  return (
    <form
      aria-label="Allowed origins"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ id, allowedOrigins: parseOrigins(text) }, { onSuccess: () => setEditing(false) });
      }}
    >
      <Group gap={6} wrap="nowrap" align="flex-start">
        <TextInput
          size="xs"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          placeholder="https://shop.example.com"
          w={260}
          aria-label="Origins"
        />
        <Button size="xs" type="submit" loading={update.isPending}>
          Save
        </Button>
      </Group>
      {update.isError ? <ErrorNotice error={update.error} title="Not saved" /> : null}
    </form>
  );
}

export function WriteKeysSection() {
  const keys = useWriteKeys();
  const create = useCreateWriteKey();
  const [name, setName] = useState('website');
  const [kind, setKind] = useState<WriteKeyKind>('client');
  const [origins, setOrigins] = useState('');
  const [created, setCreated] = useState<{ key: string; kind: WriteKeyKind } | null>(null);
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
              create.mutate(
                { name, kind, allowedOrigins: kind === 'client' ? parseOrigins(origins) : [] },
                { onSuccess: (k) => setCreated({ key: k.key, kind: k.kind }) },
              );
            }}
          >
            <Stack gap="xs">
              <Group align="flex-end" gap="xs">
                <TextInput label="Key name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
                <Select
                  label="Used from"
                  value={kind}
                  allowDeselect={false}
                  onChange={(v) => setKind(v === 'server' ? 'server' : 'client')}
                  data={[
                    { value: 'client', label: 'Browser or app (public)' },
                    { value: 'server', label: 'Back end (secret)' },
                  ]}
                  w={210}
                />
                {kind === 'client' ? (
                  <TextInput
                    label="Allowed origins"
                    description="Empty: any site"
                    placeholder="https://shop.example.com"
                    value={origins}
                    onChange={(e) => setOrigins(e.currentTarget.value)}
                    w={260}
                  />
                ) : null}
                <Button type="submit" loading={create.isPending}>
                  Create write key
                </Button>
              </Group>
              <Text size="xs" c="dimmed">
                Client keys sit in web pages: what they send adds to customers but never renames, overwrites or merges them. Server keys are trusted like your
                back end and must stay secret.
              </Text>
              {create.isError ? <ErrorNotice error={create.error} title="Not created" /> : null}
              {created ? (
                <>
                  <Secret title="Write key created" value={created.key} note="Copy it now: it is shown only once. Write keys can only send events." />
                  {created.kind === 'client' ? (
                    <>
                      <Text size="sm" fw={600}>
                        Tracking snippet
                      </Text>
                      <Code block data-testid="tracking-snippet">
                        {trackingSnippet(location.origin, created.key)}
                      </Code>
                    </>
                  ) : null}
                </>
              ) : null}
              <IdentitySecret />
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
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Allowed origins</Table.Th>
                  <Table.Th>Status</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((k) => (
                  <Table.Tr key={k.id}>
                    <Table.Td>{k.name}</Table.Td>
                    <Table.Td>{`${k.prefix}…`}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={k.kind === 'client' ? 'blue' : 'grape'}>
                        {k.kind === 'client' ? 'client (public)' : 'server (secret)'}
                      </Badge>
                    </Table.Td>
                    <Table.Td>{k.kind === 'client' ? <OriginsCell id={k.id} origins={k.allowedOrigins} /> : '—'}</Table.Td>
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
