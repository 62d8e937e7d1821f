// Shared parts of the settings sections: the section frame, loading states and row actions.
import { type ReactNode } from 'react';
import { Button, Paper, Stack, Table, Title } from '@mantine/core';
import type { UseMutationResult } from '@tanstack/react-query';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';

/** The last cell of a settings row: a small red action (delete, revoke) with an accessible name. */
export function DangerCell({ label, onClick, children }: { label: string; onClick: () => void; children: ReactNode }) {
  return (
    <Table.Td>
      <Button size="xs" variant="subtle" color="red" onClick={onClick} aria-label={label}>
        {children}
      </Button>
    </Table.Td>
  );
}

export function Section({ title, children, form }: { title: string; children: ReactNode; form?: ReactNode }) {
  return (
    <Stack>
      <Title order={2} size="h4">
        {title}
      </Title>
      {form ? (
        <Paper withBorder p="sm">
          {form}
        </Paper>
      ) : null}
      {children}
    </Stack>
  );
}

/** A list query's loading and error states, then the content. */
export function Loaded<T>({
  q,
  children,
}: {
  q: { isPending: boolean; isError: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  if (q.isPending) return <SkeletonLines count={4} />;
  if (q.isError || q.data === undefined) return <ErrorNotice error={q.error} onRetry={() => void q.refetch()} />;
  return <>{children(q.data)}</>;
}

export function MutationError({ m }: { m: Pick<UseMutationResult<unknown, Error, never>, 'isError' | 'error'> }) {
  return m.isError ? <ErrorNotice error={m.error} title="Not saved" /> : null;
}
