// ESLint (flat config) with typescript-eslint; `npm run lint`, run by .ci/run. Unused locals and
// parameters are the compiler's job (tsconfig.json noUnusedLocals/noUnusedParameters).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
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
  {
    // The admin console runs in a browser; its hooks follow React's rules.
    files: ['console/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { window: 'readonly', document: 'readonly', sessionStorage: 'readonly', navigator: 'readonly', Response: 'readonly', Request: 'readonly', FormData: 'readonly', HTMLElement: 'readonly', URLSearchParams: 'readonly' } },
    rules: { ...reactHooks.configs.recommended.rules, 'no-console': 'error' },
  },
);
