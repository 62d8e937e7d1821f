// One conversation: the thread (replies and internal notes look different), the composer with
// canned responses on "/", the controls, who else is here, and the customer at the side.
import { memo, useEffect, useRef } from 'react';
import { Anchor, Badge, Button, Grid, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { useConversation, useMessages, useUpdateConversation } from '../../api/queries';
import type { Channel, Me, Message } from '../../api/types';
import { ChannelTag, DeliveryState } from '../../components/channel';
import { SentimentBadge } from '../../components/feeling';
import { SlaPanel } from '../../components/sla';
import { isTyping } from '../../components/keyboard';
import { can } from '../../api/permissions';
import { ErrorNotice, PageLoader, QueryError, SkeletonLines } from '../../components/feedback';
import { dateTime, statusColor } from '../../components/format';
import { useLive } from '../../live/LiveProvider';
import { useViewers } from '../../live/presence';
import { Composer, type ComposerHandle } from './Composer';
import { ConversationControls } from './ConversationControls';
import { CustomerPanel } from './CustomerPanel';
import { MessageBody } from './MessageBody';
import { SnoozeMenu } from './SnoozeMenu';

/** One message; `channel` is the conversation's, for messages written before channels were recorded. */
const MessageItem = memo(function MessageItem({ m, channel }: { m: Message; channel: Channel }) {
  const isNote = m.kind === 'note';
  const who = m.author.type === 'customer' ? 'Customer' : m.author.type === 'system' ? 'System' : (m.author.name ?? 'Agent');
  const cls = isNote ? (m.author.type === 'system' ? 'msg-system' : 'msg-note') : m.author.type === 'customer' ? 'msg-customer' : 'msg-reply';
  return (
    <Paper
      p="sm"
      className={cls}
      data-testid="message"
      data-kind={m.kind}
      component="article"
      aria-label={`${isNote ? 'Internal note' : 'Message'} from ${who}`}
      ml={m.author.type === 'customer' ? 0 : 'xl'}
      mr={m.author.type === 'customer' ? 'xl' : 0}
    >
      <Group justify="space-between" gap="xs" mb={4}>
        <Group gap="xs">
          <Text size="sm" fw={600}>
            {who}
          </Text>
          {isNote ? (
            <Badge size="xs" color="#8a5a00" variant="filled">
              Internal note
            </Badge>
          ) : (
            <ChannelTag channel={m.channel ?? channel} />
          )}
          <SentimentBadge sentiment={m.sentiment} />
        </Group>
        <Text size="xs" c="dimmed">
          {dateTime(m.createdAt)}
        </Text>
      </Group>
      <MessageBody m={m} />
      {m.delivery ? (
        <Group justify="flex-end" mt={4}>
          <DeliveryState delivery={m.delivery} />
        </Group>
      ) : null}
    </Paper>
  );
});

/** Subscribed to the messages alone, so a new message re-renders the thread and not the page. */
function Thread({ conversationId, channel }: { conversationId: string; channel: Channel }) {
  const messages = useMessages(conversationId);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages.data?.length]);
  return (
    <Stack gap="sm" component="section" aria-label="Thread" data-testid="thread">
      {messages.isPending ? <SkeletonLines count={4} height={64} label="Loading messages" /> : null}
      {messages.isError ? <ErrorNotice error={messages.error} onRetry={() => void messages.refetch()} /> : null}
      {messages.data?.length === 0 ? <Text c="dimmed">No messages yet.</Text> : null}
      {messages.data?.map((m) => (
        <MessageItem key={m.id} m={m} channel={channel} />
      ))}
      <div ref={end} />
    </Stack>
  );
}

function Presence({ conversationId, me }: { conversationId: string; me: Me }) {
  const viewers = useViewers(conversationId, me.user.id);
  const now = Date.now();
  const typing = viewers.filter((v) => v.typingUntil > now);
  if (viewers.length === 0) return null;
  return (
    <Text size="sm" c="indigo.8" role="status" aria-live="polite" data-testid="presence">
      {typing.length > 0
        ? `${typing.map((v) => v.userName).join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`
        : `${viewers.map((v) => v.userName).join(', ')} ${viewers.length === 1 ? 'is' : 'are'} also viewing`}
    </Text>
  );
}

export function ConversationPage({ me }: { me: Me }) {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const conversation = useConversation(id);
  const update = useUpdateConversation(id);
  const live = useLive();
  const composer = useRef<ComposerHandle>(null);
  const canWrite = can(me.role, 'write');
  const found = conversation.isSuccess;

  // Tell the others we are here (and refresh it, so they drop us if we vanish).
  useEffect(() => {
    if (!found) return;
    live.send({ type: 'viewing', conversationId: id });
    const timer = setInterval(() => live.send({ type: 'viewing', conversationId: id }), 25_000);
    return () => {
      clearInterval(timer);
      live.send({ type: 'left', conversationId: id });
    };
    // live.send is stable per stream; status changes re-announce after a reconnect.
  }, [id, found, live]);

  const compose = params.get('compose');
  useEffect(() => {
    if (!found || (compose !== 'reply' && compose !== 'note')) return;
    composer.current?.focus(compose);
    const next = new URLSearchParams(params);
    next.delete('compose');
    setParams(next, { replace: true });
  }, [compose, found, params, setParams]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e) || e.ctrlKey || e.metaKey || e.altKey || !canWrite) return;
      if (e.key === 'r' || e.key === 'n') {
        e.preventDefault();
        composer.current?.focus(e.key === 'r' ? 'reply' : 'note');
      } else if (e.key === 'e') {
        e.preventDefault();
        update.mutate({ status: 'resolved' });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [canWrite, update]);

  if (conversation.isPending) return <PageLoader />;
  if (conversation.isError) return <QueryError error={conversation.error} what="conversation" onRetry={() => void conversation.refetch()} />;
  const c = conversation.data;

  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, lg: 8 }}>
        <Stack gap="sm">
          <Group justify="space-between" align="flex-start" wrap="nowrap">
            <Stack gap={2}>
              <Title order={1} size="h3" data-testid="conversation-title">
                #{c.number} {c.subject ?? '(no subject)'}
              </Title>
              <Group gap="xs">
                <Badge color={statusColor[c.status]} variant="filled" data-testid="conversation-status">
                  {c.status}
                </Badge>
                <ChannelTag channel={c.channel} />
                <Text size="sm" c="dimmed">
                  {c.customer.name ?? c.customer.email ?? 'Unknown customer'}
                </Text>
                {c.mergedIntoId ? (
                  <Anchor component={Link} to={`/conversations/${c.mergedIntoId}`} size="sm">
                    Merged; open the surviving conversation
                  </Anchor>
                ) : null}
              </Group>
              <SlaPanel sla={c.sla} />
            </Stack>
            {canWrite ? (
              <Group gap="xs" wrap="nowrap">
                {c.status === 'snoozed' && c.snoozedUntil ? (
                  <Text size="xs" c="dimmed" data-testid="snoozed-until">
                    Snoozed until {dateTime(c.snoozedUntil)}
                  </Text>
                ) : null}
                {c.status !== 'resolved' && c.status !== 'closed' ? <SnoozeMenu busy={update.isPending} onSnooze={(snooze) => update.mutate({ snooze })} /> : null}
                {c.status !== 'resolved' ? (
                  <Button size="xs" onClick={() => update.mutate({ status: 'resolved' })} loading={update.isPending}>
                    Resolve
                  </Button>
                ) : (
                  <Button size="xs" variant="default" onClick={() => update.mutate({ status: 'open' })} loading={update.isPending}>
                    Reopen
                  </Button>
                )}
              </Group>
            ) : null}
          </Group>
          {update.isError ? <ErrorNotice error={update.error} /> : null}
          <Presence conversationId={id} me={me} />
          <Thread conversationId={id} channel={c.channel} />
          {canWrite && !c.mergedIntoId ? (
            <Composer ref={composer} conversationId={id} selfId={me.user.id} onTyping={() => live.send({ type: 'typing', conversationId: id })} />
          ) : null}
          {!canWrite ? (
            <Text size="sm" c="dimmed">
              Your role can read conversations but not answer them.
            </Text>
          ) : null}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 4 }}>
        <Stack gap="md">
          <ConversationControls conversation={c} me={me} />
          <CustomerPanel conversation={c} me={me} />
        </Stack>
      </Grid.Col>
    </Grid>
  );
}
