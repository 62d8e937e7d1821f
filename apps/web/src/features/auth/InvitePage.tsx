// Accepting an invitation: the link an admin copied from Settings → Members.
import { useState, type FormEvent } from 'react';
import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useParams } from 'react-router-dom';
import { post } from '../../api/client';
import { keys } from '../../api/queries';
import { ErrorNotice } from '../../components/feedback';
import { AuthFrame } from './AuthFrame';

export function InvitePage() {
  const { token = '' } = useParams();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await post('/api/v1/invites/accept', { token, password, ...(name ? { name } : {}) });
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' && q.queryKey[0] !== 'setup' });
      await qc.invalidateQueries({ queryKey: keys.me });
      navigate('/');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title="Join your team" subtitle="Choose a password to accept the invitation.">
      <form onSubmit={submit} aria-label="Accept invitation">
        <Stack>
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
            Accept invitation
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
