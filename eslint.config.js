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
