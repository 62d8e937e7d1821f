// Settings: channels (inboxes) — where customers reach the workspace. Create one per channel,
// edit its settings, replace its write-only secrets, turn it off, delete it; a new chat inbox
// shows its identity secret once, and every inbox shows what its provider or site needs.
import { useState } from 'react';
import { Badge, Button, Grid, Group, Modal, Paper, Select, Stack, Switch, Table, Text, TextInput, Title } from '@mantine/core';
import type { Inbox, InboxChannel } from '@rapport/contracts';
import { useTeams } from '../../api/queries';
import type { Me } from '../../api/types';
import { CHANNEL_LABEL, Icon } from '../../components/channel';
import { ErrorNotice } from '../../components/feedback';
import { ChannelFields, ChannelSetup, draftOf, emptyDraft, fieldErrors, settingsOf, WidgetPreview, type Draft } from './channel-form';
import { useCreateInbox, useDeleteInbox, useInboxes, useUpdateInbox } from './hooks';
import { Loaded, Section } from './parts';
import { Secret } from './Secret';

const INBOX_CHANNELS: InboxChannel[] = ['email', 'chat', 'sms', 'whatsapp', 'messenger', 'api'];
const CHANNEL_HINT: Record<InboxChannel, string> = {
  email: 'A support address; mail to it opens conversations.',
  chat: 'The messenger widget on your site.',
  sms: 'A Twilio number.',
  whatsapp: 'A WhatsApp Business number (Meta Cloud API).',
  messenger: 'A Facebook page (Meta).',
  api: 'Your own integration posts messages through the API.',
};
const NO_TEAM = 'none';
/** A secret's name as people read it: accessToken → access token. */
const secretLabel = (key: string) => key.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);

/** The secrets a draft carries: only those typed in (an empty field keeps what is stored). */
const typedSecrets = (d: Draft) => Object.fromEntries(Object.entries(d.secrets).filter(([, v]) => v !== ''));

function TeamSelect({ value, onChange }: { value: string | null; onChange: (v: string | null) => void }) {
  const teams = useTeams();
  return (
    <Select
      label="Team"
      description="New conversations go to this team"
      value={value ?? NO_TEAM}
      allowDeselect={false}
      onChange={(v) => onChange(v && v !== NO_TEAM ? v : null)}
      data={[{ value: NO_TEAM, label: 'No team' }, ...(teams.data ?? []).map((t) => ({ value: t.id, label: t.name }))]}
      w={220}
    />
  );
}

/** The inbox form, for a new inbox (`inbox` absent) or an existing one. */
function InboxForm({ me, channel, inbox, onDone }: { me: Me; channel: InboxChannel; inbox?: Inbox; onDone?: (created: CreatedInbox) => void }) {
  const [draft, setDraft] = useState<Draft>(() => (inbox ? draftOf(inbox) : emptyDraft(channel)));
  const create = useCreateInbox();
  const update = useUpdateInbox();
  const m = inbox ? update : create;
  const errorFor = fieldErrors(m.error);
  const hasAddress = channel !== 'chat' && channel !== 'api';
  const submit = () => {
    const secrets = typedSecrets(draft);
    const common = {
      ...(draft.name.trim() ? { name: draft.name.trim() } : {}),
      ...(hasAddress && draft.address.trim() ? { address: draft.address.trim() } : {}),
      teamId: draft.teamId,
      settings: settingsOf(channel, draft),
      ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    };
    if (inbox) update.mutate({ id: inbox.id, body: common }, { onSuccess: () => setDraft((d) => ({ ...d, secrets: {} })) });
    else create.mutate({ channel, ...common }, { onSuccess: (c) => onDone?.({ inbox: c, secrets: c.generatedSecrets ?? {} }) });
  };
  const isChat = channel === 'chat';
  const fields = (
    <Stack gap="xs">
      <Group align="flex-start" gap="xs" grow>
        <TextInput
          label="Name"
          placeholder={`${CHANNEL_LABEL[channel]}${hasAddress ? ' (default: the address)' : ''}`}
          value={draft.name}
          onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
          error={errorFor('name')}
        />
        <TeamSelect value={draft.teamId} onChange={(teamId) => setDraft({ ...draft, teamId })} />
      </Group>
      <ChannelFields channel={channel} draft={draft} setDraft={setDraft} secretsSet={inbox?.secretsSet ?? []} errorFor={errorFor} />
      {m.isError ? <ErrorNotice error={m.error} title="Not saved" /> : null}
      {update.isSuccess && inbox ? (
        <Text size="sm" c="#1e6b33" role="status">
          Saved.
        </Text>
      ) : null}
      <Group>
        <Button type="submit" loading={m.isPending}>
          {inbox ? 'Save changes' : `Create ${CHANNEL_LABEL[channel]} inbox`}
        </Button>
      </Group>
    </Stack>
  );
  return (
    <form
      aria-label={inbox ? `Edit ${inbox.name}` : `New ${CHANNEL_LABEL[channel]} inbox`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {isChat ? (
        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: 7 }}>{fields}</Grid.Col>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <WidgetPreview color={String(draft.settings.color ?? '')} greeting={String(draft.settings.greeting ?? '')} title={draft.name} />
          </Grid.Col>
        </Grid>
      ) : (
        fields
      )}
      {inbox ? (
        <Stack mt="md" gap="xs">
          <ChannelSetup inbox={inbox} workspaceId={me.workspace.id} />
        </Stack>
      ) : null}
    </form>
  );
}

type CreatedInbox = { inbox: Inbox; secrets: Record<string, string> };

function CreatedNotice({ created, me, onAnother }: { created: CreatedInbox; me: Me; onAnother: () => void }) {
  const identity = created.secrets.identitySecret;
  const { inbox } = created;
  const details = (
    <Stack gap="sm">
      {identity ? (
        <Secret
          title="Identity secret"
          value={identity}
          note="Copy it now: it is shown only once. Your back end signs user ids with it (HMAC-SHA256, hex) so the widget can trust who a visitor is."
        />
      ) : null}
      <ChannelSetup inbox={inbox} workspaceId={me.workspace.id} />
    </Stack>
  );
  return (
    <Stack gap="sm" data-testid="inbox-created">
      <Text size="sm" fw={600} c="#1e6b33" role="status">
        {CHANNEL_LABEL[inbox.channel]} inbox “{inbox.name}” created.
      </Text>
      {inbox.channel === 'chat' ? (
        <Grid gap="md">
          <Grid.Col span={{ base: 12, md: 7 }}>{details}</Grid.Col>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <WidgetPreview color={String(inbox.settings.color ?? '')} greeting={String(inbox.settings.greeting ?? '')} title={inbox.name} />
          </Grid.Col>
        </Grid>
      ) : (
        details
      )}
      <Group>
        <Button variant="default" size="xs" onClick={onAnother}>
          Add another {CHANNEL_LABEL[inbox.channel]} inbox
        </Button>
      </Group>
    </Stack>
  );
}

function NewInbox({ me }: { me: Me }) {
  const [channel, setChannel] = useState<InboxChannel>('email');
  // After a create, what the new inbox needs (its secret, snippet, URLs) shows instead of the form
  // until a channel is picked again; the form is new each time, so no field carries over.
  const [created, setCreated] = useState<CreatedInbox | null>(null);
  return (
    <Stack gap="sm">
      <Group gap="xs" role="radiogroup" aria-label="Channel">
        {INBOX_CHANNELS.map((c) => (
          <Button
            key={c}
            role="radio"
            aria-checked={c === channel}
            variant={c === channel ? 'filled' : 'default'}
            size="xs"
            leftSection={<Icon name={c} size={14} />}
            onClick={() => {
              setChannel(c);
              setCreated(null);
            }}
          >
            {CHANNEL_LABEL[c]}
          </Button>
        ))}
      </Group>
      <Text size="sm" c="dimmed">
        {CHANNEL_HINT[channel]}
      </Text>
      {created ? (
        <CreatedNotice created={created} me={me} onAnother={() => setCreated(null)} />
      ) : (
        <InboxForm key={channel} me={me} channel={channel} onDone={setCreated} />
      )}
    </Stack>
  );
}

function InboxRow({ inbox, teamName, onEdit, editing }: { inbox: Inbox; teamName: string | null; onEdit: () => void; editing: boolean }) {
  const update = useUpdateInbox();
  const remove = useDeleteInbox();
  const [confirming, setConfirming] = useState(false);
  return (
    <Table.Tr data-testid="inbox-row" data-channel={inbox.channel}>
      <Table.Td>
        <Group gap={6} wrap="nowrap">
          <Icon name={inbox.channel} size={16} color="#343a40" />
          <Text size="sm">{CHANNEL_LABEL[inbox.channel]}</Text>
        </Group>
      </Table.Td>
      <Table.Td>
        <Group gap={6}>
          <Text size="sm" fw={500}>
            {inbox.name}
          </Text>
          {inbox.isDefault ? (
            <Badge size="xs" variant="filled" color="#364fc7">
              default
            </Badge>
          ) : null}
        </Group>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{inbox.address ?? '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{teamName ?? '—'}</Text>
      </Table.Td>
      <Table.Td>
        <Group gap={4} miw={120}>
          {inbox.secretsSet.length === 0 ? (
            <Text size="sm" c="dimmed">
              —
            </Text>
          ) : (
            inbox.secretsSet.map((s) => (
              <Badge key={s} size="xs" variant="filled" color="#1e6b33" tt="none" style={{ overflow: 'visible' }}>
                {secretLabel(s)} set
              </Badge>
            ))
          )}
        </Group>
      </Table.Td>
      <Table.Td>
        <Switch
          checked={inbox.enabled}
          onChange={(e) => update.mutate({ id: inbox.id, body: { enabled: e.currentTarget.checked } })}
          aria-label={`Enabled: ${inbox.name}`}
          label={inbox.enabled ? 'On' : 'Off'}
        />
      </Table.Td>
      <Table.Td>
        <Group gap={4} wrap="nowrap">
          <Button
            size="xs"
            variant={editing ? 'light' : 'subtle'}
            onClick={onEdit}
            aria-label={`${editing ? 'Close' : 'Edit'} ${inbox.name}`}
            aria-expanded={editing}
          >
            {editing ? 'Close' : 'Edit'}
          </Button>
          {inbox.isDefault ? null : (
            <Button size="xs" variant="subtle" color="red" onClick={() => setConfirming(true)} aria-label={`Delete ${inbox.name}`}>
              Delete
            </Button>
          )}
        </Group>
        <Modal opened={confirming} onClose={() => setConfirming(false)} title={`Delete ${inbox.name}?`}>
          <Stack>
            <Text size="sm">
              Customers can no longer reach you through it. Its conversations stay, but replies to them can no longer be delivered on this channel.
            </Text>
            {remove.isError ? <ErrorNotice error={remove.error} title="Not deleted" /> : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
              <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(inbox.id, { onSuccess: () => setConfirming(false) })}>
                Delete inbox
              </Button>
            </Group>
          </Stack>
        </Modal>
      </Table.Td>
    </Table.Tr>
  );
}

export function ChannelsSection({ me }: { me: Me }) {
  const inboxes = useInboxes();
  const teams = useTeams();
  const [editing, setEditing] = useState<string | null>(null);
  const teamName = new Map((teams.data ?? []).map((t) => [t.id, t.name]));
  return (
    <Section title="Channels">
      <Loaded q={inboxes}>
        {(list) => (
          <Table aria-label="Inboxes" verticalSpacing="xs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Channel</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Address</Table.Th>
                <Table.Th>Team</Table.Th>
                <Table.Th>Secrets</Table.Th>
                <Table.Th>Enabled</Table.Th>
                <Table.Th>
                  <span className="sr-only">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.flatMap((inbox) => {
                const rows = [
                  <InboxRow
                    key={inbox.id}
                    inbox={inbox}
                    teamName={inbox.teamId ? (teamName.get(inbox.teamId) ?? null) : null}
                    editing={editing === inbox.id}
                    onEdit={() => setEditing(editing === inbox.id ? null : inbox.id)}
                  />,
                ];
                if (editing === inbox.id)
                  rows.push(
                    <Table.Tr key={`${inbox.id}-edit`}>
                      <Table.Td colSpan={7} bg="gray.0" p="md">
                        <InboxForm me={me} channel={inbox.channel} inbox={inbox} />
                      </Table.Td>
                    </Table.Tr>,
                  );
                return rows;
              })}
            </Table.Tbody>
          </Table>
        )}
      </Loaded>
      <Paper withBorder p="sm" component="section" aria-label="Add a channel">
        <Stack gap="xs">
          <Title order={3} size="h5">
            Add a channel
          </Title>
          <NewInbox me={me} />
        </Stack>
      </Paper>
    </Section>
  );
}
