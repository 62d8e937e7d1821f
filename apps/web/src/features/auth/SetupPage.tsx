// First run: create the first workspace and its owner.
import { useState, type FormEvent } from 'react';
import { Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { api, must } from '../../api/client';
import { keys } from '../../api/queries';
import { ErrorNotice } from '../../components/feedback';
import { AuthFrame } from './AuthFrame';

export function SetupPage() {
  const qc = useQueryClient();
  const [form, setForm] = useState({ workspaceName: '', name: '', email: '', password: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { currentTarget: HTMLInputElement }) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await must(api.POST('/api/v1/setup', { body: form }));
      qc.setQueryData(keys.setup, { needsSetup: false });
      await qc.invalidateQueries({ queryKey: keys.me });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <AuthFrame title="Set up Rapport" subtitle="Create your workspace and the owner account. You can invite your team next.">
      <form onSubmit={submit} aria-label="Set up Rapport">
        <Stack>
          <TextInput label="Workspace name" required value={form.workspaceName} onChange={set('workspaceName')} autoComplete="organization" />
          <TextInput label="Your name" required value={form.name} onChange={set('name')} autoComplete="name" />
          <TextInput label="Email" type="email" required value={form.email} onChange={set('email')} autoComplete="email" />
          <PasswordInput
            label="Password"
            description="At least 8 characters"
            required
            minLength={8}
            value={form.password}
            onChange={set('password')}
            autoComplete="new-password"
          />
          {error ? <ErrorNotice error={error} title="Setup failed" /> : null}
          <Button type="submit" loading={busy}>
            Create workspace
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}
