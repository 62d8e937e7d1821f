// The inbox form: the fields each channel takes (routing address, settings, write-only secrets),
// and what a channel needs from outside once it exists (the chat widget snippet and a preview,
// the webhook URLs a provider console asks for, how email goes out).
import { type ReactNode } from 'react';
import { Alert, Badge, Box, Button, Code, ColorInput, CopyButton, Group, Paper, PasswordInput, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import type { Inbox, InboxChannel } from '@rapport/contracts';
import { ApiError } from '../../api/client';

type FieldKind = 'text' | 'origins' | 'color' | 'textarea' | 'switch' | 'templates';
type Field = { key: string; label: string; kind?: FieldKind; placeholder?: string; description?: string; required?: boolean };
type Spec = { address: Field | null; settings: Field[]; secrets: Field[] };

export const CHANNEL_SPECS: Record<InboxChannel, Spec> = {
  email: {
    address: { key: 'address', label: 'Email address', placeholder: 'help@shop.example', required: true },
    settings: [{ key: 'fromName', label: 'From name', placeholder: 'Shop Support', description: 'The name customers see on replies' }],
    secrets: [],
  },
  chat: {
    address: null,
    settings: [
      {
        key: 'allowedOrigins',
        label: 'Allowed origins',
        kind: 'origins',
        placeholder: 'https://shop.example',
        description: 'Sites that may load the widget, one a line; empty: any',
      },
      { key: 'color', label: 'Colour', kind: 'color' },
      { key: 'greeting', label: 'Greeting', kind: 'textarea', placeholder: 'Hi! How can we help?' },
      {
        key: 'requireIdentity',
        label: 'Require signed identity',
        kind: 'switch',
        description: 'Visitors must carry a user id signed with the identity secret',
      },
    ],
    secrets: [{ key: 'identitySecret', label: 'Identity secret', description: 'Generated when left empty' }],
  },
  sms: {
    address: { key: 'address', label: 'Phone number', placeholder: '+14155550100', description: 'The Twilio number, E.164', required: true },
    settings: [{ key: 'accountSid', label: 'Account SID', placeholder: 'AC…' }],
    secrets: [{ key: 'authToken', label: 'Auth token' }],
  },
  whatsapp: {
    address: { key: 'address', label: 'WhatsApp number or phone number id', placeholder: '+14155550100', required: true },
    settings: [
      { key: 'phoneNumberId', label: 'Phone number id', placeholder: '1098765432' },
      { key: 'businessAccountId', label: 'Business account id', placeholder: '2034567890' },
      {
        key: 'templates',
        label: 'Message templates',
        kind: 'templates',
        placeholder: 'order_update en_US',
        description: 'Approved templates, one a line: name and language',
      },
    ],
    secrets: [
      { key: 'accessToken', label: 'Access token' },
      { key: 'appSecret', label: 'App secret' },
      { key: 'verifyToken', label: 'Verify token' },
    ],
  },
  messenger: {
    address: { key: 'address', label: 'Page id', placeholder: '1234567890', description: 'The Facebook page id', required: true },
    settings: [],
    secrets: [
      { key: 'accessToken', label: 'Page access token' },
      { key: 'appSecret', label: 'App secret' },
      { key: 'verifyToken', label: 'Verify token' },
    ],
  },
  api: { address: null, settings: [], secrets: [] },
};

/** The form's state: text as typed (lists as lines), secrets only when a new value is typed. */
export type Draft = { name: string; address: string; teamId: string | null; settings: Record<string, string | boolean>; secrets: Record<string, string> };

const lines = (text: string) =>
  text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function emptyDraft(channel: InboxChannel): Draft {
  const settings: Record<string, string | boolean> =
    channel === 'chat' ? { allowedOrigins: '', color: '#3b5bdb', greeting: 'Hi! How can we help?', requireIdentity: false } : {};
  return { name: '', address: '', teamId: null, settings, secrets: {} };
}

export function draftOf(inbox: Inbox): Draft {
  const settings: Record<string, string | boolean> = {};
  for (const f of CHANNEL_SPECS[inbox.channel].settings) {
    const v = inbox.settings[f.key];
    if (f.kind === 'origins' && Array.isArray(v)) settings[f.key] = v.join('\n');
    else if (f.kind === 'templates' && Array.isArray(v))
      settings[f.key] = v
        .map((t: unknown) => (typeof t === 'object' && t !== null && 'name' in t && 'language' in t ? `${String(t.name)} ${String(t.language)}` : ''))
        .filter(Boolean)
        .join('\n');
    else if (typeof v === 'string' || typeof v === 'boolean') settings[f.key] = v;
  }
  return { name: inbox.name, address: inbox.address ?? '', teamId: inbox.teamId, settings, secrets: {} };
}

/** The settings object the API takes, from what the form holds. */
export function settingsOf(channel: InboxChannel, draft: Draft): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of CHANNEL_SPECS[channel].settings) {
    const v = draft.settings[f.key];
    if (f.kind === 'switch') out[f.key] = v === true;
    else if (f.kind === 'origins') out[f.key] = lines(typeof v === 'string' ? v : '');
    else if (f.kind === 'templates') {
      const list = lines(typeof v === 'string' ? v.replace(/,/g, '\n') : '').map((l) => {
        const [name = '', language = ''] = l.split(/\s+/);
        return { name, language };
      });
      if (list.length > 0) out[f.key] = list;
    } else if (typeof v === 'string' && v.trim() !== '') out[f.key] = v.trim();
  }
  // A Messenger page's id is its address; Meta's API calls it the page id.
  if (channel === 'messenger' && draft.address.trim()) out.pageId = draft.address.trim();
  return out;
}

/** The server's field errors (RFC 9457 `errors[]`), by the form field they are about. */
export function fieldErrors(err: unknown): (key: string) => string | undefined {
  const list = err instanceof ApiError ? (err.problem?.errors ?? []) : [];
  return (key) => list.find((e) => e.path === key || e.path.startsWith(`${key}.`))?.message;
}

function SettingField({
  f,
  value,
  onChange,
  error,
}: {
  f: Field;
  value: string | boolean | undefined;
  onChange: (v: string | boolean) => void;
  error?: string | undefined;
}) {
  const text = typeof value === 'string' ? value : '';
  const common = { label: f.label, description: f.description, placeholder: f.placeholder, error };
  switch (f.kind) {
    case 'switch':
      return <Switch label={f.label} description={f.description} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} error={error} />;
    case 'color':
      return (
        <ColorInput
          {...common}
          withEyeDropper={false}
          format="hex"
          value={text}
          onChange={onChange}
          w={180}
          swatches={['#3b5bdb', '#0b7285', '#2b8a3e', '#c92a2a', '#862e9c', '#212529']}
        />
      );
    case 'textarea':
      return <Textarea {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)} autosize minRows={2} maxRows={4} />;
    case 'origins':
    case 'templates':
      return <Textarea {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)} autosize minRows={2} maxRows={6} />;
    default:
      return <TextInput {...common} value={text} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}

/** A write-only secret: whether it is set, and a field to replace it. The value is never shown. */
function SecretField({
  f,
  isSet,
  value,
  onChange,
  error,
}: {
  f: Field;
  isSet: boolean;
  value: string;
  onChange: (v: string) => void;
  error?: string | undefined;
}) {
  return (
    <PasswordInput
      label={
        <Group gap={6} component="span">
          <span>{f.label}</span>
          {isSet ? (
            <Badge size="xs" color="#1e6b33" variant="filled" data-testid="secret-set">
              set
            </Badge>
          ) : (
            <Badge size="xs" color="#495057" variant="outline">
              not set
            </Badge>
          )}
        </Group>
      }
      placeholder={isSet ? 'Type to replace' : ''}
      description={isSet ? 'Stored; never shown again. Leave empty to keep it.' : f.description}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      autoComplete="new-password"
      visibilityToggleButtonProps={{ 'aria-label': 'Show or hide what you typed' }}
      error={error}
    />
  );
}

/** The per-channel fields of the inbox form. */
export function ChannelFields({
  channel,
  draft,
  setDraft,
  secretsSet,
  errorFor,
}: {
  channel: InboxChannel;
  draft: Draft;
  setDraft: (d: Draft) => void;
  secretsSet: string[];
  errorFor: (key: string) => string | undefined;
}) {
  const spec = CHANNEL_SPECS[channel];
  return (
    <Stack gap="xs">
      {spec.address ? (
        <TextInput
          label={spec.address.label}
          description={spec.address.description}
          placeholder={spec.address.placeholder}
          required={spec.address.required}
          value={draft.address}
          onChange={(e) => setDraft({ ...draft, address: e.currentTarget.value })}
          error={errorFor('address')}
        />
      ) : null}
      {spec.settings.map((f) => (
        <SettingField
          key={f.key}
          f={f}
          value={draft.settings[f.key]}
          onChange={(v) => setDraft({ ...draft, settings: { ...draft.settings, [f.key]: v } })}
          error={errorFor(`settings.${f.key}`)}
        />
      ))}
      {spec.secrets.map((f) => (
        <SecretField
          key={f.key}
          f={f}
          isSet={secretsSet.includes(f.key)}
          value={draft.secrets[f.key] ?? ''}
          onChange={(v) => setDraft({ ...draft, secrets: { ...draft.secrets, [f.key]: v } })}
          error={errorFor(`secrets.${f.key}`)}
        />
      ))}
      {errorFor('settings') && !spec.settings.some((f) => errorFor(`settings.${f.key}`)) ? (
        <Text size="sm" c="red.8">
          {errorFor('settings')}
        </Text>
      ) : null}
    </Stack>
  );
}

function CopyValue({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Stack gap={2}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Code block style={{ flex: 1, wordBreak: 'break-all', whiteSpace: 'pre-wrap' }} data-testid={testId}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="xs" variant="default" onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Stack>
  );
}

export const widgetSnippet = (origin: string, workspaceId: string, inboxId: string) =>
  `<script src="${origin}/widget.js" data-workspace="${workspaceId}" data-inbox="${inboxId}" async></script>`;

/** Black or white text, whichever reads better on the colour (WCAG relative luminance). */
function textOn(hex: string): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return '#fff';
  const [r, g, b] = m.slice(1).map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const lum = 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  return lum > 0.179 ? '#000' : '#fff';
}

/** How the widget will look with this colour and greeting (a drawing, not the widget itself). */
export function WidgetPreview({ color, greeting, title }: { color: string; greeting: string; title: string }) {
  const valid = /^#[0-9a-f]{6}$/i.test(color) ? color : '#3b5bdb';
  const fg = textOn(valid);
  return (
    <Stack gap={6} align="flex-end" data-testid="widget-preview" aria-label="Widget preview" role="img">
      <Paper shadow="md" radius="md" w={260} style={{ overflow: 'hidden' }} withBorder>
        <Box p="sm" style={{ background: valid, color: fg }}>
          <Text size="sm" fw={700} c={fg} data-testid="preview-title">
            {title.trim() || 'Chat'}
          </Text>
        </Box>
        <Stack p="sm" gap="xs" bg="gray.0" mih={110}>
          <Paper p={8} radius="md" maw="85%" withBorder>
            <Text size="sm" data-testid="preview-greeting">
              {greeting.trim() || 'Hi! How can we help?'}
            </Text>
          </Paper>
          <Paper p={8} radius="md" maw="75%" ml="auto" style={{ background: valid }}>
            <Text size="sm" c={fg}>
              Where is my order?
            </Text>
          </Paper>
        </Stack>
        <Box p={8} style={{ borderTop: '1px solid var(--mantine-color-gray-3)' }}>
          <Group justify="space-between" wrap="nowrap">
            <Text size="xs" c="dimmed">
              Message
            </Text>
            <Box px={8} py={2} style={{ background: valid, borderRadius: 4 }}>
              <Text size="xs" c={fg} fw={600}>
                Send
              </Text>
            </Box>
          </Group>
        </Box>
      </Paper>
      <Box w={48} h={48} style={{ borderRadius: '50%', background: valid, boxShadow: '0 2px 8px rgba(0,0,0,.25)' }} />
    </Stack>
  );
}

/** What the outside needs once an inbox exists: the snippet, the provider's webhook URLs, the mail route. */
export function ChannelSetup({ inbox, workspaceId }: { inbox: Pick<Inbox, 'id' | 'channel' | 'address'>; workspaceId: string }): ReactNode {
  const origin = location.origin;
  switch (inbox.channel) {
    case 'chat':
      return (
        <Stack gap="xs">
          <CopyValue label="Widget snippet" value={widgetSnippet(origin, workspaceId, inbox.id)} testId="widget-snippet" />
          <Text size="xs" c="dimmed">
            Paste it before {'</body>'} on every page of your site. For signed-in users (and with “Require signed identity”), boot it from code with the user’s
            id and the hex HMAC-SHA256 of that id under the identity secret, made by your back end:{' '}
            <Code>{"Rapport('boot', { workspace, inbox, user: { id, hash } })"}</Code> (docs/widget.md).
          </Text>
        </Stack>
      );
    case 'sms':
      return (
        <Stack gap="xs">
          <Text size="sm">In the Twilio console (Phone Numbers → your number → Messaging configuration), set “A message comes in” to Webhook, HTTP POST:</Text>
          <CopyValue label="A message comes in" value={`${origin}/channels/twilio/${inbox.id}/sms`} testId="webhook-url" />
          <CopyValue
            label="Status callback (sent with each reply; nothing to set)"
            value={`${origin}/channels/twilio/${inbox.id}/status`}
            testId="webhook-url"
          />
          <PublicUrlNote />
        </Stack>
      );
    case 'whatsapp':
    case 'messenger':
      return (
        <Stack gap="xs">
          <Text size="sm">
            In the Meta app dashboard ({inbox.channel === 'whatsapp' ? 'WhatsApp → Configuration' : 'Messenger → Settings'}), set the callback URL and the
            verify token you stored here, and subscribe to {inbox.channel === 'whatsapp' ? 'messages' : 'messages and message_deliveries'}:
          </Text>
          <CopyValue label="Callback URL" value={`${origin}/channels/meta/${inbox.id}/webhook`} testId="webhook-url" />
          <PublicUrlNote />
        </Stack>
      );
    case 'email':
      return <EmailGuidance address={inbox.address} />;
    case 'api':
      return (
        <Text size="sm" c="dimmed">
          Post messages to this inbox with an API token; see the API docs under “Inboxes and channels”.
        </Text>
      );
  }
}

/** Providers sign the URL they call; the server checks it against its public URL. */
function PublicUrlNote() {
  return (
    <Text size="xs" c="dimmed">
      These use this page’s address. The server checks provider signatures against <Code>RAPPORT_PUBLIC_URL</Code>: if providers reach it under another address
      (a proxy, a tunnel), paste that one and ask the operator to set it (docs/channels.md).
    </Text>
  );
}

function EmailGuidance({ address }: { address: string | null }) {
  return (
    <Alert color="blue" variant="light" title="How mail flows" data-testid="email-guidance">
      <Stack gap={4}>
        <Text size="sm">
          Incoming: mail to {address ? <Code>{address}</Code> : 'this address'} reaches Rapport’s SMTP server. Point the domain’s MX record at this server, or
          forward your existing mailbox to it.
        </Text>
        <Text size="sm">
          Outgoing: replies leave through the relay the server’s operator sets with <Code>RAPPORT_SMTP_RELAY_URL</Code>. This server does not report whether one
          is set; a reply that cannot be sent shows “Failed” and the reason on the message in the conversation.
        </Text>
      </Stack>
    </Alert>
  );
}
