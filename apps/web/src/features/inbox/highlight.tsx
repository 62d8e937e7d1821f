// Marks the search words in a row's text, as the server matched them: each word of the query,
// case-insensitive, anywhere in a word of the text ("nguy" marks "Nguyen", "F-30" marks "#30").
import { Fragment } from 'react';

/** The words of a search, as the server splits them (letters and digits), longest first. */
export function searchTerms(q: string): string[] {
  const words = q
    .split(/\s+/)
    .flatMap((w) => w.split(/[^\p{L}\p{N}@._+-]+/u))
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''))
    .filter((w) => w.length > 0)
    .slice(0, 12);
  // A conversation number written "#30" or "F-30" marks the number itself.
  const numbers = words.flatMap((w) => /^[\p{L}]{0,3}-?#?(\d+)$/u.exec(w)?.slice(1) ?? []);
  return [...new Set([...words, ...numbers].map((w) => w.toLowerCase()))].sort((a, b) => b.length - a.length);
}

/** `text` cut into pieces, the ones matching a term flagged. */
export function splitMatches(text: string, terms: string[]): Array<{ text: string; isMatch: boolean }> {
  if (!text || terms.length === 0) return [{ text, isMatch: false }];
  const lower = text.toLowerCase();
  const out: Array<{ text: string; isMatch: boolean }> = [];
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const term = terms.find((t) => lower.startsWith(t, i));
    if (term) {
      if (plain) out.push({ text: plain, isMatch: false });
      plain = '';
      out.push({ text: text.slice(i, i + term.length), isMatch: true });
      i += term.length;
    } else {
      plain += text[i];
      i += 1;
    }
  }
  if (plain) out.push({ text: plain, isMatch: false });
  return out;
}

export function Highlight({ text, q }: { text: string; q: string }) {
  if (!q) return <>{text}</>;
  return (
    <>
      {splitMatches(text, searchTerms(q)).map((p, i) =>
        p.isMatch ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>,
      )}
    </>
  );
}
