/**
 * What the user types for the `modelyard datasets …` commands: dataset references
 * (`name[@version]`) and the option parsers the commands share.
 */
import { CliError } from './client.js';

export const collect = (v: string, prev: string[]) => [...prev, v];
export const int = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new CliError(`'${v}' is not a number`);
  return n;
};

/** `name` or `name@version` → path segments; version defaults to latest. */
export function parseRef(ref: string): { name: string; version: string } {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return { name: ref, version: 'latest' };
  const version = ref.slice(at + 1);
  if (!/^([1-9]\d*|latest)$/.test(version))
    throw new CliError(`'${ref}': the version after @ must be a number or latest`);
  return { name: ref.slice(0, at), version };
}

export const versionPath = (ref: string) => {
  const r = parseRef(ref);
  return `/api/v1/datasets/${encodeURIComponent(r.name)}/versions/${r.version}`;
};
