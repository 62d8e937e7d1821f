// The public survey page and the survey email, rendered on the server: plain HTML forms that work
// without JavaScript (fieldset and legend, labelled radios, a real POST), in the customer's
// language when the survey has a translation. Every tenant-written string is escaped.
import { SURVEY_SCALES, type Survey, type SurveyQuestion } from '@rapport/contracts';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page's own words, in the languages Rapport ships; English otherwise. */
const CHROME = {
  en: {
    send: 'Send',
    thanks: 'Thank you for your answer.',
    recorded: 'Your rating is recorded. Anything to add?',
    invalid: 'This survey link is not valid.',
    expired: 'This survey link has expired.',
    invalidHint: 'Please use the most recent link you received.',
    low: { nps: 'Not at all likely', csat: 'Very dissatisfied', ces: 'Very difficult' },
    high: { nps: 'Extremely likely', csat: 'Very satisfied', ces: 'Very easy' },
    required: 'Please answer this question.',
  },
  fr: {
    send: 'Envoyer',
    thanks: 'Merci pour votre réponse.',
    recorded: 'Votre note est enregistrée. Quelque chose à ajouter ?',
    invalid: "Ce lien d'enquête n'est pas valide.",
    expired: "Ce lien d'enquête a expiré.",
    invalidHint: 'Utilisez le lien le plus récent que vous avez reçu.',
    low: { nps: 'Pas du tout probable', csat: 'Très insatisfait', ces: 'Très difficile' },
    high: { nps: 'Très probable', csat: 'Très satisfait', ces: 'Très facile' },
    required: 'Merci de répondre à cette question.',
  },
} as const;
type Chrome = (typeof CHROME)['en'] | (typeof CHROME)['fr'];

const DEFAULT_QUESTION = {
  nps: 'How likely are you to recommend us to a friend or colleague?',
  csat: 'How satisfied were you with the help you received?',
  ces: 'How easy was it to get your issue resolved?',
  custom: '',
};
export const defaultQuestion = (type: Survey['type']) => DEFAULT_QUESTION[type];
export const DEFAULT_COMMENT_PROMPT = 'What is the main reason for your score?';
export const DEFAULT_THANKS = 'Thank you for your feedback.';

/** The survey's language for a customer: their `language`/`locale` trait, then Accept-Language, among the survey's translations. */
export function pickLanguage(survey: Pick<Survey, 'translations'>, traits: Record<string, unknown>, acceptLanguage: string | undefined): string | null {
  const have = Object.keys(survey.translations);
  const wanted: string[] = [];
  for (const k of ['language', 'locale']) if (typeof traits[k] === 'string') wanted.push(traits[k]);
  for (const part of (acceptLanguage ?? '').slice(0, 500).split(',').slice(0, 20)) {
    const [tag, q] = part.trim().split(';q=');
    if (tag && tag !== '*' && (q === undefined || Number(q) > 0)) wanted.push(tag);
  }
  for (const w of wanted) {
    const tag = w.trim().replace('_', '-').toLowerCase();
    const exact = have.find((h) => h.toLowerCase() === tag);
    if (exact) return exact;
    const base = have.find((h) => h.toLowerCase() === tag.split('-')[0]);
    if (base) return base;
  }
  return null;
}

export type Texts = {
  lang: string;
  title: string;
  question: string;
  commentPrompt: string;
  thanks: string;
  questions: SurveyQuestion[];
  chrome: Chrome;
};

export function textsOf(survey: Survey, lang: string | null): Texts {
  const t = lang ? survey.translations[lang] : undefined;
  const base = (lang ?? 'en').split('-')[0] ?? 'en';
  const chrome: Chrome = base === 'fr' ? CHROME.fr : CHROME.en;
  const questions = (survey.questions ?? []).map((q) => {
    const tq = t?.questions?.[q.id];
    return { ...q, text: tq?.text ?? q.text, ...(q.options ? { options: q.options.map((o, i) => tq?.options?.[i] ?? o) } : {}) };
  });
  return {
    lang: lang ?? 'en',
    title: t?.title ?? survey.title,
    question: t?.question ?? survey.question,
    commentPrompt: t?.commentPrompt ?? survey.commentPrompt,
    thanks: t?.thanks ?? survey.thanks,
    questions,
    chrome,
  };
}

export function scaleOf(type: Survey['type']): number[] {
  if (type === 'custom') return [];
  const { min, max } = SURVEY_SCALES[type];
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}main{max-width:40rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}' +
  'fieldset{border:0;padding:0;margin:0 0 1.25rem}legend{font-weight:600;margin-bottom:.5rem}.scale{display:flex;flex-wrap:wrap;gap:.25rem}' +
  '.scale label{display:inline-flex;flex-direction:column;align-items:center;min-width:2.5rem;padding:.25rem;border:1px solid #c9ced6;border-radius:6px}' +
  '.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#555}textarea{width:100%;min-height:6rem;font:inherit}' +
  'button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:6px;background:#2251cc;color:#fff}.choice{display:block}:focus-visible{outline:3px solid #2251cc}';

function layout(lang: string, title: string, body: string): string {
  return `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

export function errorPage(kind: 'invalid' | 'expired'): string {
  const c = CHROME.en;
  return layout('en', kind === 'expired' ? c.expired : c.invalid, `<h1>${esc(kind === 'expired' ? c.expired : c.invalid)}</h1><p>${esc(c.invalidHint)}</p>`);
}

export function thanksPage(texts: Texts): string {
  return layout(texts.lang, texts.title, `<h1>${esc(texts.title)}</h1><p role="status">${esc(texts.thanks)}</p>`);
}

function ratingField(name: string, legend: string, values: number[], chosen: number | null, ends: [string, string] | null, required: boolean): string {
  const radios = values
    .map(
      (v) =>
        `<label for="${name}-${v}"><input type="radio" id="${name}-${v}" name="${name}" value="${v}"${chosen === v ? ' checked' : ''}${required ? ' required' : ''}> ${v}</label>`,
    )
    .join('');
  const endLabels = ends ? `<div class="ends" aria-hidden="true"><span>${esc(ends[0])}</span><span>${esc(ends[1])}</span></div>` : '';
  return `<fieldset><legend>${esc(legend)}</legend><div class="scale">${radios}</div>${endLabels}</fieldset>`;
}

export type FormState = { score: number | null; comment: string | null; answers: Record<string, unknown>; notice: string | null; error: string | null };

export function surveyPage(survey: Survey, texts: Texts, action: string, state: FormState): string {
  const c = texts.chrome;
  const parts: string[] = [`<h1>${esc(texts.title)}</h1>`];
  if (state.notice) parts.push(`<p role="status">${esc(state.notice)}</p>`);
  if (state.error) parts.push(`<p role="alert">${esc(state.error)}</p>`);
  parts.push(`<form method="post" action="${esc(action)}">`);
  if (survey.type === 'custom') {
    for (const q of texts.questions) {
      const name = `q_${q.id}`;
      const answer = state.answers[q.id];
      if (q.type === 'rating') {
        const min = q.min ?? 1;
        const max = q.max ?? 5;
        const values = Array.from({ length: max - min + 1 }, (_, i) => min + i);
        parts.push(ratingField(name, q.text, values, typeof answer === 'number' ? answer : null, null, q.required));
      } else if (q.type === 'text') {
        parts.push(
          `<p><label for="${name}">${esc(q.text)}</label><br><textarea id="${name}" name="${name}" maxlength="5000"${q.required ? ' required' : ''}>${esc(typeof answer === 'string' ? answer : '')}</textarea></p>`,
        );
      } else {
        const multiple = q.type === 'multiple';
        const chosen = new Set(Array.isArray(answer) ? answer : typeof answer === 'string' ? [answer] : []);
        const options = (q.options ?? [])
          .map(
            (o, i) =>
              `<label class="choice" for="${name}-${i}"><input type="${multiple ? 'checkbox' : 'radio'}" id="${name}-${i}" name="${name}" value="${i}"${chosen.has(String(i)) ? ' checked' : ''}${q.required && !multiple ? ' required' : ''}> ${esc(o)}</label>`,
          )
          .join('');
        parts.push(`<fieldset><legend>${esc(q.text)}</legend>${options}</fieldset>`);
      }
    }
  } else {
    const type = survey.type;
    parts.push(ratingField('score', texts.question, scaleOf(type), state.score, [c.low[type], c.high[type]], true));
    parts.push(
      `<p><label for="comment">${esc(texts.commentPrompt)}</label><br><textarea id="comment" name="comment" maxlength="5000">${esc(state.comment ?? '')}</textarea></p>`,
    );
  }
  parts.push(`<button type="submit">${esc(c.send)}</button></form>`);
  return layout(texts.lang, texts.title, parts.join(''));
}

/** The survey email: for rating surveys, each score is a link that records it in one click. */
export function surveyEmail(survey: Survey, texts: Texts, link: string, workspaceName: string | null): { subject: string; text: string; html: string } {
  const subject = texts.title;
  const from = workspaceName ? `${workspaceName}\n` : '';
  if (survey.type === 'custom') {
    return {
      subject,
      text: `${texts.title}\n\n${link}\n\n${from}`,
      html: `<p>${esc(texts.title)}</p><p><a href="${esc(link)}">${esc(link)}</a></p>`,
    };
  }
  const values = scaleOf(survey.type);
  const links = values.map((v) => ({ v, href: `${link}?score=${v}` }));
  const c = texts.chrome;
  const cells = links
    .map(
      ({ v, href }) =>
        `<td style="padding:2px"><a href="${esc(href)}" style="display:inline-block;min-width:28px;padding:8px 4px;text-align:center;border:1px solid #c9ced6;border-radius:4px;text-decoration:none;color:#1b1f24">${v}</a></td>`,
    )
    .join('');
  const html =
    `<div lang="${esc(texts.lang)}"><p>${esc(texts.question)}</p><table role="presentation"><tr>${cells}</tr></table>` +
    `<p style="font-size:12px;color:#555">${values[0] ?? ''} = ${esc(c.low[survey.type])}, ${values[values.length - 1] ?? ''} = ${esc(c.high[survey.type])}</p>` +
    `<p><a href="${esc(link)}">${esc(texts.title)}</a></p></div>`;
  const text = `${texts.question}\n\n${links.map(({ v, href }) => `${v}: ${href}`).join('\n')}\n\n${from}`;
  return { subject, text, html };
}
