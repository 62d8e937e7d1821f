// Settings: outgoing webhooks — subscriptions to domain events (the signing secret shown once, on
// create and rotate), turning them off and on, and each one's delivery log with redelivery.
import { useState } from 'react';
import { Badge, Button, Code, Group, Modal, MultiSelect, Paper, Stack, Switch, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import type { DomainEventType, Webhook, WebhookDelivery } from '@rapport/contracts';
import { dateTime } from '../../components/format';
import { ErrorNotice } from '../../components/feedback';
import { fieldErrors } from './channel-form';
import { useCreateWebhook, useDeleteWebhook, useRedeliver, useRotateWebhookSecret, useUpdateWebhook, useWebhookDeliveries, useWebhooks } from './hooks';
import { Loaded, Section } from './parts';
import { Secret } from './Secret';

/** The event types of contracts' events.ts (DOMAIN_EVENTS holds schemas, which stay out of the bundle). */
const EVENT_TYPES = [
  'conversation.created',
  'conversation.updated',
  'conversation.assigned',
  'conversation.status_changed',
  'conversation.merged',
  'message.created',
  'message.delivery_updated',
  'message.scored',
  'customer.created',
  'customer.updated',
  'customer.merged',
  'customer.deleted',
  'interaction.created',
  'member.invited',
  'member.joined',
  'member.updated',
  'team.created',
  'team.updated',
  'team.deleted',
  'team.member_added',
  'team.member_removed',
  'sla.warning',
  'sla.breached',
] as const satisfies readonly DomainEventType[];
// A type added to the contract and not listed here fails the build.
const everyTypeListed: [Exclude<DomainEventType, (typeof EVENT_TYPES)[number]>] extends [never] ? true : false = true;
void everyTypeListed;

const EVENT_OPTIONS = [
  { group: 'All', items: [{ value: '*', label: 'Every event (but interaction.created)' }] },
  ...['conversation', 'message', 'customer', 'interaction', 'member', 'team', 'sla'].map((g) => ({
    group: g === 'sla' ? 'SLA' : g.replace(/^./, (c) => c.toUpperCase()),
    items: EVENT_TYPES.filter((t) => t.startsWith(`${g}.`)).map((t) => ({ value: t, label: t })),
  })),
];

function WebhookForm({ webhook, onCreated, onSaved }: { webhook?: Webhook; onCreated?: (secret: string) => void; onSaved?: () => void }) {
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [events, setEvents] = useState<string[]>(webhook?.events ?? ['message.created']);
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [includeInternal, setIncludeInternal] = useState(webhook?.includeInternal ?? false);
  const create = useCreateWebhook();
  const update = useUpdateWebhook();
  const m = webhook ? update : create;
  const errorFor = fieldErrors(m.error);
  const known = (e: string): e is '*' | DomainEventType => e === '*' || EVENT_TYPES.some((t) => t === e);
  return (
    <form
      aria-label={webhook ? `Edit webhook ${webhook.url}` : 'Create a webhook'}
      onSubmit={(e) => {
        e.preventDefault();
        const body = { url: url.trim(), events: events.filter(known), includeInternal, ...(description.trim() ? { description: description.trim() } : {}) };
        if (webhook) update.mutate({ id: webhook.id, body: { ...body, description: description.trim() || null } }, { onSuccess: () => onSaved?.() });
        else
          create.mutate(body, {
            onSuccess: (w) => {
              onCreated?.(w.secret);
              setUrl('');
              setDescription('');
            },
          });
      }}
    >
      <Stack gap="xs">
        <Group align="flex-start" gap="xs" grow>
          <TextInput
            label="Endpoint URL"
            required
            placeholder="https://crm.example.com/rapport"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            error={errorFor('url')}
          />
          <TextInput
            label="Description"
            placeholder="CRM sync"
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
            error={errorFor('description')}
          />
        </Group>
        <MultiSelect
          label="Events"
          required
          data={EVENT_OPTIONS}
          value={events}
          onChange={setEvents}
          searchable
          error={errorFor('events')}
          placeholder={events.length === 0 ? 'Pick event types' : undefined}
          comboboxProps={{ withinPortal: true }}
        />
        <Switch
          label="Include internal events (notes)"
          description="Off: notes never leave Rapport, since they are not meant for the customer side"
          checked={includeInternal}
          onChange={(e) => setIncludeInternal(e.currentTarget.checked)}
        />
        {m.isError ? <ErrorNotice error={m.error} title="Not saved" /> : null}
        <Group>
          <Button type="submit" loading={m.isPending}>
            {webhook ? 'Save changes' : 'Create webhook'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const deliveryColor: Record<WebhookDelivery['status'], string> = { pending: '#8a5a00', succeeded: '#1e6b33', failed: '#b02525' };

function DeliveryLog({ webhookId }: { webhookId: string }) {
  const deliveries = useWebhookDeliveries(webhookId);
  const redeliver = useRedeliver();
  return (
    <Stack gap="xs" data-testid="delivery-log">
      <Text size="sm" fw={600}>
        Delivery log
      </Text>
      {redeliver.isError ? <ErrorNotice error={redeliver.error} title="Not redelivered" /> : null}
      <Loaded q={deliveries}>
        {(list) =>
          list.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing sent yet. Events are sent as they happen.
            </Text>
          ) : (
            <Table aria-label="Deliveries" verticalSpacing={4} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Event</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>HTTP</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Duration</Table.Th>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Response</Table.Th>
                  <Table.Th>
                    <span className="sr-only">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.map((d) => (
                  <Table.Tr key={d.id} data-testid="delivery-row" data-status={d.status}>
                    <Table.Td>
                      <Group gap={4}>
                        <Code>{d.eventType}</Code>
                        {d.manual ? (
                          <Badge size="xs" variant="filled" color="#495057" tt="none">
                            redelivery
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" c={deliveryColor[d.status]} fw={600}>
                        {d.status}
                      </Text>
                    </Table.Td>
                    <Table.Td data-testid="delivery-http">{d.lastStatus ?? '—'}</Table.Td>
                    <Table.Td>{d.attempts}</Table.Td>
                    <Table.Td>{d.lastDurationMs === null ? '—' : `${d.lastDurationMs} ms`}</Table.Td>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{dateTime(d.lastAttemptAt ?? d.createdAt)}</Table.Td>
                    <Table.Td maw={240}>
                      <Tooltip label={d.lastError ?? d.lastResponse ?? ''} disabled={!(d.lastError ?? d.lastResponse)} multiline maw={400}>
                        <Text size="xs" ff="monospace" truncate="end" c={d.lastError ? 'red.9' : undefined}>
                          {d.lastError ?? (d.lastResponse ? d.lastResponse.slice(0, 80) : '—')}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="default"
                        loading={redeliver.isPending && redeliver.variables?.deliveryId === d.id}
                        onClick={() => redeliver.mutate({ id: webhookId, deliveryId: d.id })}
                        aria-label={`Redeliver ${d.eventType} ${d.id}`}
                      >
                        Redeliver
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )
        }
      </Loaded>
    </Stack>
  );
}

function WebhookCard({ webhook }: { webhook: Webhook }) {
  const update = useUpdateWebhook();
  const rotate = useRotateWebhookSecret();
  const remove = useDeleteWebhook();
  const [open, setOpen] = useState<'log' | 'edit' | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  return (
    <Paper withBorder p="sm" data-testid="webhook" aria-label={`Webhook ${webhook.url}`} component="section">
      <Stack gap="xs">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Stack gap={2} style={{ minWidth: 0 }}>
            <Text size="sm" fw={600} style={{ wordBreak: 'break-all' }}>
              {webhook.url}
            </Text>
            {webhook.description ? (
              <Text size="xs" c="dimmed">
                {webhook.description}
              </Text>
            ) : null}
            <Group gap={4}>
              {webhook.events.map((e) => (
                <Badge key={e} size="xs" variant="filled" color="#364fc7" tt="none">
                  {e === '*' ? 'every event' : e}
                </Badge>
              ))}
              {webhook.includeInternal ? (
                <Badge size="xs" variant="filled" color="#8a5a00" tt="none">
                  with notes
                </Badge>
              ) : null}
            </Group>
            {!webhook.enabled ? (
              <Text size="xs" c="red.9" data-testid="disabled-reason">
                Disabled{webhook.disabledReason ? `: ${webhook.disabledReason}` : ' by a person'}
                {webhook.disabledAt ? ` (${dateTime(webhook.disabledAt)})` : ''}
              </Text>
            ) : webhook.failingSince ? (
              <Text size="xs" c="#8a5a00">
                Failing since {dateTime(webhook.failingSince)}; retrying.
              </Text>
            ) : webhook.lastSuccessAt ? (
              <Text size="xs" c="dimmed">
                Last delivered {dateTime(webhook.lastSuccessAt)}
              </Text>
            ) : null}
          </Stack>
          <Group gap={4} wrap="nowrap">
            <Switch
              checked={webhook.enabled}
              onChange={(e) => update.mutate({ id: webhook.id, body: { enabled: e.currentTarget.checked } })}
              label={webhook.enabled ? 'Enabled' : 'Disabled'}
              aria-label={`Enabled: ${webhook.url}`}
            />
            <Button
              size="xs"
              variant={open === 'log' ? 'light' : 'subtle'}
              onClick={() => setOpen(open === 'log' ? null : 'log')}
              aria-expanded={open === 'log'}
            >
              Deliveries
            </Button>
            <Button
              size="xs"
              variant={open === 'edit' ? 'light' : 'subtle'}
              onClick={() => setOpen(open === 'edit' ? null : 'edit')}
              aria-expanded={open === 'edit'}
            >
              Edit
            </Button>
            <Button size="xs" variant="subtle" loading={rotate.isPending} onClick={() => rotate.mutate(webhook.id, { onSuccess: (w) => setSecret(w.secret) })}>
              Rotate secret
            </Button>
            <Button size="xs" variant="subtle" color="red" onClick={() => setConfirming(true)} aria-label={`Delete webhook ${webhook.url}`}>
              Delete
            </Button>
          </Group>
        </Group>
        {update.isError ? <ErrorNotice error={update.error} title="Not saved" /> : null}
        {rotate.isError ? <ErrorNotice error={rotate.error} title="Not rotated" /> : null}
        {secret ? (
          <Secret
            title="New signing secret"
            value={secret}
            note="Copy it now: it is shown only once. The previous secret also signs for the next 24 hours, so receivers can switch over."
          />
        ) : null}
        {open === 'edit' ? <WebhookForm webhook={webhook} onSaved={() => setOpen(null)} /> : null}
        {open === 'log' ? <DeliveryLog webhookId={webhook.id} /> : null}
      </Stack>
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Delete this webhook?">
        <Stack>
          <Text size="sm" style={{ wordBreak: 'break-all' }}>
            {webhook.url} stops receiving events, and its delivery log is deleted.
          </Text>
          {remove.isError ? <ErrorNotice error={remove.error} title="Not deleted" /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate(webhook.id, { onSuccess: () => setConfirming(false) })}>
              Delete webhook
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Paper>
  );
}

export function WebhooksSection() {
  const webhooks = useWebhooks();
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Section title="Webhooks">
      <Loaded q={webhooks}>
        {(list) =>
          list.length === 0 ? (
            <Text c="dimmed">No webhooks yet.</Text>
          ) : (
            <Stack gap="sm">
              {list.map((w) => (
                <WebhookCard key={w.id} webhook={w} />
              ))}
            </Stack>
          )
        }
      </Loaded>
      <Paper withBorder p="sm" component="section" aria-label="Add a webhook">
        <Stack gap="xs">
          <Title order={3} size="h5">
            Add a webhook
          </Title>
          <WebhookForm onCreated={setSecret} />
          <Text size="xs" c="dimmed">
            Events are POSTed as JSON, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature headers), retried for about a day.
          </Text>
          {secret ? (
            <Secret
              title="Webhook created"
              value={secret}
              note="Copy the signing secret now: it is shown only once. Verify each request's signature with it."
            />
          ) : null}
        </Stack>
      </Paper>
    </Section>
  );
}
