// Loading, error and empty states: a screen is never blank.
import { Alert, Button, Center, Skeleton, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { ApiError, describeError } from '../api/client';

export function ErrorNotice({ error, onRetry, title = 'That did not work' }: { error: unknown; onRetry?: () => void; title?: string }) {
  return (
    <Alert color="red" title={title} role="alert">
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{describeError(error)}</Text>
        {onRetry ? (
          <Button size="xs" variant="light" color="red" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Stack>
    </Alert>
  );
}

export function SkeletonLines({ count = 6, height = 28, label = 'Loading' }: { count?: number; height?: number; label?: string }) {
  return (
    <Stack gap="xs" aria-busy="true" aria-label={label} role="status">
      {Array.from({ length: count }, (_, i) => (
        <Skeleton key={i} height={height} />
      ))}
    </Stack>
  );
}

export function NotFound({ what = 'page' }: { what?: string }) {
  return (
    <Center p="xl">
      <Stack align="center" gap="sm" data-testid="not-found">
        <Title order={2}>Not found</Title>
        <Text c="dimmed">This {what} does not exist, or you do not have access to it.</Text>
        <Button component={Link} to="/">
          Back to the inbox
        </Button>
      </Stack>
    </Center>
  );
}

/** Not found when the API says 404, the server's words otherwise. */
export function QueryError({ error, what, onRetry }: { error: unknown; what: string; onRetry?: () => void }) {
  if (error instanceof ApiError && error.isNotFound) return <NotFound what={what} />;
  return <ErrorNotice error={error} {...(onRetry ? { onRetry } : {})} />;
}

export function PageLoader() {
  return (
    <Stack p="md">
      <Skeleton height={32} width="40%" />
      <SkeletonLines />
    </Stack>
  );
}
