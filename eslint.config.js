// Lint: typed rules that catch real bugs (floating promises, misused promises, unused code), no
// import cycles, and the layers of docs/design.md as restricted-import zones. Formatting is
// Prettier's job (.prettierrc.json); eslint-config-prettier turns off the rules that would fight it.
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';

// Each layer may import only from the layers before it: gpu <- graph <- ops <- autodiff <- nn,
// physics, profile (siblings that do not import each other) <- inverse <- the package root (index.ts,
// runtime.ts) <- examples, bench, test. scale/ (tasks, backends) sits on inverse/, below the root.
// viz/ (figures) sits beside them on graph/ alone, io/ (field data files) on graph/options.ts alone.
const src = (dir) => `./src/${dir}`;
const layers = [
  { name: 'gpu', target: src('gpu'), forbid: ['inverse', 'graph', 'ops', 'autodiff', 'nn', 'physics', 'profile', 'viz', 'io', 'scale'] },
  { name: 'graph', target: src('graph'), forbid: ['inverse', 'ops', 'autodiff', 'nn', 'physics', 'profile', 'viz', 'io', 'scale'] },
  { name: 'ops', target: src('ops'), forbid: ['inverse', 'autodiff', 'nn', 'physics', 'profile', 'viz', 'io', 'scale'] },
  { name: 'autodiff', target: src('autodiff'), forbid: ['inverse', 'nn', 'physics', 'profile', 'viz', 'io', 'scale'] },
  { name: 'nn', target: src('nn'), forbid: ['physics', 'inverse', 'profile', 'viz', 'io', 'scale'] },
  { name: 'physics', target: src('physics'), forbid: ['nn', 'inverse', 'profile', 'viz', 'io', 'scale'] },
  { name: 'profile', target: src('profile'), forbid: ['nn', 'physics', 'inverse', 'viz', 'io', 'scale'] },
  // Inversion workflows (PINNs, unrolled schemes, classical solvers) combine networks and physics.
  { name: 'inverse', target: src('inverse'), forbid: ['profile', 'viz', 'io', 'scale'] },
  // Scale-out (src/scale): the work API and the workloads it ships; nothing below imports it.
  { name: 'scale', target: src('scale'), forbid: ['profile', 'viz'] },
  // Figures draw host arrays: no GPU, no tensors (graph/ only for the argument checks).
  { name: 'viz', target: src('viz'), forbid: ['gpu', 'ops', 'autodiff', 'nn', 'physics', 'profile', 'inverse', 'io', 'scale'] },
  // Field data I/O is host code: bytes and typed arrays, no GPU, no tensors (graph/options only, below).
  { name: 'io', target: src('io'), forbid: ['gpu', 'ops', 'autodiff', 'nn', 'physics', 'profile', 'inverse', 'viz', 'scale'] },
];
const rootFiles = ['./src/index.ts', './src/runtime.ts'];
const zones = [
  ...layers.flatMap(({ name, target, forbid }) => [
    ...forbid.map((dir) => ({ target, from: src(dir), message: `layers: ${name}/ sits below ${dir}/ (docs/design.md)` })),
    { target, from: rootFiles, message: `layers: ${name}/ must not import the package root; import the module that owns the name` },
  ]),
  // Above autodiff/, ops that have a differentiable twin are used through it: a plain op there would
  // silently drop gradients. Creation ops, emit helpers and kernel launchers stay reachable.
  ...['nn', 'physics', 'profile', 'inverse'].map((dir) => ({
    target: src(dir),
    from: ['elementwise', 'reduce', 'layout', 'indexing', 'matmul', 'complex', 'fft'].map((m) => `./src/ops/${m}.ts`),
    message: `layers: ${dir}/ uses the differentiable ops (src/autodiff), not the plain ones they wrap`,
  })),
  // io/ takes only the argument checks from graph/: it must run where no tensor module can load.
  {
    target: src('io'),
    from: src('graph'),
    except: ['./options.ts'],
    message: 'layers: io/ is host-only; of graph/ it imports only options.ts (argument errors)',
  },
  // gpu/ runs any kernel and names none: each family registers its own shader.
  {
    target: src('gpu'),
    from: './shaders',
    message: 'layers: gpu/ names no kernel family; the module that uses a shader registers it (registerShader)',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-test/**', 'node_modules/**', 'coverage/**', 'bench/results/**', '**/*.d.ts', 'examples/**/output/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      // no-cycle parses each imported module: it needs the TypeScript parser for .ts files.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-self-import': 'error',
      'import-x/no-duplicates': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'draw randomness from a seeded generator (tl.seed, rng() in tests)',
        },
      ],
    },
  },
  {
    // Benchmarks and examples may time and seed as they like; tests must not (test/helpers.ts).
    files: ['bench/**', 'examples/**', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/helpers.ts'],
    rules: { 'no-restricted-syntax': 'off' }, // TELLUS_TEST_SEED=random draws its base seed here
  },
  prettier,
);
