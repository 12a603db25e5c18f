/**
 * What a model version page lets you change: publish it, archive or unarchive it, point an alias
 * (e.g. `production`) at it or take one off. Each calls the registry API and then redraws.
 */
import { type ActionBar, actionButton } from '../actions.js';
import { api, apiSend, seg } from '../api.js';
import { h } from '../dom.js';
import type { ModelVersion } from '../types.js';

interface AliasEntry {
  alias: string;
  versionId: string;
  version: number;
}

interface BatchReport {
  failed: Array<{ id: string; error: { message: string } }>;
}

/** The batch endpoints answer 200 with per-item failures; one version's failure is an error here. */
async function batch(action: 'archive' | 'unarchive', id: string): Promise<void> {
  const report = await apiSend<BatchReport>('POST', `/models/batch/${action}`, { ids: [id] });
  const failed = report.failed[0];
  if (failed) throw new Error(failed.error.message);
}

const aliasesPath = (m: ModelVersion) =>
  `/registered-models/${seg(m.name)}/aliases?project=${encodeURIComponent(m.project.id)}`;

/** Where `alias` points now among the model's versions, if anywhere. */
async function currentTarget(m: ModelVersion, alias: string): Promise<AliasEntry | undefined> {
  const { items } = await api<{ items: AliasEntry[] }>(aliasesPath(m));
  return items.find((a) => a.alias === alias);
}

/** Buttons for the version's state plus the alias form; `redraw` re-reads the version. */
export function modelActions(bar: ActionBar, m: ModelVersion, redraw: () => Promise<unknown>): HTMLElement[] {
  const label = `${m.name} v${m.version}`;
  const lifecycle = [
    m.ready
      ? null
      : actionButton(bar, {
          label: 'Publish',
          confirm: `Publish ${label}? Its files and content can then only change with force.`,
          act: () => apiSend('POST', `/models/${seg(m.id)}/ready`),
          done: redraw,
        }),
    m.archived
      ? actionButton(bar, { label: 'Unarchive', act: () => batch('unarchive', m.id), done: redraw })
      : actionButton(bar, {
          label: 'Archive',
          danger: true,
          confirm: `Archive ${label}? It is hidden from default listings.`,
          act: () => batch('archive', m.id),
          done: redraw,
        }),
  ];

  const input = h('input', {
    name: 'alias',
    placeholder: 'alias, e.g. production',
    'aria-label': 'Alias',
    size: 20,
  });
  const setAlias = async () => {
    const alias = input.value.trim();
    const target = alias ? await currentTarget(m, alias).catch(() => undefined) : undefined;
    if (
      target &&
      target.versionId !== m.id &&
      !window.confirm(`Move alias ${alias} of ${m.name} from v${target.version} to v${m.version}?`)
    )
      return false;
    await apiSend('PUT', `/models/${seg(m.id)}/aliases/${seg(alias)}`);
    return true;
  };
  const setButton = h('button', { type: 'submit', 'data-action': 'set-alias' }, 'Set alias');
  const form = h(
    'form',
    {
      class: 'row alias-form',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        setButton.disabled = true;
        setAlias().then(
          async (changed) => {
            setButton.disabled = false;
            if (!changed) return;
            bar.clear();
            await redraw();
          },
          (err: unknown) => {
            setButton.disabled = false;
            bar.fail(err);
          },
        );
      },
    },
    input,
    setButton,
  );
  return [...lifecycle.filter((b): b is HTMLButtonElement => b !== null), form];
}

/** An alias chip with a button that takes the alias off (after asking). */
export function aliasChip(bar: ActionBar, m: ModelVersion, alias: string, redraw: () => Promise<unknown>) {
  return h(
    'span',
    { class: 'alias', 'data-alias': alias },
    alias,
    actionButton(bar, {
      label: '×',
      name: 'remove-alias',
      confirm: `Remove alias ${alias} from ${m.name}?`,
      act: () =>
        apiSend(
          'DELETE',
          `/registered-models/${seg(m.name)}/aliases/${seg(alias)}?project=${encodeURIComponent(m.project.id)}`,
        ),
      done: redraw,
    }),
  );
}
