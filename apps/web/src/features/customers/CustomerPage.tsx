// Customer 360: details, conversations, and the timeline grouped by journey stage.
import { Anchor, Badge, Button, Grid, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router-dom';
import { useConversations, useCustomer, useStages, useTimeline } from '../../api/queries';
import type { Conversation, Me, TimelineItem } from '../../api/types';
import { label } from '../../api/types';
import { ErrorNotice, PageLoader, QueryError, SkeletonLines } from '../../components/feedback';
import { dateTime, statusColor } from '../../components/format';
import { FeelingBadge } from '../../components/feeling';

/** Groups the timeline by stage, in the workspace's stage order (unknown stages after, none last). */
function groupByStage(items: TimelineItem[], order: string[]): [string, TimelineItem[]][] {
  const groups = new Map<string, TimelineItem[]>();
  for (const i of items) {
    const stage = i.stage ?? 'unstaged';
    groups.set(stage, [...(groups.get(stage) ?? []), i]);
  }
  const rank = (s: string) => (order.includes(s) ? order.indexOf(s) : s === 'unstaged' ? 999 : 500);
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b));
}

function ConversationLink({ c }: { c: Conversation }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Anchor component={Link} to={`/conversations/${c.id}`} size="sm">
        #{c.number} {c.subject ?? '(no subject)'}
      </Anchor>
      <Badge size="xs" variant="filled" color={statusColor[c.status]}>
        {c.status}
      </Badge>
    </Group>
  );
}

function Timeline({ customerId, conversations }: { customerId: string; conversations: Map<string, Conversation> }) {
  const timeline = useTimeline(customerId);
  const stages = useStages();
  const stageName = new Map((stages.data?.data ?? []).map((s) => [s.key, s.name]));
  if (timeline.isPending) return <SkeletonLines label="Loading timeline" />;
  if (timeline.isError) return <ErrorNotice error={timeline.error} onRetry={() => void timeline.refetch()} />;
  if (timeline.data.pages[0] === null) {
    return (
      <Text size="sm" c="dimmed">
        The journey timeline is not available on this server yet; conversations are listed beside.
      </Text>
    );
  }
  const items = timeline.data.pages.flatMap((p) => p?.data ?? []);
  if (items.length === 0) return <Text c="dimmed">No interactions yet.</Text>;
  return (
    <Stack gap="md" data-testid="timeline">
      {timeline.hasNextPage ? (
        <Text size="xs" c="dimmed">
          Showing the latest {items.length} interactions.
        </Text>
      ) : null}
      {groupByStage(
        items,
        (stages.data?.data ?? []).map((s) => s.key),
      ).map(([stage, group]) => (
        <Paper
          key={stage}
          withBorder
          p="sm"
          component="section"
          aria-label={`Stage ${stageName.get(stage) ?? label(stage)}`}
          data-testid="timeline-stage"
          data-stage={stage}
        >
          <Title order={3} size="h5" mb="xs">
            {stage === 'unstaged' ? 'No stage' : (stageName.get(stage) ?? label(stage))}{' '}
            <Text span size="sm" c="dimmed">
              ({group.length})
            </Text>
          </Title>
          <Stack gap={6}>
            {group.map((i) => {
              const conv = i.conversationId ? conversations.get(i.conversationId) : undefined;
              return (
                <Group key={i.id} justify="space-between" wrap="nowrap" align="flex-start" data-testid="timeline-item">
                  <Stack gap={0}>
                    <Text size="sm" fw={500}>
                      {i.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {[i.kind, i.channel, i.touchpoint?.name, i.department].filter(Boolean).join(' · ')}
                    </Text>
                    {conv ? <ConversationLink c={conv} /> : null}
                  </Stack>
                  <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
                    {dateTime(i.occurredAt)}
                  </Text>
                </Group>
              );
            })}
          </Stack>
        </Paper>
      ))}
      {timeline.hasNextPage ? (
        <Button variant="default" w="fit-content" onClick={() => void timeline.fetchNextPage()} loading={timeline.isFetchingNextPage}>
          Load older interactions
        </Button>
      ) : null}
    </Stack>
  );
}

export default function CustomerPage(_props: { me: Me }) {
  const { id = '' } = useParams();
  const customer = useCustomer(id);
  const convs = useConversations({ customerId: id, status: 'open,pending,snoozed,resolved,closed' });
  if (customer.isPending) return <PageLoader />;
  if (customer.isError) return <QueryError error={customer.error} what="customer" onRetry={() => void customer.refetch()} />;
  const c = customer.data;
  const conversations = convs.data?.pages.flatMap((p) => p.data) ?? [];
  const byId = new Map(conversations.map((x) => [x.id, x]));
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <Stack>
          <Paper withBorder p="md" component="section" aria-label="Customer details">
            <Title order={1} size="h3" data-testid="customer-name">
              {c.name ?? c.email ?? 'Customer'}
            </Title>
            <Text size="sm">{c.email ?? 'No email'}</Text>
            {c.phone ? <Text size="sm">{c.phone}</Text> : null}
            {c.feeling ? (
              <Group gap="xs" mt="xs">
                <FeelingBadge feeling={c.feeling} />
                <Text size="xs" c="dimmed">
                  as of {dateTime(c.feeling.updatedAt)}
                </Text>
              </Group>
            ) : null}
            <Text size="xs" c="dimmed" mt="xs">
              Since {dateTime(c.createdAt)}
            </Text>
            {Object.keys(c.traits).length > 0 ? (
              <Stack gap={2} mt="sm">
                {Object.entries(c.traits).map(([k, v]) => (
                  <Text key={k} size="xs">
                    <strong>{k}</strong>: {typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)}
                  </Text>
                ))}
              </Stack>
            ) : null}
          </Paper>
          <Paper withBorder p="md" component="section" aria-label="Conversations">
            <Title order={2} size="h5" mb="xs">
              Conversations
            </Title>
            {convs.isPending ? <SkeletonLines count={3} height={18} label="Loading conversations" /> : null}
            {convs.isError ? <ErrorNotice error={convs.error} /> : null}
            {convs.isSuccess && conversations.length === 0 ? (
              <Text size="sm" c="dimmed">
                None yet.
              </Text>
            ) : null}
            <Stack gap={4} data-testid="customer-conversations">
              {conversations.map((x) => (
                <ConversationLink key={x.id} c={x} />
              ))}
            </Stack>
          </Paper>
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 8 }}>
        <Stack>
          <Title order={2} size="h4">
            Journey
          </Title>
          <Timeline customerId={id} conversations={byId} />
        </Stack>
      </Grid.Col>
    </Grid>
  );
}
