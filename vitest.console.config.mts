import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// The admin console in a real browser (Debian's chromium through playwright-core) against the real
// service and the Kubernetes simulator; `npm run test:console` builds the console first.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['test/console/**/*.console-spec.ts'],
    environment: 'node',
    globals: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    setupFiles: ['test/setup-env.ts'],
  },
});
