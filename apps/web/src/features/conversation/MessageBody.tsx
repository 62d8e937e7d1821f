// A message's content: plain text, or an email's HTML in a sandboxed frame (the server has
// sanitised it; the frame is the second wall: no scripts, an opaque origin, no remote loads), with
// quoted history and signatures folded behind "Show quoted text"; then its attachments.
import { Fragment, useMemo, useState } from 'react';
import { Anchor, Button, Group, Stack, Text } from '@mantine/core';
import type { Message } from '../../api/types';
import { fileSize, Icon } from '../../components/channel';
import { estimateHeight, foldHtml, splitQuotes } from './quotes';

// No scripts (the sandbox), nothing fetched from outside (CSP: tracking pixels stay dark), no
// referrer. Links target a new window, which the sandbox (no allow-popups) refuses: a link in a
// customer's mail never navigates the agent anywhere; it can be copied.
const FRAME_HEAD = `<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"><meta name="referrer" content="no-referrer"><base target="_blank"><style>
body{margin:0;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#212529;overflow-wrap:anywhere}
img{max-width:100%;height:auto}table{max-width:100%}p{margin:0 0 .6em}blockquote{margin:.4em 0;padding-left:.8em;border-left:3px solid #ced4da;color:#495057}
</style>`;

function HtmlFrame({ html, title }: { html: string; title: string }) {
  const srcDoc = `<!doctype html><html><head>${FRAME_HEAD}</head><body>${html}</body></html>`;
  const height = useMemo(() => estimateHeight(html), [html]);
  return (
    <iframe
      sandbox=""
      srcDoc={srcDoc}
      title={title}
      data-testid="email-html"
      referrerPolicy="no-referrer"
      style={{ width: '100%', height, border: 0, display: 'block', background: 'transparent' }}
    />
  );
}

function QuoteToggle({ shown, onToggle }: { shown: boolean; onToggle: () => void }) {
  return (
    <Group>
      <Button size="compact-xs" variant="subtle" color="#343a40" onClick={onToggle} aria-expanded={shown} data-testid="quote-toggle">
        {shown ? 'Hide quoted text' : 'Show quoted text'}
      </Button>
    </Group>
  );
}

function PlainBody({ body }: { body: string }) {
  const [shown, setShown] = useState(false);
  const segments = useMemo(() => splitQuotes(body), [body]);
  // Nothing but quote (a bare forward): shown whole, since folding would leave nothing.
  const hasQuote = segments.some((s) => s.quoted) && segments.some((s) => !s.quoted);
  if (!hasQuote)
    return (
      <Text size="sm" className="thread-body">
        {body}
      </Text>
    );
  return (
    <Stack gap={4}>
      {segments.map((s, i) =>
        s.quoted ? (
          shown ? (
            <Text key={i} size="sm" className="thread-body thread-quote" data-testid="quoted-text">
              {s.text.replace(/^\n+|\s+$/g, '')}
            </Text>
          ) : (
            <Fragment key={i} />
          )
        ) : (
          <Text key={i} size="sm" className="thread-body">
            {s.text}
          </Text>
        ),
      )}
      <QuoteToggle shown={shown} onToggle={() => setShown((v) => !v)} />
    </Stack>
  );
}

function EmailBody({ html, subject }: { html: string; subject: string }) {
  const [shown, setShown] = useState(false);
  const { folded, hasQuote } = useMemo(() => foldHtml(html), [html]);
  return (
    <Stack gap={4}>
      <HtmlFrame html={shown || !hasQuote ? html : folded} title={subject} />
      {hasQuote ? <QuoteToggle shown={shown} onToggle={() => setShown((v) => !v)} /> : null}
    </Stack>
  );
}

function Attachments({ items }: { items: Message['attachments'] }) {
  return (
    <Stack gap={2} component="ul" aria-label="Attachments" style={{ listStyle: 'none', padding: 0, margin: '6px 0 0' }}>
      {items.map((a) => (
        <Group key={a.id} gap={6} component="li" wrap="nowrap" data-testid="attachment">
          <Icon name="paperclip" size={13} color="#495057" />
          {/* The session cookie authenticates the download; ?download asks for a file, never an inline page. */}
          <Anchor size="sm" href={`/api/v1/attachments/${encodeURIComponent(a.id)}?download`} download={a.filename}>
            {a.filename}
          </Anchor>
          <Text size="xs" c="dimmed">
            {fileSize(a.size)}
          </Text>
        </Group>
      ))}
    </Stack>
  );
}

export function MessageBody({ m }: { m: Message }) {
  return (
    <>
      {m.html ? <EmailBody html={m.html} subject={`Email from ${m.author.name ?? m.author.type}`} /> : <PlainBody body={m.body} />}
      {m.attachments.length > 0 ? <Attachments items={m.attachments} /> : null}
    </>
  );
}
