// The HTML of an inbound mail, reduced to an allow-list before it is stored (the agent's browser
// renders it): formatting, tables, links and images only. No script, style, iframe, object or form;
// no event-handler (on*) or style-sheet attributes; links only http, https, mailto and cid; images only
// https and cid (no tracking over plain http, no data: blobs).
import sanitizeHtml from 'sanitize-html';

/** A colour: #hex, a keyword, rgb()/rgba() of numbers (never url(), expression() or escapes). */
const COLOR = /^(#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\(\s*[\d.]+%?\s*,\s*[\d.]+%?\s*,\s*[\d.]+%?\s*(,\s*[\d.]+\s*)?\))$/i;

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags.filter((t) => t !== 'data'), 'img', 'font', 'center'],
  // Their text would only clutter the message (style sheets, titles, scripts).
  nonTextTags: ['script', 'style', 'textarea', 'option', 'title', 'head', 'noscript', 'template', 'xml'],
  disallowedTagsMode: 'discard',
  allowedAttributes: {
    a: ['href', 'name', 'title', 'rel', 'target'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    font: ['color', 'size', 'face'],
    td: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    th: ['colspan', 'rowspan', 'align', 'valign', 'width'],
    table: ['width', 'align', 'border', 'cellpadding', 'cellspacing'],
    p: ['align'],
    div: ['align'],
    '*': ['style', 'dir', 'lang'],
  },
  allowedStyles: {
    '*': {
      color: [COLOR],
      'background-color': [COLOR],
      'text-align': [/^(left|right|center|justify)$/],
      'font-weight': [/^(normal|bold|bolder|lighter|\d{3})$/],
      'font-style': [/^(normal|italic)$/],
      'text-decoration': [/^(none|underline|line-through)$/],
    },
  },
  allowedSchemes: ['http', 'https', 'mailto', 'cid'],
  allowedSchemesByTag: { img: ['https', 'cid'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  enforceHtmlBoundary: false,
  transformTags: {
    // Links leave the app in a new context, telling the target nothing about where they came from.
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'noopener noreferrer nofollow', target: '_blank' } }),
  },
};

/** Longest HTML stored per message, after sanitising. */
export const MAX_HTML_CHARS = 500_000;

export function sanitizeEmailHtml(html: string): string | null {
  let clean = sanitizeHtml(html, OPTIONS).trim();
  // Cut where it must be cut, then parsed again: a tag cut in half is closed or dropped, never left open.
  if (clean.length > MAX_HTML_CHARS) clean = sanitizeHtml(clean.slice(0, MAX_HTML_CHARS), OPTIONS).trim();
  return clean || null;
}
