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

/**
 * The HTML without its quoted history and signature (parsed inertly: DOMParser runs no script
 * and loads nothing), and whether anything was folded away.
 */
export function foldHtml(html: string): { folded: string; hasQuote: boolean } {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  let removed = 0;
  for (const el of Array.from(doc.body.querySelectorAll(TAIL_SELECTORS))) {
    if (!el.isConnected) continue;
    // The element, what follows it, and what follows each of its ancestors up to the body.
    let node: Element | null = el;
    while (node && node !== doc.body) {
      while (node.nextSibling) node.nextSibling.remove();
      const parent: Element | null = node.parentElement;
      if (node === el) {
        const prev = node.previousElementSibling;
        if (prev?.tagName === 'HR') prev.remove();
        node.remove();
      }
      node = parent;
    }
    removed++;
  }
  for (const el of Array.from(doc.body.querySelectorAll(QUOTE_SELECTORS))) {
    if (!el.isConnected) continue;
    // The "On … wrote:" line just before a blockquote goes with it.
    const prev = el.previousElementSibling;
    if (prev && WROTE.test((prev.textContent ?? '').replace(/\s+/g, ' ').trim())) prev.remove();
    el.remove();
    removed++;
  }
  // A message that is all quote (a bare forward) is shown whole: folding would leave nothing.
  const isEmpty = (doc.body.textContent ?? '').trim() === '' && doc.body.querySelector('img') === null;
  if (removed === 0 || isEmpty) return { folded: html, hasQuote: false };
  return { folded: doc.body.innerHTML, hasQuote: true };
}

const BLOCKS = 'p,div,li,tr,h1,h2,h3,h4,h5,h6,blockquote,pre';
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
  // Leaf blocks: those without a block inside them, so text is counted once.
  const leaves = Array.from(body.querySelectorAll(BLOCKS)).filter((el) => el.querySelector(BLOCKS) === null && (el.textContent ?? '').trim() !== '');
  let px = leaves.reduce((sum, el) => sum + lineCount(el.textContent ?? '') * LINE_PX + (el.tagName === 'P' ? 8 : 0), 0);
  if (leaves.length === 0) px = lineCount(body.textContent ?? '') * LINE_PX;
  px += body.querySelectorAll('br').length * LINE_PX + body.querySelectorAll('img').length * 120;
  return Math.max(32, Math.min(640, px + 8));
}
