/** Entry: the top nav, the route table and the token indicator. */
import { getToken, setToken } from './api.js';
import { h } from './dom.js';
import { navigate, render, route, startRouter } from './router.js';
import { runsListPage } from './pages/runs-list.page.js';
import { runDetailPage } from './pages/run-detail.page.js';
import { compareRunsPage } from './pages/compare-runs.page.js';
import { modelsPage } from './pages/models.page.js';
import { modelVersionPage } from './pages/model-version.page.js';
import { deploymentDetailPage, deploymentsPage } from './pages/deployments.page.js';
import { datasetPage, datasetsPage, datasetVersionPage } from './pages/datasets.page.js';
import { instancesPage } from './pages/instances.page.js';
import { tuningJobPage, tuningJobsPage } from './pages/tuning.page.js';

const NAV: Array<[string, string, string]> = [
  ['runs', 'Runs', '/runs'],
  ['tuning', 'Tuning', '/tuning'],
  ['models', 'Models', '/models'],
  ['deployments', 'Deployments', '/deployments'],
  ['datasets', 'Datasets', '/datasets'],
  ['instances', 'Model instances', '/instances'],
];

route('/', 'runs', async () => navigate('/runs'));
route('/runs', 'runs', runsListPage);
route('/runs/:id', 'runs', runDetailPage);
route('/compare', 'runs', compareRunsPage);
route('/tuning', 'tuning', tuningJobsPage);
route('/tuning/:name', 'tuning', tuningJobPage);
route('/models', 'models', modelsPage);
route('/models/:id', 'models', modelVersionPage);
route('/deployments', 'deployments', deploymentsPage);
route('/deployments/:name', 'deployments', deploymentDetailPage);
route('/datasets', 'datasets', datasetsPage);
route('/datasets/:name', 'datasets', datasetPage);
route('/datasets/:name/:version', 'datasets', datasetVersionPage);
route('/instances', 'instances', instancesPage);

document
  .getElementById('nav')!
  .replaceChildren(
    ...NAV.map(([key, label, path]) =>
      h('a', { href: `/ui${path}`, 'data-link': true, 'data-nav': key }, label),
    ),
  );

/** Shows whether a token is in use, with a way to forget it. */
function drawAuth(): void {
  const el = document.getElementById('auth')!;
  if (!getToken()) {
    el.replaceChildren();
    return;
  }
  el.replaceChildren(
    h('span', { class: 'muted' }, 'token set '),
    h(
      'button',
      {
        class: 'link',
        type: 'button',
        onclick: () => {
          setToken(null);
          drawAuth();
          void render();
        },
      },
      'forget',
    ),
  );
}
window.addEventListener('storage', drawAuth);
document.addEventListener('submit', () => setTimeout(drawAuth, 0));
drawAuth();
startRouter();
