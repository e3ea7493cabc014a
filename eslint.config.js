// Lint: typescript-eslint recommended rules, plus the dependency direction of docs/architecture.md
// enforced as import zones (core <- modalities <- pipelines/lifecycle/serving <- server/cli <- main),
// and no import cycles anywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const layer = (name) => `./src/${name}`;
const zones = [
  // core is pure: it imports nothing else from src.
  {
    target: layer('core'),
    from: [
      'adapters',
      'modalities',
      'pipelines',
      'lifecycle',
      'serving',
      'server',
      'cli',
      'config',
      'main.ts',
    ].map(layer),
    message: 'src/core is pure domain code: it may not import other layers.',
  },
  {
    target: layer('adapters'),
    from: ['modalities', 'pipelines', 'lifecycle', 'serving', 'server', 'cli', 'main.ts'].map(layer),
    message: 'An adapter implements a core port and depends on core only.',
  },
  {
    target: layer('modalities'),
    from: ['adapters', 'pipelines', 'lifecycle', 'serving', 'server', 'cli', 'main.ts'].map(layer),
  },
  {
    target: ['serving', 'lifecycle', 'pipelines', 'analysis', 'safety', 'security'].map(layer),
    from: ['adapters', 'server', 'cli', 'main.ts'].map(layer),
    message: 'Services depend on core ports, never on concrete adapters or the edge.',
  },
  {
    target: layer('server'),
    from: ['adapters', 'cli', 'main.ts'].map(layer),
    message: 'The edge calls services; adapters are wired in main.ts.',
  },
  { target: './client', from: './src', message: 'The client shares nothing with the server but the wire.' },
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'coverage/**', 'node_modules/**', 'web/**', 'models/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly' } },
  },
  {
    // Tests wire real adapters on purpose (no mocks where the real thing runs here); the layer
    // zones apply to production code.
    files: ['**/*.test.ts'],
    rules: { 'import-x/no-restricted-paths': 'off' },
  },
  {
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'src/core does no I/O: no node:* modules.' },
            { regex: '^(?!\\.)', message: 'src/core uses no vendor packages: write a port and an adapter.' },
          ],
        },
      ],
    },
  },
);
