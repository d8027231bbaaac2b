// The package for Node (`import * as tl from 'tellus/node'`): everything in the root plus the
// Node-only scale-out pieces (BullMQ backend and worker). One bundle, so one engine instance.
export * from './index.js';
export * from './scale/node/index.js';
