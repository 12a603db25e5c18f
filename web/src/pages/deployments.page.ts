/**
 * Deployments: state, replicas, the version or alias followed, the URL; one deployment's events,
 * with start and stop.
 */
import { actionBar, actionButton, type ActionBar } from '../actions.js';
import { api, apiSend, seg } from '../api.js';
import { h, link } from '../dom.js';
import { badge, fmtDate } from '../format.js';
import type { View } from '../router.js';
import type { Deployment } from '../types.js';
import { emptyState, errorBox, facts, pageHeader, section, table } from '../ui.js';

interface DeploymentEvent {
  at: string;
  level: string;
  message: string;
}

const versionOf = (d: Deployment) =>
  d.version?.name
    ? link(`/models/${seg(d.version.id)}`, `${d.version.name} v${d.version.version ?? '?'}`)
    : '—';

export async function deploymentsPage(view: View): Promise<void> {
  const { items } = await api<{ items: Deployment[] }>('/deployments');
  if (!view.isCurrent()) return;
  view.root.replaceChildren(
    pageHeader('Deployments'),
    items.length === 0
      ? emptyState(
          'No deployments yet — serve a registry version:',
          'npx modelyard deployments create churn-api gbdt-breast-cancer@production',
        )
      : table(
          ['Name', 'State', 'Replicas', 'Model', 'Version', 'URL', 'Updated'],
          items.map((d) => [
            link(`/deployments/${seg(d.name)}`, d.name),
            badge(d.status),
            d.replicas,
            h(
              'span',
              {},
              h('code', {}, d.model),
              d.followsAlias ? h('span', { class: 'muted' }, ' (follows alias)') : '',
            ),
            versionOf(d),
            h('a', { href: d.url }, d.url),
            fmtDate(d.updatedAt),
          ]),
          { numeric: [2], className: 'deployments' },
        ),
  );
}

export async function deploymentDetailPage(view: View): Promise<void> {
  await drawDeployment(view, actionBar(), view.params.name!);
}

/** Start when it is meant to be stopped, stop when it is meant to run. */
function lifecycleButton(bar: ActionBar, d: Deployment, redraw: () => Promise<unknown>) {
  const path = `/deployments/${seg(d.name)}`;
  return d.desiredState === 'stopped'
    ? actionButton(bar, { label: 'Start', act: () => apiSend('POST', `${path}/start`), done: redraw })
    : actionButton(bar, {
        label: 'Stop',
        danger: true,
        confirm: `Stop ${d.name}? It stops answering predictions at ${d.url} until started again.`,
        act: () => apiSend('POST', `${path}/stop`),
        done: redraw,
      });
}

async function drawDeployment(view: View, bar: ActionBar, name: string): Promise<void> {
  const d = await api<Deployment>(`/deployments/${seg(name)}`);
  let events: HTMLElement;
  try {
    const { items } = await api<{ items: DeploymentEvent[] }>(`/deployments/${seg(name)}/logs?limit=200`);
    events = items.length
      ? table(
          ['Time', 'Level', 'Message'],
          items.map((e) => [fmtDate(e.at), badge(e.level), e.message]),
        )
      : h('p', { class: 'muted' }, 'No events.');
  } catch (err) {
    events = errorBox(err);
  }
  if (!view.isCurrent()) return;
  const redraw = () => drawDeployment(view, bar, name).catch((err: unknown) => bar.fail(err));
  bar.set(lifecycleButton(bar, d, redraw));
  view.root.replaceChildren(
    pageHeader(d.name, badge(d.status), link('/deployments', '← all deployments')),
    bar.el,
    d.lastError ? h('p', { class: 'error' }, d.lastError) : '',
    section(
      'Summary',
      facts([
        ['Model', h('code', {}, d.model)],
        ['Follows alias', d.followsAlias ? 'yes' : 'no'],
        ['Version', versionOf(d)],
        ['Canary', d.canary ? `${d.canary.model} (${d.canary.weight}%)` : undefined],
        ['Replicas', String(d.replicas)],
        ['Desired state', d.desiredState],
        ['URL', h('a', { href: d.url }, d.url)],
        ['Created', fmtDate(d.createdAt)],
        ['Updated', fmtDate(d.updatedAt)],
      ]),
      d.readme ? h('pre', { class: 'readme' }, d.readme) : '',
    ),
    section('Events', events),
  );
}
