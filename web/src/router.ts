/**
 * History routing under /ui: a route table of path patterns → page functions. Each render gets a
 * fresh View; navigating away marks the old one stale, which stops its refresh loops.
 */
import { ApiError } from './api.js';
import { errorBox, tokenForm } from './ui.js';

export const BASE = '/ui';

export interface View {
  /** Where the page draws. */
  root: HTMLElement;
  params: Record<string, string>;
  query: URLSearchParams;
  /** False once the user has navigated away. */
  isCurrent(): boolean;
  /** Calls `fn` every `ms` while the page is current and `fn` answers true (keep going). */
  poll(ms: number, fn: () => Promise<boolean>): void;
  /** Shows an error (or the token form on 401) in place of the page. */
  fail(err: unknown): void;
}

export type Page = (view: View) => Promise<void>;

interface Route {
  pattern: RegExp;
  keys: string[];
  page: Page;
  nav: string;
}

const routes: Route[] = [];
let current = 0;

/** Adds a route: `/runs/:id` binds `id`; `nav` names the top-nav entry to highlight. */
export function route(path: string, nav: string, page: Page): void {
  const keys: string[] = [];
  const source = path.replace(/:([A-Za-z]+)/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page, nav });
}

export function navigate(path: string): void {
  history.pushState(null, '', `${BASE}${path}`);
  void render();
}

function match(path: string): { route: Route; params: Record<string, string> } | null {
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
    return { route: r, params };
  }
  return null;
}

function highlight(nav: string): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
    a.classList.toggle('active', a.dataset.nav === nav);
}

export async function render(): Promise<void> {
  const id = ++current;
  const app = document.getElementById('app')!;
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) || '/' : '/';
  const found = match(path);
  const root = document.createElement('div');
  app.replaceChildren(root);
  const view: View = {
    root,
    params: found?.params ?? {},
    query: new URLSearchParams(location.search),
    isCurrent: () => id === current,
    poll(ms, fn) {
      const tick = () => {
        if (!view.isCurrent()) return;
        fn().then(
          (again) => {
            if (again && view.isCurrent()) setTimeout(tick, ms);
          },
          (err: unknown) => view.fail(err),
        );
      };
      setTimeout(tick, ms);
    },
    fail(err) {
      if (!view.isCurrent()) return;
      if (err instanceof ApiError && err.status === 401) root.replaceChildren(tokenForm(() => void render()));
      else root.replaceChildren(errorBox(err));
    },
  };
  if (!found) {
    highlight('');
    root.replaceChildren(errorBox(new Error(`no page at ${location.pathname}`)));
    return;
  }
  highlight(found.route.nav);
  try {
    await found.route.page(view);
  } catch (err) {
    view.fail(err);
  }
}

/** Client-side navigation for links marked data-link; modified clicks open tabs as usual. */
export function startRouter(): void {
  document.addEventListener('click', (ev) => {
    const a = (ev.target as Element | null)?.closest?.('a[data-link]');
    if (!(a instanceof HTMLAnchorElement) || ev.defaultPrevented || ev.button !== 0) return;
    if (ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    const url = new URL(a.href);
    navigate(url.pathname.slice(BASE.length) + url.search);
  });
  window.addEventListener('popstate', () => void render());
  void render();
}
