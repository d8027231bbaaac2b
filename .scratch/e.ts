import { fieldSpec } from '../src/viz/index.js';
try { fieldSpec([1, 2, 3], [2, 2], { title: 't', units: 'u', dz: 1, dx: 1 }); } catch (e) { console.log(String(e)); }
