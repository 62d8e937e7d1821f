// The Rapport chat widget: one script tag on a customer's site. Plain DOM in an open shadow root
// (the page's CSS cannot reach it, tests and assistive technology can), talking to /widget/v1/*
// of the server it was loaded from. Types come from the contracts; no runtime dependency.
import type {
  WidgetBooted,
  WidgetHistory,
  WidgetMessage,
  WidgetSent,
  WidgetServerMessage,
  WidgetSurvey,
  WidgetSurveyAnswered,
  WidgetSurveys,
} from '@rapport/contracts';
import { STYLE } from './style.js';

type User = { id: string; hash: string; email?: string; name?: string };
type BootOptions = { workspace?: string; inbox?: string; user?: User; api?: string };
type Command = 'boot' | 'shutdown' | 'show' | 'hide';
type RapportFn = ((command: Command, options?: BootOptions) => void) & { q?: Array<ArrayLike<unknown>>; loaded?: boolean };

type Session = {
  api: string;
  inbox: string;
  workspace: string;
  token: string;
  storageKey: string;
  booted: WidgetBooted;
  hasEmail: boolean;
  agentsOnline: boolean;
  socket: WebSocket | null;
  retry: number;
  timer: number | undefined;
  lastPage: string;
  closed: boolean;
};

const w = window as unknown as Window & { Rapport?: RapportFn };
const script = (document.currentScript as HTMLScriptElement | null) ?? document.querySelector<HTMLScriptElement>('script[src*="widget.js"]');
const defaultApi = script?.dataset.api ?? (script?.src ? new URL(script.src, location.href).origin : location.origin);

let session: Session | null = null;
let ui: ReturnType<typeof render> | null = null;
let booting: Promise<void> | null = null;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked (third-party contexts, privacy modes): a visitor per page load
  }
}

class ProblemError extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
  }
}

async function call<T>(s: Pick<Session, 'api' | 'inbox' | 'token'>, method: string, path: string, body?: unknown, query = ''): Promise<T> {
  const res = await fetch(`${s.api}/widget/v1/${path}?${s.inbox ? `inbox=${encodeURIComponent(s.inbox)}` : ''}${query}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(s.token ? { authorization: `Bearer ${s.token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    credentials: 'omit',
  });
  const json = (await res.json().catch(() => ({}))) as T & { detail?: string };
  if (!res.ok) throw new ProblemError(res.status, json.detail ?? `HTTP ${res.status}`);
  return json;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Black or white text, whichever reads better on the inbox colour (WCAG relative luminance). */
function inkOn(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin((n >> 16) & 255) + 0.7152 * lin((n >> 8) & 255) + 0.0722 * lin(n & 255);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? '#111827' : '#ffffff';
}

const ICON_CHAT =
  '<svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
const ICON_CLOSE =
  '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" focusable="false"><path fill="currentColor" d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';

function render(booted: WidgetBooted) {
  const host = el('div', { id: 'rapport-widget', 'data-rapport': 'widget' });
  const root = host.attachShadow({ mode: 'open' });
  const color = /^#[0-9a-fA-F]{6}$/.test(booted.inbox.color) ? booted.inbox.color : '#3b5bdb';
  const style = el('style');
  style.textContent = STYLE.replace(/--rp-color:[^;]*;/, `--rp-color:${color};`).replace(/--rp-ink:[^;]*;/, `--rp-ink:${inkOn(color)};`);
  root.append(style);

  const launcher = el('button', { class: 'launcher', type: 'button', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'rp-panel' });
  launcher.innerHTML = ICON_CHAT;
  const panel = el('section', { class: 'panel', id: 'rp-panel', role: 'dialog', 'aria-label': `Chat with ${booted.inbox.name}`, hidden: '' });
  const header = el('header');
  const title = el('h2', {}, booted.inbox.name);
  const close = el('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' });
  close.innerHTML = ICON_CLOSE;
  header.append(title, close);
  const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
  const greeting = el('p', { class: 'msg agent greeting' }, booted.inbox.greeting);
  log.append(greeting);

  const offline = el('form', { class: 'offline', hidden: '', novalidate: '' });
  const offlineText = el('p', { id: 'rp-offline-text' }, 'Nobody is online right now. Leave your email and we will answer you there.');
  const email = el('input', {
    type: 'email',
    name: 'email',
    autocomplete: 'email',
    required: '',
    'aria-label': 'Email address',
    'aria-describedby': 'rp-offline-text',
    placeholder: 'you@example.com',
  });
  const save = el('button', { type: 'submit' }, 'Save');
  const row = el('div', { class: 'row' });
  row.append(email, save);
  offline.append(offlineText, row);

  const composer = el('form', { class: 'composer' });
  const input = el('textarea', { name: 'message', rows: '1', 'aria-label': 'Message', placeholder: 'Write a message…', maxlength: '5000' });
  const send = el('button', { type: 'submit', class: 'send' }, 'Send');
  composer.append(input, send);
  const status = el('p', { class: 'status', role: 'status' });
  panel.append(header, log, offline, status, composer);
  root.append(panel, launcher);
  document.body.append(host);

  const seen = new Set<string>();
  let waiting = 0;
  const badge = () => {
    launcher.classList.toggle('badge', waiting > 0 && panel.hidden);
    if (panel.hidden) launcher.setAttribute('aria-label', waiting > 0 ? `Open chat (${waiting} survey waiting)` : 'Open chat');
  };
  let answerFn: (sendId: string, score: number, comment: string) => Promise<WidgetSurveyAnswered> = () => Promise.reject(new Error('not ready'));
  const open = (isOpen: boolean) => {
    panel.hidden = !isOpen;
    launcher.setAttribute('aria-expanded', String(isOpen));
    launcher.setAttribute('aria-label', isOpen ? 'Close chat' : 'Open chat');
    launcher.innerHTML = isOpen ? ICON_CLOSE : ICON_CHAT;
    host.classList.toggle('open', isOpen);
    badge();
    if (isOpen) {
      input.focus();
      log.scrollTop = log.scrollHeight;
    }
  };
  launcher.addEventListener('click', () => open(panel.hidden));
  close.addEventListener('click', () => {
    open(false);
    launcher.focus();
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      open(false);
      launcher.focus();
    }
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
  });

  return {
    host,
    open,
    isOpen: () => !panel.hidden,
    add(m: WidgetMessage) {
      if (seen.has(m.id)) return false;
      seen.add(m.id);
      const item = el('div', { class: `msg ${m.author.type === 'customer' ? 'me' : 'agent'}`, 'data-id': m.id });
      if (m.author.type !== 'customer') item.append(el('span', { class: 'who' }, m.author.name ?? booted.inbox.name));
      item.append(el('span', { class: 'body' }, m.body));
      log.append(item);
      log.scrollTop = log.scrollHeight;
      return true;
    },
    /** A survey delivered in the chat: a rating scale, a comment box and a submit, answered in place. */
    addSurvey(sv: WidgetSurvey) {
      if (seen.has(sv.sendId)) return;
      seen.add(sv.sendId);
      const fr = sv.lang.startsWith('fr');
      const form = el('form', { class: 'msg agent survey', 'data-send': sv.sendId, 'aria-label': sv.title, novalidate: '' });
      const fieldset = el('fieldset');
      fieldset.append(el('legend', {}, sv.question));
      const scale = el('div', { class: 'scale' });
      const note = el('p', { class: 'note', role: 'status' });
      let score: number | null = null;
      const buttons: HTMLButtonElement[] = [];
      for (let n = sv.min; n <= sv.max; n++) {
        const b = el(
          'button',
          { type: 'button', 'aria-pressed': 'false', 'aria-label': fr ? `Note ${n} sur ${sv.max}` : `Rate ${n} out of ${sv.max}` },
          String(n),
        );
        b.addEventListener('click', () => {
          score = n;
          note.textContent = '';
          for (const x of buttons) x.setAttribute('aria-pressed', String(x === b));
        });
        buttons.push(b);
        scale.append(b);
      }
      const ends = el('div', { class: 'ends', 'aria-hidden': 'true' });
      ends.append(el('span', {}, sv.low), el('span', {}, sv.high));
      fieldset.append(scale, ends);
      const label = el('label', {}, sv.commentPrompt);
      const comment = el('textarea', { name: 'comment', rows: '2', maxlength: '5000' });
      label.append(comment);
      const submit = el('button', { type: 'submit', class: 'send' }, sv.send);
      form.append(el('strong', {}, sv.title), fieldset, label, submit, note);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (score === null) {
          note.textContent = fr ? 'Choisissez une note.' : 'Please choose a rating.';
          buttons[0]?.focus();
          return;
        }
        submit.disabled = true;
        answerFn(sv.sendId, score, comment.value.trim()).then(
          (done) => {
            form.replaceChildren(el('strong', {}, sv.title), el('p', { role: 'status' }, done.thanks));
            waiting--;
            badge();
          },
          (err: Error) => {
            submit.disabled = false;
            note.textContent = err.message;
          },
        );
      });
      log.append(form);
      log.scrollTop = log.scrollHeight;
      waiting++;
      badge();
    },
    onAnswer(fn: typeof answerFn) {
      answerFn = fn;
    },
    askEmail(isAsked: boolean) {
      offline.hidden = !isAsked;
    },
    say(text: string) {
      status.textContent = text;
    },
    onSend(fn: (body: string) => Promise<void>) {
      composer.addEventListener('submit', (e) => {
        e.preventDefault();
        const body = input.value.trim();
        if (!body) return;
        send.disabled = true;
        fn(body)
          .then(
            () => {
              input.value = '';
              input.style.height = 'auto';
              status.textContent = '';
            },
            (err: Error) => (status.textContent = `Not sent: ${err.message}`),
          )
          .finally(() => {
            send.disabled = false;
            input.focus();
          });
      });
    },
    onEmail(fn: (email: string) => Promise<void>) {
      offline.addEventListener('submit', (e) => {
        e.preventDefault();
        if (!email.checkValidity()) {
          status.textContent = 'Please enter a valid email address.';
          email.focus();
          return;
        }
        fn(email.value.trim()).then(
          () => {
            offline.hidden = true;
            status.textContent = `Thanks! We will answer at ${email.value.trim()}.`;
          },
          (err: Error) => (status.textContent = `Not saved: ${err.message}`),
        );
      });
    },
  };
}

function connect(s: Session) {
  if (s.closed) return;
  const url = `${s.api.replace(/^http/, 'ws')}/widget/v1/ws?inbox=${encodeURIComponent(s.inbox)}&token=${encodeURIComponent(s.token)}`;
  const socket = new WebSocket(url);
  s.socket = socket;
  socket.onopen = () => {
    s.retry = 0;
    void catchUp(s);
  };
  socket.onmessage = (ev) => {
    let m: WidgetServerMessage;
    try {
      m = JSON.parse(String(ev.data)) as WidgetServerMessage;
    } catch {
      return;
    }
    if (m.type === 'hello') s.agentsOnline = m.agentsOnline;
    if (m.type === 'survey') ui?.addSurvey(m.survey);
    if (m.type === 'message') {
      ui?.add(m.message);
      socket.send(JSON.stringify({ type: 'seen', messageIds: [m.message.id] }));
    }
  };
  socket.onclose = () => {
    s.socket = null;
    if (s.closed) return;
    // Back off up to a minute; what was missed meanwhile comes from the history on reconnect.
    const delay = Math.min(60_000, 1000 * 2 ** s.retry++) * (0.5 + Math.random() / 2);
    s.timer = window.setTimeout(() => connect(s), delay);
  };
}

async function catchUp(s: Session) {
  const history = await call<WidgetHistory>(s, 'GET', 'messages').catch(() => null);
  for (const m of history?.data ?? []) ui?.add(m);
  const surveys = await call<WidgetSurveys>(s, 'GET', 'surveys').catch(() => null);
  for (const sv of surveys?.data ?? []) ui?.addSurvey(sv);
}

function trackPage(s: Session) {
  const url = location.href;
  if (s.closed || url === s.lastPage || !/^https?:/.test(url)) return;
  s.lastPage = url;
  void call(s, 'POST', 'page', { url, title: document.title.slice(0, 500), referrer: document.referrer }).catch(() => undefined);
}

let historyPatched = false;
function watchNavigation() {
  if (historyPatched) return;
  historyPatched = true;
  for (const name of ['pushState', 'replaceState'] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const out = original.apply(this, args);
      if (session) trackPage(session);
      return out;
    };
  }
  window.addEventListener('popstate', () => session && trackPage(session));
}

async function boot(opts: BootOptions) {
  if (session) shutdown(false);
  const api = (opts.api ?? defaultApi).replace(/\/+$/, '');
  const workspace = opts.workspace ?? '';
  const storageKey = `rapport:${workspace}:${opts.inbox ?? ''}`;
  const saved = storage()?.getItem(storageKey) ?? undefined;
  const query = workspace ? `&workspace=${encodeURIComponent(workspace)}` : '';
  let booted: WidgetBooted;
  try {
    booted = await call<WidgetBooted>(
      { api, inbox: opts.inbox ?? '', token: '' },
      'POST',
      'boot',
      { ...(saved ? { visitorToken: saved } : {}), ...(opts.user ? { user: opts.user } : {}) },
      query,
    );
  } catch (err) {
    console.warn(`Rapport chat: boot refused (${err instanceof Error ? err.message : String(err)})`);
    return;
  }
  storage()?.setItem(storageKey, booted.visitor.token);
  const s: Session = {
    api,
    inbox: booted.inbox.id,
    workspace: booted.inbox.workspaceId,
    token: booted.visitor.token,
    storageKey,
    booted,
    hasEmail: booted.visitor.hasEmail,
    agentsOnline: booted.agentsOnline,
    socket: null,
    retry: 0,
    timer: undefined,
    lastPage: '',
    closed: false,
  };
  session = s;
  ui = render(booted);
  for (const m of booted.history.data) ui.add(m);
  for (const sv of booted.surveys) ui.addSurvey(sv);
  ui.onAnswer((sendId, score, comment) =>
    call<WidgetSurveyAnswered>(s, 'POST', `surveys/${encodeURIComponent(sendId)}`, { score, ...(comment ? { comment } : {}) }),
  );
  ui.onSend(async (body) => {
    const sent = await call<WidgetSent>(s, 'POST', 'messages', { body });
    ui?.add(sent.message);
    s.hasEmail = sent.hasEmail;
    s.agentsOnline = sent.agentsOnline;
    ui?.askEmail(!sent.agentsOnline && !sent.hasEmail);
  });
  ui.onEmail(async (email) => {
    await call(s, 'POST', 'email', { email });
    s.hasEmail = true;
  });
  connect(s);
  trackPage(s);
  watchNavigation();
}

function shutdown(forget: boolean) {
  const s = session;
  if (!s) return;
  s.closed = true;
  window.clearTimeout(s.timer);
  s.socket?.close();
  // Intercom's rule: shutdown is signing out, so the next person on this device starts afresh.
  if (forget) storage()?.removeItem(s.storageKey);
  ui?.host.remove();
  session = null;
  ui = null;
}

function run(command: Command, options?: BootOptions) {
  if (command === 'boot') booting = boot(options ?? {});
  else if (command === 'shutdown') shutdown(true);
  else if (command === 'show' || command === 'hide') void (booting ?? Promise.resolve()).then(() => ui?.open(command === 'show'));
}

function install() {
  const queued = w.Rapport?.q ?? [];
  const api: RapportFn = (command, options) => run(command, options);
  api.loaded = true;
  w.Rapport = api;
  for (const args of Array.from(queued)) {
    const [command, options] = Array.from(args) as [Command, BootOptions | undefined];
    run(command, options);
  }
  const workspace = script?.dataset.workspace;
  const inbox = script?.dataset.inbox;
  const hasBoot = Array.from(queued).some((a) => a[0] === 'boot');
  if ((workspace || inbox) && !hasBoot) run('boot', { ...(workspace ? { workspace } : {}), ...(inbox ? { inbox } : {}) });
}

if (!w.Rapport?.loaded) {
  if (document.body) install();
  else document.addEventListener('DOMContentLoaded', install, { once: true });
}
