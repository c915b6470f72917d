import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// The suite against a real kube-apiserver + etcd (test/support/kube-apiserver/), built by
// scripts/kube-binaries.sh. Separate from vitest.config.mts: it needs the binaries and minutes of CPU.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' } })],
  test: {
    include: ['test/kube/**/*.kube-spec.ts'],
    environment: 'node',
    globals: false,
    testTimeout: 60_000,
    // Each file starts its own etcd + kube-apiserver once (seconds on two shared cores).
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    setupFiles: ['test/setup-env.ts'],
  },
});
