/** MISTK model instances: state, resourceVersion and the task in progress; refreshed while busy. */
import { api } from '../api.js';
import { h } from '../dom.js';
import { badge, fmtDate } from '../format.js';
import type { View } from '../router.js';
import type { Instance } from '../types.js';
import { emptyState, pageHeader, table } from '../ui.js';

const REFRESH_MS = 3000;

/** MISTK creation and modification times are UTC without a zone suffix. */
const utc = (t: string) => fmtDate(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);

export async function instancesPage(view: View): Promise<void> {
  const body = h('div', {});
  view.root.replaceChildren(pageHeader('Model instances'), body);
  const draw = async (): Promise<boolean> => {
    const { items } = await api<{ items: Instance[] }>('/model-instances');
    if (!view.isCurrent()) return false;
    body.replaceChildren(
      items.length === 0
        ? emptyState(
            'No model instances yet — create one (MISTK step-by-step training and prediction):',
            'npx modelyard instances create my-instance',
          )
        : table(
            ['Name', 'State', 'Resource version', 'Task', 'Created', 'Modified'],
            items.map((i) => [
              i.objectInfo.name,
              badge(i.state),
              i.objectInfo.resourceVersion,
              i.task
                ? h(
                    'span',
                    {},
                    `${i.task.operation} `,
                    badge(i.task.status),
                    i.task.error ? ` ${i.task.error}` : '',
                  )
                : '—',
              utc(i.objectInfo.creationTime),
              utc(i.objectInfo.modificationTime),
            ]),
            { numeric: [2], className: 'instances' },
          ),
    );
    return items.some((i) => i.task?.status === 'queued' || i.task?.status === 'running');
  };
  if (await draw()) view.poll(REFRESH_MS, draw);
}
