#!/usr/bin/env node
// Builds what is missing or older than its sources, so `npm start` works straight after `npm ci`
// and never runs stale code: dist/ with tsc, and the admin console (dist/console) with Vite.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

function builtAt(marker) {
  try {
    return fs.statSync(marker).mtimeMs;
  } catch {
    return 0;
  }
}

/** Runs `build` when `marker` is missing or older than any of `sources`, then touches the marker. */
function ensure(marker, sources, label, build) {
  const at = builtAt(marker);
  const sourcesAt = Math.max(...sources.map((s) => newestMtime(path.join(root, s))));
  if (at !== 0 && sourcesAt <= at) return;
  process.stderr.write(`zerokey: building (${label})\n`);
  build();
  const now = new Date();
  fs.utimesSync(marker, now, now);
}

ensure(
  path.join(root, 'dist', 'src', 'main.js'),
  ['src', 'agent', 'test/support', 'bench', 'scripts', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'],
  'tsc -p tsconfig.build.json',
  () => execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' }),
);

// The console bundles docs/troubleshooting.md and the warning rules of src/kubernetes-auth.
ensure(
  path.join(root, 'dist', 'console', 'index.html'),
  ['console', 'docs/troubleshooting.md', 'src/kubernetes-auth/config-warnings.ts', 'package-lock.json'],
  'vite build --config console/vite.config.ts',
  () => execFileSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' }),
);
