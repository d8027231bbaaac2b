// Every hand-written kernel family, inlined as text by the bundler (esbuild's text loader, or the
// vitest plugin in Node), so one bundle runs unmodified in Chrome, Deno and Node.
import acoustic from '../../shaders/acoustic.wgsl';
import elementwise from '../../shaders/elementwise.wgsl';
import calibrate from '../../shaders/calibrate.wgsl';
import complex from '../../shaders/complex.wgsl';
import creation from '../../shaders/creation.wgsl';
import fft from '../../shaders/fft.wgsl';
import gather from '../../shaders/gather.wgsl';
import layout from '../../shaders/layout.wgsl';
import lbfgs from '../../shaders/lbfgs.wgsl';
import matmul from '../../shaders/matmul.wgsl';
import optim from '../../shaders/optim.wgsl';
import reduce from '../../shaders/reduce.wgsl';
import spectral from '../../shaders/spectral.wgsl';

export const SHADERS: Record<string, string> = {
  'acoustic.wgsl': acoustic,
  'calibrate.wgsl': calibrate,
  'complex.wgsl': complex,
  'creation.wgsl': creation,
  'elementwise.wgsl': elementwise,
  'fft.wgsl': fft,
  'gather.wgsl': gather,
  'layout.wgsl': layout,
  'lbfgs.wgsl': lbfgs,
  'matmul.wgsl': matmul,
  'optim.wgsl': optim,
  'reduce.wgsl': reduce,
  'spectral.wgsl': spectral,
};

// A file whose source is partly generated (elementwise.wgsl's op table) registers a builder; init()
// compiles what the builders return, so a module above gpu/ can complete a template it owns.
const builders = new Map<string, (template: string) => string>();

export function generateShader(file: string, build: (template: string) => string): void {
  if (!(file in SHADERS)) throw new Error(`tellus: generateShader: no shader file ${file}`);
  builders.set(file, build);
}

/** Every shader's source as compiled: the templates with their generated parts filled in. */
export function shaderSources(): Record<string, string> {
  return Object.fromEntries(Object.entries(SHADERS).map(([file, code]) => [file, builders.get(file)?.(code) ?? code]));
}
