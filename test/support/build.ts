import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built entry point that specs spawn as a real process. */
export const MAIN_JS = join(ROOT, 'dist/src/main.js');

/**
 * `node scripts/ensure-built.js`, one spec at a time: two tsc runs writing dist/ at once would build
 * twice and could let a spec start a half-written main.js.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'zerokey-ensure-built.lock');
  const deadline = Date.now() + 90_000;
  let owned = false;
  while (!owned && Date.now() < deadline) {
    try {
      mkdirSync(lock);
      owned = true;
    } catch {
      // A lock left behind by a killed run is stale after two minutes.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      else await new Promise((done) => setTimeout(done, 250));
    }
  }
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/ensure-built.js')], { cwd: ROOT, stdio: 'pipe' });
  } finally {
    if (owned) rmSync(lock, { recursive: true, force: true });
  }
}
