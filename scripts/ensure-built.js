#!/usr/bin/env node
// Builds dist/ with tsc when it is missing or older than any source file, so `npm start`
// works straight after `npm ci` and never runs stale code.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '..');
const marker = path.join(root, 'dist', 'src', 'main.js');
const sources = ['src', 'agent', 'test/support', 'bench', 'scripts', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

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

let builtAt;
try {
  builtAt = fs.statSync(marker).mtimeMs;
} catch {
  builtAt = 0;
}
const sourcesAt = Math.max(...sources.map((s) => newestMtime(path.join(root, s))));
if (builtAt === 0 || sourcesAt > builtAt) {
  process.stderr.write('zerokey: building (tsc -p tsconfig.build.json)\n');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const now = new Date();
  fs.utimesSync(marker, now, now);
}
