/** Shared page parts: headers, tables, empty and error states, the token form. */
import { ApiError, getToken, setToken } from './api.js';
import { h, type Child } from './dom.js';

export function pageHeader(title: string, ...extra: Child[]): HTMLElement {
  return h('div', { class: 'page-header' }, h('h1', {}, title), ...extra);
}

export function section(title: string, ...children: Array<Child | Child[]>): HTMLElement {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

/** A table; cells may be text or elements. `numeric` names the columns to right-align. */
export function table(
  headers: string[],
  rows: Array<Array<Child | Child[]>>,
  opts: { className?: string; numeric?: number[] } = {},
): HTMLTableElement {
  const num = new Set(opts.numeric ?? []);
  return h(
    'table',
    { class: `grid ${opts.className ?? ''}`.trim() },
    h('thead', {}, h('tr', {}, ...headers.map((x, i) => h('th', { class: num.has(i) ? 'num' : null }, x)))),
    h(
      'tbody',
      {},
      ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: num.has(i) ? 'num' : null }, c)))),
    ),
  );
}

/** Key/value pairs as a definition list; pairs with an undefined value are left out. */
export function facts(pairs: Array<[string, Child | Child[]]>): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    ...pairs.filter(([, v]) => v !== undefined).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]),
  );
}

/** What a page shows when there is nothing yet, with the command that makes something. */
export function emptyState(message: string, command?: string): HTMLElement {
  return h(
    'div',
    { class: 'empty' },
    h('p', {}, message),
    command ? h('pre', {}, h('code', {}, command)) : null,
  );
}

export function errorBox(err: unknown): HTMLElement {
  const status = err instanceof ApiError ? `API error ${err.status}: ` : 'Error: ';
  const message = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'error', role: 'alert' }, h('strong', {}, status), message);
}

/** Asked for when the API answers 401: the token is kept in localStorage and sent as a bearer. */
export function tokenForm(onSaved: () => void): HTMLElement {
  const input = h('input', {
    type: 'password',
    name: 'token',
    placeholder: 'API token',
    autocomplete: 'off',
    size: 48,
    required: true,
  });
  const rejected = getToken() !== null;
  return h(
    'form',
    {
      class: 'card token-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        setToken(input.value.trim());
        onSaved();
      },
    },
    h('h2', {}, 'API token needed'),
    h(
      'p',
      {},
      rejected
        ? 'The server refused the stored token (unknown or revoked). Paste another one.'
        : 'This server requires an API token. Paste one (it is kept in this browser only).',
    ),
    h(
      'p',
      { class: 'muted' },
      'Create one with ',
      h('code', {}, 'npx modelyard tokens create --role viewer --name ui'),
    ),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Use token')),
  );
}
