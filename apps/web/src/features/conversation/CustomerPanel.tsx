// The customer beside the conversation: details, their other conversations, recent timeline.
import { Anchor, Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useConversations, useTimeline } from '../../api/queries';
import type { Conversation, Me } from '../../api/types';
import { can } from '../../api/permissions';
import { ErrorNotice, SkeletonLines } from '../../components/feedback';
import { age, statusColor } from '../../components/format';
import { FeelingBadge } from '../../components/feeling';

function RecentTimeline({ customerId }: { customerId: string }) {
  const timeline = useTimeline(customerId, 8);
  if (timeline.isPending) return <SkeletonLines count={3} height={18} label="Loading timeline" />;
  if (timeline.isError) return <ErrorNotice error={timeline.error} />;
  if (timeline.data === null)
    return (
      <Text size="xs" c="dimmed">
        The timeline is not available on this server yet.
      </Text>
    );
  const items = timeline.data.pages[0]?.data ?? [];
  if (items.length === 0)
    return (
      <Text size="xs" c="dimmed">
        Nothing on the timeline yet.
      </Text>
    );
  return (
    <Stack gap={4} data-testid="recent-timeline">
      {items.map((i) => (
        <Group key={i.id} gap="xs" justify="space-between" wrap="nowrap">
          <Text size="xs" truncate>
            {i.name}
            {i.stage ? ` · ${i.stage}` : ''}
          </Text>
          <Text size="xs" c="dimmed">
            {age(i.occurredAt)}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

export function CustomerPanel({ conversation: c, me }: { conversation: Conversation; me: Me }) {
  const others = useConversations({ customerId: c.customer.id, status: 'open,pending,snoozed,resolved,closed' });
  const rows = (others.data?.pages.flatMap((p) => p.data) ?? []).filter((o) => o.id !== c.id).slice(0, 10);
  const seesCustomers = can(me.role, 'customers');
  return (
    <Paper withBorder p="sm" component="section" aria-label="Customer">
      <Stack gap="xs">
        <Title order={2} size="h5">
          {seesCustomers ? (
            <Anchor component={Link} to={`/customers/${c.customer.id}`}>
              {c.customer.name ?? c.customer.email ?? 'Customer'}
            </Anchor>
          ) : (
            (c.customer.name ?? 'Customer')
          )}
        </Title>
        {c.customer.email ? <Text size="sm">{c.customer.email}</Text> : null}
        <FeelingBadge feeling={c.customer.feeling} />
        {c.customer.phone ? <Text size="sm">{c.customer.phone}</Text> : null}
        <Text size="xs" c="dimmed">
          Customer since {new Date(c.customer.createdAt).toLocaleDateString()}
        </Text>
        <Title order={3} size="h6" mt="xs">
          Other conversations
        </Title>
        {others.isPending ? <SkeletonLines count={2} height={18} label="Loading other conversations" /> : null}
        {others.isError ? <ErrorNotice error={others.error} /> : null}
        {others.isSuccess && rows.length === 0 ? (
          <Text size="xs" c="dimmed">
            None.
          </Text>
        ) : null}
        {rows.map((o) => (
          <Group key={o.id} gap="xs" wrap="nowrap" justify="space-between">
            <Anchor component={Link} to={`/conversations/${o.id}`} size="sm" truncate>
              #{o.number} {o.subject ?? '(no subject)'}
            </Anchor>
            <Badge size="xs" variant="filled" color={statusColor[o.status]}>
              {o.status}
            </Badge>
          </Group>
        ))}
        {seesCustomers ? (
          <>
            <Title order={3} size="h6" mt="xs">
              Recent timeline
            </Title>
            <RecentTimeline customerId={c.customer.id} />
          </>
        ) : null}
      </Stack>
    </Paper>
  );
}
