/**
 * Input rules of the registry, shared by every surface (the native API's TypeBox schemas check
 * shapes; these check meaning, so ClearML and WMLA calls get the same answers).
 */
import { invalid } from '../../errors.js';
import type { MetadataEntryInput, MetricInput, Signature } from './registry.schemas.js';

const field = (f: string, message: string, reason = 'validation_failed') =>
  invalid(`${f} ${message}`, { reason, errors: [{ field: f, message }] });

/** Model names: trimmed, 1–255 characters, no control characters. */
export function checkModelName(raw: unknown, f = 'name'): string {
  if (typeof raw !== 'string') throw field(f, 'must be a string');
  const name = raw.trim();
  if (name === '') throw field(f, 'must not be empty');
  if (name.length > 255) throw field(f, 'must be at most 255 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw field(f, 'must not contain control characters');
  return name;
}

/** Tag lists keep their order, drop duplicates, and refuse `__$` (reserved for filter operators). */
export function checkTags(raw: unknown, f = 'tags'): string[] {
  if (!Array.isArray(raw)) throw field(f, 'must be a list of strings');
  const out: string[] = [];
  for (const t of raw) {
    if (typeof t !== 'string' || t.trim() === '') throw field(f, 'items must be non-empty strings');
    if (t.startsWith('__$'))
      throw field(f, `tag '${t}' must not start with __$ (reserved for filter operators)`);
    if (t.length > 255) throw field(f, 'items must be at most 255 characters');
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

export function checkMetadata(
  raw: unknown,
  f = 'metadata',
): Array<{ key: string; type: string; value: string }> {
  if (!Array.isArray(raw)) throw field(f, 'must be a list of {key, type, value}');
  const seen = new Map<string, { key: string; type: string; value: string }>();
  for (const e of raw as MetadataEntryInput[]) {
    if (!e || typeof e !== 'object' || typeof e.key !== 'string' || e.key === '')
      throw field(f, 'items need a non-empty key');
    if (e.key.includes('.') || e.key.startsWith('$'))
      throw field(f, `key '${e.key}' must not contain '.' or start with '$'`);
    if (e.value === undefined || e.value === null || typeof e.value === 'object')
      throw field(f, `value of '${e.key}' must be a string, number or boolean`);
    seen.set(e.key, {
      key: e.key,
      type: e.type === undefined || e.type === null ? '' : String(e.type),
      value: String(e.value),
    });
  }
  return [...seen.values()];
}

export function checkLabels(raw: unknown, f = 'labels'): Record<string, number> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw field(f, 'must be an object of label → integer id');
  for (const [k, v] of Object.entries(raw)) {
    if (!Number.isInteger(v)) throw field(f, `id of label '${k}' must be an integer`);
  }
  return raw as Record<string, number>;
}

export function checkSignature(raw: unknown, f = 'signature'): Signature | null {
  if (raw === null) return null;
  if (!raw || typeof raw !== 'object') throw field(f, 'must be {inputs: [{name, type}], outputs: [...]}');
  const s = raw as Partial<Signature>;
  const cols = (list: unknown, part: string) => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw field(`${f}.${part}`, 'must be a list of {name, type}');
    return list.map((c: { name?: unknown; type?: unknown }) => {
      if (!c || typeof c.name !== 'string' || typeof c.type !== 'string')
        throw field(`${f}.${part}`, 'items need string name and type');
      return { name: c.name, type: c.type };
    });
  };
  return { inputs: cols(s.inputs, 'inputs'), outputs: cols(s.outputs, 'outputs') };
}

export function checkMetrics(raw: unknown, f = 'metrics'): MetricInput[] {
  if (!Array.isArray(raw)) throw field(f, 'must be a list of {metric, variant, value}');
  return raw.map((m: Partial<MetricInput>) => {
    if (!m || typeof m.metric !== 'string' || m.metric === '') throw field(f, 'items need a metric name');
    if (typeof m.value !== 'number' || !Number.isFinite(m.value))
      throw field(f, `value of '${m.metric}' must be a finite number`);
    return {
      ...m,
      metric: m.metric,
      variant: typeof m.variant === 'string' ? m.variant : '',
      value: m.value,
    };
  });
}

const ALIAS = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;

/** Aliases: a letter then letters, digits, `_ . -` (never all digits: that would read as a version number). */
export function checkAlias(raw: unknown): string {
  if (typeof raw !== 'string' || !ALIAS.test(raw))
    throw field(
      'alias',
      'must start with a letter and hold only letters, digits, _ . - (at most 63)',
      'bad_alias',
    );
  return raw;
}

/** 0.0.0 → 1.0.0 on the first upload, then the next minor (O-RAN's model-management rule). */
export function nextArtifactVersion(current: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(current);
  if (!m || current === '0.0.0') return '1.0.0';
  return `${m[1]}.${Number(m[2]) + 1}.0`;
}

/** Artifact paths: relative, `/`-separated, no `.`/`..` segments, blob-key-safe characters. */
export function checkArtifactPath(raw: unknown): string {
  if (typeof raw !== 'string') throw field('path', 'must be a string');
  const p = raw.replace(/^\/+/, '');
  if (
    p === '' ||
    p.length > 500 ||
    !/^[A-Za-z0-9._\-@=+][A-Za-z0-9._\-@=+/]*$/.test(p) ||
    p.split('/').some((s) => s === '' || s === '.' || s === '..')
  )
    throw field(
      'path',
      `'${raw}' is not a valid artifact path (letters, digits, . _ - @ = + and / between parts)`,
      'bad_artifact_path',
    );
  return p;
}
