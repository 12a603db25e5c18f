/**
 * Line charts drawn as SVG by hand (no chart library): axes with rounded ticks, the series as
 * one path, and a hover guide that shows the nearest point's step and value.
 */
import { h, s } from './dom.js';
import { fmtNum } from './format.js';

export interface Point {
  x: number;
  y: number;
}

const W = 520;
const H = 220;
const M = { left: 60, right: 16, top: 14, bottom: 34 };

/** About `count` evenly spaced round numbers (1, 2 or 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((st) => st >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

function extent(values: number[]): [number, number] {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** A chart of one series; `points` are sorted by x here. */
export function lineChart(title: string, points: Point[], xLabel = 'step'): HTMLElement {
  const pts = [...points].sort((a, b) => a.x - b.x);
  const [x0, x1] = extent(pts.map((p) => p.x));
  const [y0, y1] = extent(pts.map((p) => p.y));
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * innerW;
  const sy = (y: number) => M.top + innerH - ((y - y0) / (y1 - y0)) * innerH;

  const xTicks = niceTicks(x0, x1, 6).filter((t) => Number.isInteger(t) || x1 - x0 < 6);
  const yTicks = niceTicks(y0, y1, 5);
  const axes = s(
    'g',
    { class: 'axes' },
    ...yTicks.map((t) =>
      s(
        'g',
        {},
        s('line', { class: 'grid', x1: M.left, x2: W - M.right, y1: sy(t), y2: sy(t) }),
        s('text', { class: 'tick', x: M.left - 6, y: sy(t) + 4, 'text-anchor': 'end' }, fmtNum(t)),
      ),
    ),
    ...xTicks.map((t) =>
      s('text', { class: 'tick', x: sx(t), y: H - M.bottom + 16, 'text-anchor': 'middle' }, fmtNum(t)),
    ),
    s('line', { class: 'axis', x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }),
    s('line', { class: 'axis', x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }),
    s('text', { class: 'label', x: M.left + innerW / 2, y: H - 4, 'text-anchor': 'middle' }, xLabel),
  );
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  const line = s('path', { class: 'line', d, 'data-points': pts.length });
  const dots =
    pts.length <= 40 ? pts.map((p) => s('circle', { class: 'dot', cx: sx(p.x), cy: sy(p.y), r: 2.5 })) : [];

  const guide = s('line', { class: 'guide', y1: M.top, y2: H - M.bottom, visibility: 'hidden' });
  const marker = s('circle', { class: 'marker', r: 4, visibility: 'hidden' });
  const tip = s('text', { class: 'tip', y: M.top + 12, visibility: 'hidden' });
  const overlay = s('rect', { class: 'overlay', x: M.left, y: M.top, width: innerW, height: innerH });
  const svg = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} over ${xLabel}` },
    axes,
    line,
    ...dots,
    guide,
    marker,
    tip,
    overlay,
  );
  overlay.addEventListener('mousemove', (ev) => {
    const box = svg.getBoundingClientRect();
    const x = ((ev.clientX - box.left) / box.width) * W;
    let best = pts[0]!;
    for (const p of pts) if (Math.abs(sx(p.x) - x) < Math.abs(sx(best.x) - x)) best = p;
    const px = sx(best.x);
    for (const el of [guide, marker, tip]) el.setAttribute('visibility', 'visible');
    guide.setAttribute('x1', String(px));
    guide.setAttribute('x2', String(px));
    marker.setAttribute('cx', String(px));
    marker.setAttribute('cy', String(sy(best.y)));
    tip.textContent = `${xLabel} ${fmtNum(best.x)}: ${fmtNum(best.y)}`;
    const right = px > M.left + innerW / 2;
    tip.setAttribute('x', String(right ? px - 6 : px + 6));
    tip.setAttribute('text-anchor', right ? 'end' : 'start');
  });
  overlay.addEventListener('mouseleave', () => {
    for (const el of [guide, marker, tip]) el.setAttribute('visibility', 'hidden');
  });
  const last = pts[pts.length - 1];
  return h(
    'figure',
    { class: 'chart-box', 'data-metric': title },
    h(
      'figcaption',
      {},
      h('strong', {}, title),
      last ? h('span', { class: 'muted' }, ` last ${fmtNum(last.y)}`) : null,
    ),
    svg,
  );
}

/** One chart per metric name, from `{name, step, value}` points; names with one point are left out. */
export function chartsByName(points: Array<{ name: string; step: number; value: number }>): HTMLElement[] {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const g = groups.get(p.name) ?? [];
    g.push({ x: p.step, y: p.value });
    groups.set(p.name, g);
  }
  return [...groups.entries()]
    .filter(([, pts]) => pts.length > 1)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, pts]) => lineChart(name, pts));
}
