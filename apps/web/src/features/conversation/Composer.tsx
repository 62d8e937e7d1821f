// Reply or internal note; typing "/" opens the canned responses, filled in for this conversation.
import { useImperativeHandle, useMemo, useRef, useState, type Ref } from 'react';
import { Alert, Button, Group, Paper, SegmentedControl, Stack, Text, Textarea, UnstyledButton } from '@mantine/core';
import { ApiError } from '../../api/client';
import { useCanned, useMessages, useRenderCanned, useSendMessage } from '../../api/queries';
import type { Message } from '../../api/types';
import { ErrorNotice } from '../../components/feedback';

export type ComposerHandle = { focus(kind: 'reply' | 'note'): void };

const SLASH = /(^|\s)\/([\w-]*)$/;

/** The replies a 409 names (a collision problem), or null for any other error. */
function newerOf(err: unknown): Message[] | null {
  if (!(err instanceof ApiError) || err.status !== 409 || !err.problem || !('newerMessages' in err.problem)) return null;
  const newer: unknown = err.problem.newerMessages;
  return Array.isArray(newer) ? newer.filter((m): m is Message => typeof m === 'object' && m !== null && 'id' in m && 'body' in m) : null;
}

const isReplyBySomeoneElse = (m: Message, selfId: string) => m.kind === 'reply' && m.author.type !== 'system' && !(m.author.type === 'agent' && m.author.id === selfId);

export function Composer({
  conversationId,
  selfId,
  onTyping,
  ref,
}: {
  conversationId: string;
  selfId: string;
  onTyping: () => void;
  ref?: Ref<ComposerHandle>;
}) {
  const [kind, setKind] = useState<'reply' | 'note'>('reply');
  const [body, setBody] = useState('');
  const [caret, setCaret] = useState(0);
  const [highlight, setHighlight] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const send = useSendMessage(conversationId);
  const canned = useCanned();
  const render = useRenderCanned();
  const thread = useMessages(conversationId);
  // The last message on screen when the author started writing: the reply is sent "after" it, and
  // the server refuses it (409) if someone replied since. `collision` holds what the server named.
  const [seenId, setSeenId] = useState<string | null>(null);
  const [collision, setCollision] = useState<Message[] | null>(null);
  const latestId = thread.data?.at(-1)?.id ?? null;
  const arrived = useMemo(
    () => (seenId ? (thread.data ?? []).filter((m) => m.id > seenId && isReplyBySomeoneElse(m, selfId)) : []),
    [thread.data, seenId, selfId],
  );
  const newer = collision ?? arrived;

  useImperativeHandle(ref, () => ({
    focus(k) {
      setKind(k);
      textarea.current?.focus();
    },
  }));

  const slash = SLASH.exec(body.slice(0, caret));
  const matches = useMemo(() => {
    if (!slash || dismissed) return [];
    const term = (slash[2] ?? '').toLowerCase();
    return (canned.data ?? []).filter((c) => c.shortcut.includes(term) || c.title.toLowerCase().includes(term)).slice(0, 8);
  }, [slash, dismissed, canned.data]);
  const menuOpen = matches.length > 0;

  const insert = async (id: string) => {
    const m = SLASH.exec(body.slice(0, caret));
    if (!m) return;
    const start = caret - (m[2] ?? '').length - 1;
    try {
      const { body: text } = await render.mutateAsync({ id, conversationId });
      const next = body.slice(0, start) + text + body.slice(caret);
      setBody(next);
      const pos = start + text.length;
      setCaret(pos);
      requestAnimationFrame(() => {
        textarea.current?.focus();
        textarea.current?.setSelectionRange(pos, pos);
      });
    } catch {
      // The error is shown below from render.error.
    }
  };

  const submit = async (force = false) => {
    if (!body.trim()) return;
    const afterMessageId = seenId ?? latestId;
    try {
      await send.mutateAsync({ body, kind, ...(afterMessageId ? { afterMessageId } : {}), ...(force ? { force: true } : {}) });
    } catch (err) {
      const named = newerOf(err);
      if (named) {
        setCollision(named);
        send.reset();
        return;
      }
      throw err;
    }
    setBody('');
    setCaret(0);
    setSeenId(null);
    setCollision(null);
  };

  /** "Review": the new replies become what the author has seen; the draft stays for another look. */
  const review = () => {
    setSeenId(latestId);
    setCollision(null);
    const items = document.querySelectorAll('[data-testid="message"]');
    items[items.length - 1]?.scrollIntoView({ block: 'center' });
    textarea.current?.focus();
  };

  return (
    <Paper withBorder p="sm" component="section" aria-label="Composer" className={kind === 'note' ? 'msg-note' : undefined}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit().catch(() => undefined);
        }}
      >
        <Stack gap="xs">
          <SegmentedControl
            size="xs"
            value={kind}
            onChange={(v) => setKind(v === 'note' ? 'note' : 'reply')}
            data={[
              { value: 'reply', label: 'Reply to customer' },
              { value: 'note', label: 'Internal note' },
            ]}
            aria-label="Message kind"
            w="fit-content"
          />
          <div style={{ position: 'relative' }}>
            <Textarea
              ref={textarea}
              aria-label={kind === 'note' ? 'Internal note (only your team sees it)' : 'Reply to the customer'}
              placeholder={kind === 'note' ? 'Only your team sees notes…' : 'Write a reply… (type / for canned responses, Ctrl+Enter to send)'}
              autosize
              minRows={3}
              maxRows={12}
              value={body}
              aria-controls={menuOpen ? 'canned-list' : undefined}
              onChange={(e) => {
                const value = e.currentTarget.value;
                if (!body.trim() && value.trim()) setSeenId(latestId);
                else if (!value.trim()) {
                  setSeenId(null);
                  setCollision(null);
                }
                setBody(value);
                setCaret(e.currentTarget.selectionStart);
                setDismissed(false);
                setHighlight(0);
                const now = Date.now();
                if (now - lastTyping.current > 2000) {
                  lastTyping.current = now;
                  onTyping();
                }
              }}
              onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
              onKeyDown={(e) => {
                if (menuOpen) {
                  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                    e.preventDefault();
                    setHighlight((h) => (h + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
                    return;
                  }
                  if (e.key === 'Enter' || e.key === 'Tab') {
                    e.preventDefault();
                    const chosen = matches[highlight];
                    if (chosen) void insert(chosen.id);
                    return;
                  }
                  if (e.key === 'Escape') {
                    e.preventDefault();
                    setDismissed(true);
                    return;
                  }
                }
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  void submit().catch(() => undefined);
                }
              }}
            />
            {menuOpen ? (
              <Paper
                withBorder
                shadow="md"
                p={4}
                id="canned-list"
                role="listbox"
                aria-label="Canned responses"
                style={{ position: 'absolute', bottom: '100%', left: 0, zIndex: 10, minWidth: 280 }}
              >
                {matches.map((c, i) => (
                  <UnstyledButton
                    key={c.id}
                    role="option"
                    aria-selected={i === highlight}
                    display="block"
                    w="100%"
                    p={6}
                    bg={i === highlight ? 'indigo.0' : undefined}
                    style={{ borderRadius: 4 }}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => void insert(c.id)}
                  >
                    <Text size="sm" fw={600}>
                      /{c.shortcut}{' '}
                      <Text span size="sm" fw={400}>
                        {c.title}
                      </Text>
                    </Text>
                  </UnstyledButton>
                ))}
              </Paper>
            ) : null}
          </div>
          {newer.length > 0 && body.trim() ? (
            <Alert color="orange" variant="light" role="alert" data-testid="collision" title="New reply since you started typing" p="xs">
              <Stack gap={6}>
                {newer.slice(-3).map((m) => (
                  <Text size="sm" key={m.id} lineClamp={2}>
                    <Text span fw={600} size="sm">
                      {m.author.type === 'customer' ? `${m.author.name ?? 'Customer'} (customer)` : (m.author.name ?? 'A colleague')}:
                    </Text>{' '}
                    {m.body}
                  </Text>
                ))}
                {newer.length > 3 ? (
                  <Text size="xs" c="dimmed">
                    and {newer.length - 3} more
                  </Text>
                ) : null}
                <Group gap="xs">
                  <Button size="xs" variant="default" onClick={review}>
                    Review
                  </Button>
                  <Button size="xs" color="orange" loading={send.isPending} onClick={() => void submit(true).catch(() => undefined)}>
                    Send anyway
                  </Button>
                </Group>
              </Stack>
            </Alert>
          ) : null}
          {send.isError ? <ErrorNotice error={send.error} title="Not sent" /> : null}
          {render.isError ? <ErrorNotice error={render.error} title="The canned response could not be inserted" /> : null}
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              {kind === 'note' ? 'Internal: never sent to the customer.' : 'Sent to the customer.'}
            </Text>
            <Button type="submit" size="sm" loading={send.isPending} disabled={!body.trim()} color={kind === 'note' ? '#8a5a00' : undefined}>
              {kind === 'note' ? 'Add note' : 'Send reply'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
