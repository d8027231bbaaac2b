// `import src from './foo.wgsl'` yields the shader source text
// (esbuild `text` loader, vitest plugin in vitest.config.ts).
declare module '*.wgsl' {
  const text: string;
  export default text;
}
