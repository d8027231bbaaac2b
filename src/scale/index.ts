// Scale-out: the work API (tasks, blobs, backends) and the workloads that use it. The BullMQ
// backend and the worker are Node only and live in ./node/ (not re-exported here: the library
// bundle runs in browsers too).
export {
  type BlobRef,
  type BlobStore,
  defineTask,
  type Json,
  runTask,
  type Task,
  type TaskContext,
  type TaskHandler,
  type TaskResult,
  taskKinds,
} from './task.js';
export { LocalBackend, type LocalBackendOptions, MemoryBlobs, type RunOptions, type WorkBackend } from './backend.js';
export { ShotMisfit, shotBatches, shotFwi, type ShotFwiOptions, type ShotSurvey, surveyOptions } from './fwi.js';
export { shardTasks } from './datasets.js';
export { defineModel, type EnsembleTaskOptions, type ModelRecipe, type ModelSpec, trainEnsembleTasks } from './ensemble.js';
