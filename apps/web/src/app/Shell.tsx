// The frame around every signed-in screen: header (workspace, live status, account) and navigation.
import { useEffect, useState, type ReactNode } from 'react';
import {
  Alert,
  AppShell,
  Badge,
  Burger,
  Button,
  Group,
  Kbd,
  Menu,
  Modal,
  NavLink,
  ScrollArea,
  Select,
  Stack,
  Table,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { api, describeError, must } from '../api/client';
import { keys, useTeams } from '../api/queries';
import type { Me } from '../api/types';
import { STATUSES, label } from '../api/types';
import { useLive } from '../live/LiveProvider';
import { can } from '../api/permissions';
import { isTyping } from '../components/keyboard';

export const SHORTCUTS: [string, string][] = [
  ['j / k', 'Next / previous conversation'],
  ['Enter', 'Open the highlighted conversation'],
  ['x', 'Select the highlighted conversation'],
  ['r', 'Reply'],
  ['n', 'Write an internal note'],
  ['e', 'Resolve (the selection, or the highlighted conversation)'],
  ['/', 'Search the inbox, or insert a canned response in the composer'],
  ['?', 'Show these shortcuts'],
];

function LiveBadge() {
  const { status } = useLive();
  const color = status === 'live' ? 'green' : status === 'connecting' ? 'gray' : 'orange';
  const text = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting' : 'Reconnecting';
  return (
    <Badge color={color} variant="dot" aria-live="polite" data-testid="live-status" data-status={status}>
      {text}
    </Badge>
  );
}

function WorkspaceSwitcher({ me }: { me: Me }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  if (me.workspaces.length < 2) {
    return (
      <Text fw={600} size="sm" data-testid="workspace-name">
        {me.workspace.name}
      </Text>
    );
  }
  return (
    <Select
      aria-label="Workspace"
      size="xs"
      w={200}
      allowDeselect={false}
      value={me.workspace.id}
      error={error}
      data={me.workspaces.map((w) => ({ value: w.workspace.id, label: w.workspace.name }))}
      onChange={async (workspaceId) => {
        if (!workspaceId || workspaceId === me.workspace.id) return;
        try {
          await must(api.POST('/api/v1/auth/switch', { body: { workspaceId } }));
          setError(null);
          qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
          navigate('/');
          await qc.invalidateQueries({ queryKey: keys.me });
        } catch (err) {
          setError(describeError(err));
        }
      }}
    />
  );
}

function Navigation({ me, onNavigate }: { me: Me; onNavigate: () => void }) {
  const teams = useTeams();
  const [params] = useSearchParams();
  const location = useLocation();
  const view = location.pathname === '/' ? (params.get('view') ?? (me.role === 'analyst' ? 'all' : 'mine')) : null;
  const item = (key: string, text: string) => (
    <NavLink
      key={key}
      component={Link}
      to={`/?view=${encodeURIComponent(key)}`}
      label={text}
      active={view === key}
      onClick={onNavigate}
      aria-current={view === key ? 'page' : undefined}
    />
  );
  const myTeams = (teams.data ?? []).filter((t) => me.role !== 'partner' || me.teamIds.includes(t.id));
  return (
    <nav aria-label="Main">
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="xs">
        Inbox
      </Text>
      {me.role !== 'analyst' ? item('mine', 'Mine') : null}
      {item('unassigned', 'Unassigned')}
      {item('all', 'All')}
      {myTeams.length > 0 ? (
        <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm">
          Teams
        </Text>
      ) : null}
      {myTeams.map((t) => item(`team:${t.id}`, t.name))}
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm">
        Status
      </Text>
      {STATUSES.map((s) => item(`status:${s}`, label(s)))}
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm">
        Workspace
      </Text>
      {can(me.role, 'customers') ? (
        <NavLink component={Link} to="/customers" label="Customers" active={location.pathname.startsWith('/customers')} onClick={onNavigate} />
      ) : null}
      {can(me.role, 'customers') ? (
        <NavLink component={Link} to="/surveys" label="Surveys" active={location.pathname.startsWith('/surveys')} onClick={onNavigate} />
      ) : null}
      {can(me.role, 'settings') ? (
        <NavLink component={Link} to="/settings" label="Settings" active={location.pathname.startsWith('/settings')} onClick={onNavigate} />
      ) : null}
      <NavLink component={Link} to="/profile" label="Profile" active={location.pathname === '/profile'} onClick={onNavigate} />
    </nav>
  );
}

/** Invitations waiting for the signed-in person: joined here, as themselves, never by a link alone. */
function PendingInvitations({ me }: { me: Me }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (me.invitations.length === 0) return null;
  const act = async (workspaceId: string, join: boolean) => {
    setBusy(workspaceId);
    try {
      if (join) await must(api.POST('/api/v1/me/invitations/{workspaceId}/accept', { params: { path: { workspaceId } } }));
      else await must(api.DELETE('/api/v1/me/invitations/{workspaceId}', { params: { path: { workspaceId } } }));
      setError(null);
      if (join) {
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
        navigate('/');
      }
      await qc.invalidateQueries({ queryKey: keys.me });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Stack gap="xs" mb="md" data-testid="pending-invitations">
      {me.invitations.map((i) => (
        <Alert key={i.workspace.id} color="indigo" variant="light" title={`You are invited to ${i.workspace.name}`}>
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Text size="sm">
              Join as {i.role}
              {i.expiresAt ? ` (the invitation expires ${new Date(i.expiresAt).toLocaleDateString()})` : ''}.
            </Text>
            <Group gap="xs">
              <Button size="xs" loading={busy === i.workspace.id} onClick={() => void act(i.workspace.id, true)}>
                Join {i.workspace.name}
              </Button>
              <Button size="xs" variant="default" disabled={busy === i.workspace.id} onClick={() => void act(i.workspace.id, false)}>
                Decline
              </Button>
            </Group>
          </Group>
        </Alert>
      ))}
      {error ? (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      ) : null}
    </Stack>
  );
}

export function Shell({ me, children }: { me: Me; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const [helpOpen, help] = useDisclosure(false);
  const qc = useQueryClient();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '?' && !isTyping(e) && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        help.toggle();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [help]);

  const signOut = async () => {
    await must(api.POST('/api/v1/auth/logout'));
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
    qc.setQueryData(keys.me, null);
    window.history.replaceState(null, '', '/');
  };

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text component={Link} to="/" fw={800} size="lg" c="indigo.7" style={{ textDecoration: 'none' }}>
              Rapport
            </Text>
            <WorkspaceSwitcher me={me} />
          </Group>
          <Group gap="sm" wrap="nowrap">
            <LiveBadge />
            <UnstyledButton onClick={help.open} aria-label="Keyboard shortcuts">
              <Kbd>?</Kbd>
            </UnstyledButton>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton data-testid="account-menu">
                  <Group gap={6} wrap="nowrap">
                    <Badge size="xs" color={me.availability === 'online' ? 'green' : me.availability === 'away' ? 'yellow' : 'gray'} circle aria-hidden>
                      {' '}
                    </Badge>
                    <Text size="sm">{me.user.name}</Text>
                    <Badge size="xs" variant="light">
                      {me.role}
                    </Badge>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component={Link} to="/profile">
                  Profile and availability
                </Menu.Item>
                <Menu.Item onClick={() => void signOut()}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs">
        <ScrollArea>
          <Navigation me={me} onNavigate={close} />
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <PendingInvitations me={me} />
        {children}
      </AppShell.Main>
      <Modal opened={helpOpen} onClose={help.close} title="Keyboard shortcuts">
        <Table>
          <Table.Tbody>
            {SHORTCUTS.map(([k, d]) => (
              <Table.Tr key={k}>
                <Table.Td>
                  <Kbd>{k}</Kbd>
                </Table.Td>
                <Table.Td>{d}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Modal>
    </AppShell>
  );
}
