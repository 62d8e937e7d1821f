// Accepting an invitation from the link mailed to the invited address (`/invite#<token>`: the
// token stays in the fragment, so it never reaches a server log). A new address chooses its
// password here; a person who already has an account signs in as themselves and joins.
import { useState, type FormEvent } from 'react';
import { Alert, Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import { api, must } from '../../api/client';
import { keys } from '../../api/queries';
import type { Me } from '../../api/types';
import { ErrorNotice, PageLoader } from '../../components/feedback';
import { AuthFrame } from './AuthFrame';

function useInviteToken(): string {
  const { token } = useParams();
  return token ?? decodeURIComponent(window.location.hash.replace(/^#/, ''));
}

export function InvitePage({ me }: { me: Me | null }) {
  const token = useInviteToken();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: ['invite', token],
    queryFn: () => must(api.POST('/api/v1/invites/preview', { body: { token } })),
    enabled: token.length >= 10,
    retry: false,
  });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  /** After joining: forget the old workspace's data and land in the new one. */
  const enter = async () => {
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
    window.history.replaceState(null, '', '/');
    await qc.invalidateQueries({ queryKey: keys.me });
    navigate('/');
  };
  const run = async (e: FormEvent | null, work: () => Promise<unknown>) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
      await enter();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (token.length < 10 || preview.isError) {
    return (
      <AuthFrame title="This invitation link is no longer valid" subtitle="It may have been used already or have expired.">
        <Text size="sm">Ask the person who invited you to send a new invitation from Settings → Members.</Text>
      </AuthFrame>
    );
  }
  if (preview.isPending) return <PageLoader />;
  const invite = preview.data;
  const title = `Join ${invite.workspace.name}`;
  const subtitle = `You are invited as ${invite.role}, at ${invite.email}.`;

  if (!invite.hasAccount) {
    return (
      <AuthFrame title={title} subtitle={`${subtitle} Choose a password to create your account.`}>
        <form
          onSubmit={(e) => void run(e, () => must(api.POST('/api/v1/invites/accept', { body: { token, password, ...(name ? { name } : {}) } })))}
          aria-label="Accept invitation"
        >
          <Stack>
            <TextInput label="Email" value={invite.email} readOnly />
            <TextInput label="Your name" value={name} onChange={(e) => setName(e.currentTarget.value)} autoComplete="name" />
            <PasswordInput
              label="Password"
              description="At least 8 characters"
              required
              minLength={8}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="new-password"
            />
            {error ? <ErrorNotice error={error} title="The invitation could not be accepted" /> : null}
            <Button type="submit" loading={busy}>
              Create account and join
            </Button>
          </Stack>
        </form>
      </AuthFrame>
    );
  }

  const join = () => must(api.POST('/api/v1/me/invitations/{workspaceId}/accept', { params: { path: { workspaceId: invite.workspace.id } } }));
  if (me && me.user.email === invite.email) {
    return (
      <AuthFrame title={title} subtitle={subtitle}>
        <Stack>
          {error ? <ErrorNotice error={error} title="The invitation could not be accepted" /> : null}
          <Button onClick={() => void run(null, join)} loading={busy}>
            Join {invite.workspace.name}
          </Button>
        </Stack>
      </AuthFrame>
    );
  }
  if (me) {
    return (
      <AuthFrame title={title} subtitle={subtitle}>
        <Stack>
          <Alert color="yellow" title="This invitation is for another account">
            You are signed in as {me.user.email}. Sign out, then open the link again and sign in as {invite.email}.
          </Alert>
          <Group>
            <Button
              variant="default"
              onClick={() =>
                void must(api.POST('/api/v1/auth/logout')).then(async () => {
                  qc.setQueryData(keys.me, null);
                  await qc.invalidateQueries({ queryKey: keys.me });
                })
              }
            >
              Sign out
            </Button>
          </Group>
        </Stack>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title={title} subtitle={`${subtitle} You already have an account: sign in to join.`}>
      <form
        onSubmit={(e) =>
          void run(e, async () => {
            await must(api.POST('/api/v1/auth/login', { body: { email: invite.email, password } }));
            await join();
          })
        }
        aria-label="Sign in to accept"
      >
        <Stack>
          <TextInput label="Email" value={invite.email} readOnly autoComplete="username" />
          <PasswordInput label="Password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} autoComplete="current-password" />
          {error ? <ErrorNotice error={error} title="Could not sign in and join" /> : null}
          <Button type="submit" loading={busy}>
            Sign in and join
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
