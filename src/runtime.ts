// The package's device lifecycle, as users see it. The context itself lives in src/graph/context.ts;
// nothing inside src/ imports this file (it sits at the top, beside index.ts).
export {
  init,
  destroy,
  getDevice,
  deviceInfo,
  flush,
  sync,
  debug,
  resetPeakMemory,
  memory,
  hasContext,
  type Context,
  type TellusInitOptions,
  type DebugOptions,
} from './graph/context.js';
