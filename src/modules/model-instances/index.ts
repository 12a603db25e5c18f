/** What other modules and compat surfaces may use of model instances: the service and its types. */
export {
  createModelInstancesService,
  checkInstanceName,
  DEFAULT_INSTANCE,
  type ModelInstancesService,
  type ModelInstancesDeps,
  type WatchListener,
} from './model-instances.service.js';
export type {
  ModelInstanceStatus,
  InstanceView,
  WatchEvent,
  ObjectInfo,
  TaskView,
} from './instance-views.js';
export { INSTANCE_STATES, type InstanceState } from './instance-machine.js';
