/** Display formats: dates in local time, durations, numbers, sizes and state badges. */
import { h } from './dom.js';

const pad = (n: number) => String(n).padStart(2, '0');

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const secs = Math.round(ms / 1000);
  if (secs < 60) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m}m ${pad(secs % 60)}s`;
  return `${Math.floor(m / 60)}h ${pad(m % 60)}m`;
}

/** From start to end, or to now while it is still going; '—' before it started. */
export function durationOf(start: string | null, end: string | null): string {
  if (!start) return '—';
  const to = end ? Date.parse(end) : Date.now();
  return fmtDuration(to - Date.parse(start));
}

export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(5)));
}

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

const TONES: Record<string, string> = {
  succeeded: 'ok',
  running: 'busy',
  ready: 'ok',
  published: 'ok',
  complete: 'ok',
  initialized: 'ok',
  queued: 'idle',
  draft: 'idle',
  stopped: 'idle',
  started: 'idle',
  paused: 'warn',
  starting: 'busy',
  training: 'busy',
  initializing: 'busy',
  predicting: 'busy',
  failed: 'bad',
  cancelled: 'muted',
  terminated: 'muted',
  archived: 'muted',
};

/** A coloured badge for a state name (unknown states get a neutral colour). */
export function badge(state: string): HTMLSpanElement {
  return h('span', { class: `badge tone-${TONES[state] ?? 'idle'}`, 'data-state': state }, state);
}
