// ESLint flat config. Syntax-only typescript-eslint (no type information) so `npm run lint`
// stays fast; `npm run typecheck` covers types. No stylistic rules: formatting is not linted.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Everything the project itself writes and runs. */
const PROJECT_FILES = [
  'src/**/*.ts',
  'bench/**/*.ts',
  'examples/**/*.ts',
  'test/**/*.ts',
  '*.config.ts',
  'bin/*.js',
];

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'scratch/', 'web/dist/', 'coverage/', '.assay/']),

  {
    files: PROJECT_FILES,
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: globals.node,
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks an argument or binding that is deliberately unused.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `any` is sometimes the honest type at a boundary; flag it, don't fail the build on it.
      '@typescript-eslint/no-explicit-any': 'warn',

      // Extra syntax-level rules that catch real bugs (none of them is about formatting).
      'array-callback-return': 'error',
      'no-constructor-return': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
    },
  },

  {
    // The per-cell path: what runs for every cell, call, evaluation or committed result. Two
    // object-literal forms are V8's slow path on Node 20 (docs/decisions.md, "No literal that
    // starts with a spread on the hot path"): each object they make costs ≈ 1–3 µs and is
    // promoted to the old generation with everything it points to, which is what made a
    // server's memory climb from run to run.
    files: [
      'src/core/engine/**/*.ts',
      'src/core/ports.ts',
      'src/storage/run-log.ts',
      'src/storage/run-row-results.ts',
      'src/storage/compiled.ts',
      'src/targets/prompt.ts',
      'src/targets/http.ts',
      'src/models/client.ts',
      'src/models/openai-chat.ts',
      'src/app/runs/cell-runner.ts',
      'src/app/runs/event-log.ts',
      'src/app/runs/events.ts',
      'src/queue/event-bus.ts',
      'src/http/sse.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ObjectExpression[properties.length>1] > SpreadElement:first-child',
          message: 'A literal that starts with a spread and goes on (`{ ...a, b }`) is V8\'s slow path: copy with `{ ...a }`, then set the fields, or write the fields out (docs/decisions.md).',
        },
        {
          selector: 'ObjectExpression > Property[kind=/^[gs]et$/]',
          message: 'An object literal with a getter or setter is V8\'s slow path: use a class (docs/decisions.md).',
        },
      ],
    },
  },

  {
    // The web page (web/): browser code, TSX.
    files: ['web/src/**/*.{ts,tsx}', 'web/vite.config.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'array-callback-return': 'error',
      'no-self-compare': 'error',
      'no-unreachable-loop': 'error',
    },
  },

  {
    // The repo's own tool configs: plain JS (ESM here, CommonJS for .cjs).
    files: ['eslint.config.js', '*.config.js', '*.config.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: globals.node },
  },
  {
    files: ['.dependency-cruiser.cjs', '*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
