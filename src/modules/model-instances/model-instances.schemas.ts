import { Type } from '@sinclair/typebox';
import { Nullable } from '../../http/schemas.js';

// The naming rule is checked by the service, whose message says it in words.
export const InstanceName = Type.String({
  minLength: 1,
  maxLength: 253,
  description: 'Lowercase DNS-like name (MISTK ObjectInfo): letters, digits, `-`, `.`',
});

export const NameParams = Type.Object({ name: InstanceName });

export const CreateInstanceBody = Type.Object({ name: InstanceName }, { additionalProperties: false });

export const ObjectInfoSchema = Type.Object({
  kind: Type.String(),
  id: Type.String(),
  name: Type.String(),
  resourceVersion: Type.Integer({ description: 'Grows by one on every change' }),
  creationTime: Type.String({ description: 'YYYY-MM-DDTHH:MM:SS.ffffff (UTC)' }),
  modificationTime: Type.String(),
});

export const TaskSchema = Type.Object({
  id: Type.String({ description: 'uuid hex' }),
  operation: Type.String({ description: 'initialize, load_data, build_model, train, …' }),
  status: Type.String({ description: 'queued, running, complete or failed' }),
  error: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const InstanceViewSchema = Type.Object({
  objectInfo: ObjectInfoSchema,
  state: Type.String({
    description: 'MISTK state: started, initializing, initialized, ready, training, …, failed, terminated',
  }),
  payload: Type.Record(Type.String(), Type.Unknown()),
  task: Nullable(TaskSchema),
});

export const InstanceList = Type.Object({ items: Type.Array(InstanceViewSchema) });
