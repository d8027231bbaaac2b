// The package's `main` is broken under ESM, so we import its module file; its types live at the package root.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
