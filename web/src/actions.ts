/**
 * Buttons that change something through the API. Each page keeps one ActionBar across its
 * redraws so a failure message stays visible until the next action; destructive actions ask
 * first (the browser's confirm, so a slip of the mouse cannot stop a deployment).
 */
import { h, type Child } from './dom.js';
import { errorBox } from './ui.js';

export interface ActionBar {
  /** The element to place on the page: the buttons, then the last failure. */
  el: HTMLElement;
  /** Replaces the buttons (pages call it on every redraw with what the new state allows). */
  set(...buttons: Child[]): void;
  /** Shows a failure (the API's message) under the buttons. */
  fail(err: unknown): void;
  /** Removes the failure message (a later action succeeded). */
  clear(): void;
}

export function actionBar(): ActionBar {
  const buttons = h('div', { class: 'actions-buttons' });
  const status = h('div', { class: 'actions-status' });
  return {
    el: h('div', { class: 'actions' }, buttons, status),
    set: (...children) => buttons.replaceChildren(h('div', { class: 'row' }, ...children)),
    fail: (err) => status.replaceChildren(errorBox(err)),
    clear: () => status.replaceChildren(),
  };
}

export interface ActionSpec {
  label: string;
  /** Asked before acting; declining does nothing. Set it for anything hard to undo. */
  confirm?: string;
  /** Drawn as a destructive (red) button. */
  danger?: boolean;
  /** The button's data-action (default: the label in lower case), which tests select by. */
  name?: string;
  act: () => Promise<unknown>;
  /** Redraws the page from the API once the action succeeded. */
  done: () => Promise<unknown>;
}

/** A button that runs `act`, then `done`; while it runs the button is disabled, failures go to `bar`. */
export function actionButton(bar: ActionBar, spec: ActionSpec): HTMLButtonElement {
  const button = h(
    'button',
    {
      type: 'button',
      class: spec.danger ? 'danger' : null,
      'data-action': spec.name ?? spec.label.toLowerCase(),
    },
    spec.label,
  );
  button.addEventListener('click', () => {
    if (spec.confirm && !window.confirm(spec.confirm)) return;
    button.disabled = true;
    void (async () => {
      try {
        await spec.act();
      } catch (err) {
        bar.fail(err);
        button.disabled = false;
        return;
      }
      bar.clear();
      await spec.done();
    })().catch((err: unknown) => bar.fail(err));
  });
  return button;
}
