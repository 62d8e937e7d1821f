// Settings for owners and admins; sections whose API is not on this server say so instead of failing.
import { Stack, Tabs, Title } from '@mantine/core';
import { useNavigate, useParams } from 'react-router-dom';
import type { Me } from '../../api/types';
import { AuditSection } from './audit';
import { CannedSection } from './canned';
import { ChannelsSection } from './channels';
import { CustomFieldsSection } from './custom-fields';
import { MembersSection } from './members';
import { SlaSection } from './sla';
import { TeamsSection } from './teams';
import { TokensSection } from './tokens';
import { TouchpointsSection } from './touchpoints';
import { WebhooksSection } from './webhooks';
import { WriteKeysSection } from './write-keys';

const SECTIONS = [
  ['members', 'Members'],
  ['teams', 'Teams'],
  ['channels', 'Channels'],
  ['sla', 'SLA'],
  ['canned', 'Canned responses'],
  ['fields', 'Custom fields'],
  ['tokens', 'API tokens'],
  ['write-keys', 'Write keys'],
  ['webhooks', 'Webhooks'],
  ['touchpoints', 'Touchpoints'],
  ['audit', 'Audit log'],
] as const;

export default function SettingsPage({ me }: { me: Me }) {
  const params = useParams();
  const navigate = useNavigate();
  const section = SECTIONS.some(([k]) => k === params['*']) ? (params['*'] ?? 'members') : 'members';
  return (
    <Stack>
      <Title order={1} size="h3">
        Settings
      </Title>
      <Tabs value={section} onChange={(v) => v && navigate(`/settings/${v}`)} keepMounted={false}>
        <Tabs.List aria-label="Settings sections">
          {SECTIONS.map(([k, l]) => (
            <Tabs.Tab key={k} value={k}>
              {l}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="members" pt="md">
          <MembersSection me={me} />
        </Tabs.Panel>
        <Tabs.Panel value="teams" pt="md">
          <TeamsSection />
        </Tabs.Panel>
        <Tabs.Panel value="channels" pt="md">
          <ChannelsSection me={me} />
        </Tabs.Panel>
        <Tabs.Panel value="sla" pt="md">
          <SlaSection />
        </Tabs.Panel>
        <Tabs.Panel value="canned" pt="md">
          <CannedSection />
        </Tabs.Panel>
        <Tabs.Panel value="fields" pt="md">
          <CustomFieldsSection />
        </Tabs.Panel>
        <Tabs.Panel value="tokens" pt="md">
          <TokensSection />
        </Tabs.Panel>
        <Tabs.Panel value="write-keys" pt="md">
          <WriteKeysSection />
        </Tabs.Panel>
        <Tabs.Panel value="webhooks" pt="md">
          <WebhooksSection />
        </Tabs.Panel>
        <Tabs.Panel value="touchpoints" pt="md">
          <TouchpointsSection />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <AuditSection />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
