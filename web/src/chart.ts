/**
 * Line charts drawn as SVG by hand (no chart library): axes with rounded ticks, each series as
 * one path, a legend when there are several, and a hover guide that shows the nearest step's values.
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

/** One line of a chart: its points and, when there are several lines, a name and a colour. */
export interface Series {
  label: string;
  points: Point[];
  color?: string;
  /** 'dots': points without a connecting line (values that are not a sequence, e.g. trials). */
  draw?: 'line' | 'dots';
}

/** Distinct colours for the lines of a comparison, in order; they repeat past eight. */
export const PALETTE = [
  '#2f6fde',
  '#d9480f',
  '#2b8a3e',
  '#862e9c',
  '#c2255c',
  '#0b7285',
  '#e67700',
  '#5c940d',
];

/** A chart of one series; `points` are sorted by x here. */
export function lineChart(title: string, points: Point[], xLabel = 'step'): HTMLElement {
  return multiLineChart(title, [{ label: title, points }], xLabel);
}

/**
 * A chart of one or more series over a shared x axis; with two or more it gets a legend, and the
 * hover tip lists each series' value at the step under the pointer.
 */
export function multiLineChart(title: string, series: Series[], xLabel = 'step'): HTMLElement {
  const lines = series
    .filter((sr) => sr.points.length > 0)
    .map((sr) => ({ ...sr, points: [...sr.points].sort((a, b) => a.x - b.x) }));
  const all = lines.flatMap((sr) => sr.points);
  const [x0, x1] = extent(all.map((p) => p.x));
  const [y0, y1] = extent(all.map((p) => p.y));
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * innerW;
  const sy = (y: number) => M.top + innerH - ((y - y0) / (y1 - y0)) * innerH;
  const several = lines.length > 1;

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
  // An inline style, not the stroke attribute: the stylesheet's .line rule would beat an attribute.
  const colour = (sr: Series, prop: 'stroke' | 'fill') => (sr.color ? `${prop}: ${sr.color}` : null);
  const drawn = lines.flatMap((sr) => {
    const d = sr.points
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join('');
    const dotsOnly = sr.draw === 'dots';
    const path = s('path', {
      class: 'line',
      d,
      'data-points': sr.points.length,
      'data-series': several ? sr.label : null,
      style: colour(sr, 'stroke'),
    });
    const dots =
      sr.points.length <= 40 || dotsOnly
        ? sr.points.map((p) =>
            s('circle', {
              class: 'dot',
              cx: sx(p.x),
              cy: sy(p.y),
              r: dotsOnly ? 3.5 : 2.5,
              'data-series': several ? sr.label : null,
              style: colour(sr, 'fill'),
            }),
          )
        : [];
    return dotsOnly ? dots : [path, ...dots];
  });

  const guide = s('line', { class: 'guide', y1: M.top, y2: H - M.bottom, visibility: 'hidden' });
  const markers = lines.map((sr) =>
    s('circle', { class: 'marker', r: 4, visibility: 'hidden', style: colour(sr, 'stroke') }),
  );
  const tip = s('text', { class: 'tip', y: M.top + 12, visibility: 'hidden' });
  const overlay = s('rect', { class: 'overlay', x: M.left, y: M.top, width: innerW, height: innerH });
  const svg = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} over ${xLabel}` },
    axes,
    ...drawn,
    guide,
    ...markers,
    tip,
    overlay,
  );
  const hide = () => {
    for (const el of [guide, tip, ...markers]) el.setAttribute('visibility', 'hidden');
  };
  overlay.addEventListener('mousemove', (ev) => {
    const box = svg.getBoundingClientRect();
    const x = ((ev.clientX - box.left) / box.width) * W;
    let best = all[0]!;
    for (const p of all) if (Math.abs(sx(p.x) - x) < Math.abs(sx(best.x) - x)) best = p;
    const px = sx(best.x);
    hide();
    const values: string[] = [];
    lines.forEach((sr, i) => {
      const at = sr.points.find((p) => p.x === best.x);
      if (!at) return;
      const marker = markers[i]!;
      marker.setAttribute('cx', String(px));
      marker.setAttribute('cy', String(sy(at.y)));
      marker.setAttribute('visibility', 'visible');
      values.push(several ? `${sr.label} ${fmtNum(at.y)}` : fmtNum(at.y));
    });
    for (const el of [guide, tip]) el.setAttribute('visibility', 'visible');
    guide.setAttribute('x1', String(px));
    guide.setAttribute('x2', String(px));
    tip.textContent = `${xLabel} ${fmtNum(best.x)}: ${values.join(', ')}`;
    const right = px > M.left + innerW / 2;
    tip.setAttribute('x', String(right ? px - 6 : px + 6));
    tip.setAttribute('text-anchor', right ? 'end' : 'start');
  });
  overlay.addEventListener('mouseleave', hide);
  const last = several ? undefined : lines[0]?.points[lines[0].points.length - 1];
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
    several ? legend(lines) : null,
  );
}

/** Names with colour swatches, one per series, in drawing order. */
function legend(lines: Series[]): HTMLElement {
  return h(
    'ul',
    { class: 'legend' },
    ...lines.map((sr) =>
      h(
        'li',
        { 'data-series': sr.label },
        h('span', { class: 'swatch', style: sr.color ? `background: ${sr.color}` : null }),
        sr.label,
      ),
    ),
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
