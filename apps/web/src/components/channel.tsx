// How a channel looks everywhere in the app (a small icon and its name), and the delivery state of
// an agent's reply. The icons are inline SVG (24×24 stroke paths), so no icon font is loaded.
import { Group, Text, Tooltip } from '@mantine/core';
import type { Channel, Message } from '../api/types';

type IconName = Channel | 'clock' | 'check' | 'double-check' | 'alert' | 'paperclip';

const PATHS: Record<IconName, string[]> = {
  email: ['M3 6h18v12H3z', 'M3 6l9 7 9-7'],
  chat: ['M4 5h16v11H9l-5 4z'],
  sms: ['M7 3h10v18H7z', 'M11 18h2'],
  whatsapp: ['M4 20l1.5-4.5A8 8 0 1 1 8.5 18.5z', 'M9.5 9.5c.5 2 2 3.5 4.5 4.5'],
  messenger: ['M12 3a9 8.5 0 0 0-5 15.5V21l3-1.6A9 8.5 0 1 0 12 3z', 'M7.5 13.5l3-3 2.5 2 3.5-3'],
  social: ['M6 12a2 2 0 1 0 0 .01', 'M18 6a2 2 0 1 0 0 .01', 'M18 18a2 2 0 1 0 0 .01', 'M8 11l8-4', 'M8 13l8 4'],
  phone: ['M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z'],
  api: ['M8 7l-5 5 5 5', 'M16 7l5 5-5 5', 'M14 4l-4 16'],
  web_form: ['M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18z', 'M3 12h18', 'M12 3c3 3 3 15 0 18', 'M12 3c-3 3-3 15 0 18'],
  clock: ['M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18z', 'M12 7v5l3 2'],
  check: ['M5 12l5 5 9-10'],
  'double-check': ['M2 12l5 5 9-10', 'M11 16l1 1 9-10'],
  alert: ['M12 3a9 9 0 1 0 0 18 9 9 0 1 0 0-18z', 'M12 7v6', 'M12 16.5v.5'],
  paperclip: ['M20 11l-8.5 8.5a5 5 0 0 1-7-7L13 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L14 7'],
};

export function Icon({ name, size = 14, color = 'currentColor' }: { name: IconName; size?: number; color?: string }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke={color}
      strokeWidth={2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      {PATHS[name].map((d) => (
        <path key={d} d={d} />
      ))}
    </svg>
  );
}

export const CHANNEL_LABEL: Record<Channel, string> = {
  email: 'Email',
  chat: 'Chat',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  messenger: 'Messenger',
  social: 'Social',
  phone: 'Phone',
  api: 'API',
  web_form: 'Web',
};

/** The channel as a small icon and its name, e.g. on each message of a thread. */
export function ChannelTag({ channel }: { channel: Channel }) {
  return (
    <Group gap={4} wrap="nowrap" data-testid="channel-tag" data-channel={channel}>
      <Icon name={channel} size={13} color="#495057" />
      <Text size="xs" c="#495057">
        {CHANNEL_LABEL[channel]}
      </Text>
    </Group>
  );
}

type Delivery = NonNullable<Message['delivery']>;

// Dark shades: the text keeps a 4.5:1 contrast on the reply background.
const DELIVERY: Record<Delivery['status'], { icon: IconName; label: string; color: string }> = {
  queued: { icon: 'clock', label: 'Queued', color: '#5c5f66' },
  sent: { icon: 'check', label: 'Sent', color: '#1e6b33' },
  delivered: { icon: 'double-check', label: 'Delivered', color: '#1864ab' },
  failed: { icon: 'alert', label: 'Failed', color: '#b02525' },
};

/** Where an agent's reply is on its way to the customer; a failure says why, a retry how often. */
export function DeliveryState({ delivery }: { delivery: Delivery }) {
  const d = DELIVERY[delivery.status];
  const tries = delivery.attempts > 1 ? ` after ${delivery.attempts} attempts` : '';
  const retrying = delivery.status === 'queued' && delivery.error ? ` (retrying: ${delivery.error})` : '';
  const text = delivery.status === 'failed' ? `Failed${tries}: ${delivery.error ?? 'no reason given'}` : `${d.label}${tries}${retrying}`;
  const badge = (
    <Group gap={4} wrap="nowrap" data-testid="delivery" data-status={delivery.status} aria-label={`Delivery: ${text}`} style={{ maxWidth: '100%' }}>
      <Icon name={d.icon} size={13} color={d.color} />
      <Text size="xs" c={d.color} fw={delivery.status === 'failed' ? 600 : 400} lineClamp={2}>
        {text}
      </Text>
    </Group>
  );
  return delivery.error ? (
    <Tooltip label={delivery.error} multiline maw={360} withArrow>
      {badge}
    </Tooltip>
  ) : (
    badge
  );
}

/** A byte count as people read it. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
