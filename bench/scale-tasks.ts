// A task that does nothing, for bench/scale.ts: its time on a backend is the coordination overhead.
import { defineTask } from '../src/index.js';

defineTask('noop', (params) => Promise.resolve({ value: params }));
