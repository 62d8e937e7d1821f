// Which parts of a plain-text email are new and which are quoted history or a signature (pure).
import { describe, expect, it } from 'vitest';
import { splitQuotes } from './quotes';

const quoted = (text: string) =>
  splitQuotes(text)
    .filter((s) => s.quoted)
    .map((s) => s.text.trim());
const fresh = (text: string) =>
  splitQuotes(text)
    .filter((s) => !s.quoted)
    .map((s) => s.text);

describe('splitQuotes', () => {
  it('folds an "On … wrote:" header with the quoted lines under it, and the signature', () => {
    const mail =
      'Thanks, that works.\n\nOn Mon, 1 Dec 2026 at 09:12, Shop <s@shop.test> wrote:\n> Your order shipped.\n>\n> Track it here.\n\n-- \nSam Lee\n+1 555 0100';
    expect(fresh(mail)).toEqual(['Thanks, that works.']);
    expect(quoted(mail)).toEqual([
      'On Mon, 1 Dec 2026 at 09:12, Shop <s@shop.test> wrote:\n> Your order shipped.\n>\n> Track it here.\n\n-- \nSam Lee\n+1 555 0100',
    ]);
  });

  it('takes a header wrapped over two lines, and keeps inline answers between quotes visible', () => {
    const mail = 'On Tue, 2 Dec 2026, Shop Support <support@shop.test>\nwrote:\n> Which size?\nLarge, please.\n> And the colour?\nBlue.';
    expect(fresh(mail)).toEqual(['Large, please.', 'Blue.']);
    expect(quoted(mail)).toEqual(['On Tue, 2 Dec 2026, Shop Support <support@shop.test>\nwrote:\n> Which size?', '> And the colour?']);
  });

  it('folds everything after Outlook headers and "Original Message"', () => {
    expect(fresh('See below.\nFrom: Shop <s@shop.test>\nSent: Monday\nSubject: Order')).toEqual(['See below.']);
    expect(fresh('Forwarding.\n-----Original Message-----\nHi')).toEqual(['Forwarding.']);
  });

  it('leaves a message without quotes alone, and does not fold a sentence that merely mentions writing', () => {
    expect(splitQuotes('Hello\nOn Monday my sister wrote: nothing came.\nBye')).toEqual([
      { text: 'Hello\nOn Monday my sister wrote: nothing came.\nBye', quoted: false },
    ]);
    expect(splitQuotes('On Monday she wrote:\nit never came')).toEqual([{ text: 'On Monday she wrote:\nit never came', quoted: false }]);
    expect(quoted('-- not a signature\n--- nor this')).toEqual([]);
  });

  it('marks a message that is all quote as such (the thread then shows it whole)', () => {
    expect(splitQuotes('> only a quote\n> here')).toEqual([{ text: '> only a quote\n> here', quoted: true }]);
  });
});
