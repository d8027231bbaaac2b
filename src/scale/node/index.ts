// Node-only scale-out: the BullMQ backend and worker, shared-folder blobs, a local cluster.
export { BullBackend, type BullOptions, jobId, startWorker, type TaskWorker, type WorkerOptions } from './bullmq.js';
export { FolderBlobs, INLINE_LIMIT } from './blobs.js';
export { freePort, type Spawned, spawnUntil, startRedis, startWorkerProcess } from './cluster.js';
