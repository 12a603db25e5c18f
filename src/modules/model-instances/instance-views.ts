/**
 * Rows to MISTK shapes: ModelInstanceStatus with its ObjectInfo (times in MISTK's
 * `YYYY-MM-DDTHH:MM:SS.ffffff` form), the native view (status plus current task), WatchEvents.
 */
import type { InstanceRow, TaskRow } from './model-instances.repository.js';

/** Instance names follow MISTK ObjectInfo: lowercase DNS-like, at most 253 characters. */
export const INSTANCE_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
export const INSTANCE_NAME_MAX = 253;

export interface ObjectInfo {
  kind: 'ModelInstance';
  id: string;
  name: string;
  resourceVersion: number;
  creationTime: string;
  modificationTime: string;
}

export interface ModelInstanceStatus {
  objectInfo: ObjectInfo;
  state: string;
  payload: Record<string, unknown>;
}

export interface TaskView {
  id: string;
  operation: string;
  status: string;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InstanceView extends ModelInstanceStatus {
  task: TaskView | null;
}

export interface WatchEvent {
  eventType: 'added' | 'modified' | 'deleted';
  payload: ModelInstanceStatus;
}

/** ISO-8601 UTC (`…T06:29:14.123Z`) → MISTK's microsecond form without zone (`…T06:29:14.123000`). */
export function mistkTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z?$/.exec(iso);
  if (!m) return iso;
  return `${m[1]}.${(m[2] ?? '').padEnd(6, '0').slice(0, 6)}`;
}

export function toStatus(row: InstanceRow): ModelInstanceStatus {
  return {
    objectInfo: {
      kind: 'ModelInstance',
      id: row.id,
      name: row.name,
      resourceVersion: row.resource_version,
      creationTime: mistkTime(row.created_at),
      modificationTime: mistkTime(row.updated_at),
    },
    state: row.state,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

export function toTaskView(t: TaskRow): TaskView {
  return {
    id: t.id,
    operation: t.operation,
    status: t.status,
    error: t.error,
    createdAt: t.created_at,
    updatedAt: t.updated_at,
  };
}
