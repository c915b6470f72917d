// ESLint (flat config) with typescript-eslint; `npm run lint`, run by .ci/run. Unused locals and
// parameters are the compiler's job (tsconfig.json noUnusedLocals/noUnusedParameters).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', performance: 'readonly', structuredClone: 'readonly', fetch: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-console': 'error',
      // CommonJS leftovers type-check (the node types declare them) but throw in an ES module.
      'no-restricted-globals': ['error', 'require', 'module', 'exports', '__dirname', '__filename'],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Tests and tools read arbitrary JSON bodies.
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
