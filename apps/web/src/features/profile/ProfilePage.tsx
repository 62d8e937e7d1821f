import { lazy, Suspense, useState } from 'react';
import { Button, Group, Paper, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, must, type BodyOf } from '../../api/client';
import { keys } from '../../api/queries';
import type { Me } from '../../api/types';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';

// Every role may hold API tokens of its own; the section lives with the settings code (loaded on demand).
const TokensSection = lazy(() => import('../settings/tokens').then((m) => ({ default: m.TokensSection })));

export function ProfilePage({ me }: { me: Me }) {
  const qc = useQueryClient();
  const [name, setName] = useState(me.user.name);
  const save = useMutation({
    mutationFn: (body: BodyOf<'/api/v1/me', 'patch'>) => must(api.PATCH('/api/v1/me', { body })),
    onSuccess: (next) => qc.setQueryData(keys.me, next),
  });
  return (
    <Stack maw={760}>
      <Title order={1} size="h3">
        Profile
      </Title>
      <Paper withBorder p="md">
        <Stack>
          <Text size="sm">
            {me.user.email} · <strong>{me.role}</strong> in {me.workspace.name}
          </Text>
          <div>
            <Text size="sm" fw={500} mb={4} id="availability-label">
              Availability
            </Text>
            <SegmentedControl
              aria-labelledby="availability-label"
              value={me.availability}
              onChange={(v) => save.mutate({ availability: v === 'away' ? 'away' : v === 'offline' ? 'offline' : 'online' })}
              data={[
                { value: 'online', label: 'Online' },
                { value: 'away', label: 'Away' },
                { value: 'offline', label: 'Offline' },
              ]}
            />
            <Text size="xs" c="dimmed" mt={4}>
              Only online agents receive automatically assigned conversations.
            </Text>
          </div>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate({ name });
            }}
          >
            <Group align="flex-end">
              <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
              <Button type="submit" variant="default" loading={save.isPending}>
                Save
              </Button>
            </Group>
          </form>
          {save.isError ? <ErrorNotice error={save.error} title="Not saved" /> : null}
        </Stack>
      </Paper>
      <Paper withBorder p="md">
        <Suspense fallback={<SkeletonLines count={3} />}>
          <TokensSection />
        </Suspense>
      </Paper>
    </Stack>
  );
}
