// Finds the quoted history and the signature in an email, so the thread shows what is new and
// folds the rest away: in plain text ("> " lines, "On … wrote:" headers, Outlook's "Original
// Message" and "From:/Sent:" blocks, the "-- " signature delimiter) and in HTML (blockquote,
// Gmail, Outlook, Thunderbird, Apple Mail and Yahoo quote and signature containers).

export type Segment = { text: string; quoted: boolean };

const WROTE = /^\s*(On|Le|Am|El|Il|Op)\b.{0,300}(wrote|a écrit|schrieb|escribió|ha scritto|schreef)\s*:\s*$/i;
const ORIGINAL = /^\s*-{2,}\s*(Original Message|Forwarded message|Message d'origine|Ursprüngliche Nachricht)\s*-{2,}\s*$/i;
const isQuoteLine = (line: string) => /^\s*>/.test(line);
const isSignature = (line: string) => line === '-- ' || line === '--';
const isHeaderBlock = (lines: string[], i: number) => /^\s*From:\s/.test(lines[i] ?? '') && /^\s*(Sent|Date):\s/.test(lines[i + 1] ?? '');

/** Splits plain text into what the sender wrote and what they quoted or signed. */
export function splitQuotes(text: string): Segment[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const quoted = new Array<boolean>(lines.length).fill(false);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    // Everything after a signature delimiter, an "Original Message" or a From:/Sent: block is history.
    if (isSignature(line) || ORIGINAL.test(line) || isHeaderBlock(lines, i)) {
      quoted.fill(true, i);
      break;
    }
    const twoLines = `${line} ${lines[i + 1] ?? ''}`;
    const header = WROTE.test(line) ? 1 : WROTE.test(twoLines) && !WROTE.test(lines[i + 1] ?? '') && line.trim() !== '' ? 2 : 0;
    if (header > 0) {
      // A header counts only when quoted lines (or nothing but blank lines) follow it.
      let j = i + header;
      while (j < lines.length && (lines[j] ?? '').trim() === '') j++;
      if (j === lines.length || isQuoteLine(lines[j] ?? '')) {
        quoted.fill(true, i, i + header);
        i += header - 1;
      }
      continue;
    }
    if (isQuoteLine(line)) quoted[i] = true;
  }
  // Blank lines between two quoted lines belong to the quote.
  for (let i = 1; i < lines.length - 1; i++) {
    if (quoted[i] || (lines[i] ?? '').trim() !== '') continue;
    let j = i;
    while (j < lines.length && !quoted[j] && (lines[j] ?? '').trim() === '') j++;
    if (quoted[i - 1] && (j === lines.length || quoted[j])) quoted.fill(true, i, j);
  }
  const segments: Segment[] = [];
  lines.forEach((line, i) => {
    const q = quoted[i] ?? false;
    const last = segments[segments.length - 1];
    if (last && last.quoted === q) last.text += `\n${line}`;
    else segments.push({ text: line, quoted: q });
  });
  return segments.map((s) => (s.quoted ? s : { ...s, text: s.text.replace(/^\n+|\s+$/g, '') })).filter((s) => s.text.trim() !== '');
}

/** Containers mail clients put quoted history and signatures in. */
const QUOTE_SELECTORS = [
  'blockquote',
  '.gmail_quote',
  '.gmail_signature',
  '.gmail_extra',
  '.moz-cite-prefix',
  '.moz-signature',
  '.yahoo_quoted',
  '#Signature',
  '[data-signature]',
  '[type="cite"]',
].join(',');
/** Outlook's reply header: it and everything after it is the quoted message. */
const TAIL_SELECTORS = ['#divRplyFwdMsg', '#appendonsend', '.OutlookMessageHeader', '#mail-editor-reference-message-container'].join(',');

const BLOCKS = 'p,div,li,tr,h1,h2,h3,h4,h5,h6,blockquote,pre';
const textOf = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();
/** Blocks with no block inside them, in document order: each piece of text belongs to one. */
const leafBlocks = (root: Element) => Array.from(root.querySelectorAll(BLOCKS)).filter((el) => el.querySelector(BLOCKS) === null);

/** Removes the element, everything after it, and everything after each of its ancestors up to the body. */
function cutFrom(el: Element, body: HTMLElement) {
  let node: Element | null = el;
  while (node && node !== body) {
    while (node.nextSibling) node.nextSibling.remove();
    const parent: Element | null = node.parentElement;
    if (node === el) {
      const prev = node.previousElementSibling;
      if (prev?.tagName === 'HR') prev.remove();
      node.remove();
    }
    node = parent;
  }
}

/**
 * Where the history starts when no container names it (sanitisers drop class and id): an
 * Outlook-style "From: … Sent: …" header, an "Original Message" line, or a "-- " signature line.
 */
function historyStart(body: HTMLElement): Element | null {
  const leaves = leafBlocks(body);
  for (let i = 0; i < leaves.length; i++) {
    const el = leaves[i] as Element;
    const text = textOf(el);
    const next = leaves[i + 1] ? textOf(leaves[i + 1] as Element) : '';
    if (ORIGINAL.test(text)) return el;
    if (/^From:\s/.test(text) && (/\b(Sent|Date):\s/.test(text) || /^(Sent|Date):\s/.test(next))) return el;
    if (/^\s*--\s*(<br\s*\/?>|$)/i.test(el.innerHTML)) return el;
  }
  return null;
}

/**
 * The HTML without its quoted history and signature (parsed inertly: DOMParser runs no script
 * and loads nothing), and whether anything was folded away.
 */
export function foldHtml(html: string): { folded: string; hasQuote: boolean } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const body = doc.body;
  let removed = 0;
  for (const el of Array.from(body.querySelectorAll(TAIL_SELECTORS))) {
    if (!el.isConnected) continue;
    cutFrom(el, body);
    removed++;
  }
  for (const el of Array.from(body.querySelectorAll(QUOTE_SELECTORS))) {
    if (!el.isConnected) continue;
    // The "On … wrote:" line just before a blockquote goes with it.
    const prev = el.previousElementSibling;
    if (prev && WROTE.test(textOf(prev))) prev.remove();
    el.remove();
    removed++;
  }
  const start = historyStart(body);
  if (start) {
    cutFrom(start, body);
    removed++;
  }
  // A message that is all quote (a bare forward) is shown whole: folding would leave nothing.
  const isEmpty = (body.textContent ?? '').trim() === '' && body.querySelector('img') === null;
  if (removed === 0 || isEmpty) return { folded: html, hasQuote: false };
  return { folded: body.innerHTML, hasQuote: true };
}

const LINE_PX = 21;
const CHARS_PER_LINE = 85;

/**
 * A rough height for an email's HTML, since a sandboxed frame (no scripts, an opaque origin)
 * cannot be measured: a line per block of text (more for long ones), a margin per paragraph,
 * room for images. The frame scrolls and can be resized when this falls short.
 */
export function estimateHeight(html: string): number {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const body = doc.body;
  const lineCount = (text: string) => Math.max(1, Math.ceil(text.replace(/\s+/g, ' ').trim().length / CHARS_PER_LINE));
  const leaves = leafBlocks(body).filter((el) => (el.textContent ?? '').trim() !== '');
  let px = leaves.reduce((sum, el) => sum + lineCount(el.textContent ?? '') * LINE_PX + (el.tagName === 'P' ? 8 : 0), 0);
  if (leaves.length === 0) px = lineCount(body.textContent ?? '') * LINE_PX;
  px += body.querySelectorAll('br').length * LINE_PX + body.querySelectorAll('img').length * 120;
  return Math.max(32, Math.min(640, px + 8));
}
