import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConsoleDir, loadConsoleAssets } from './console-assets.js';

describe('loadConsoleAssets', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const build = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'zerokey-console-'));
    dirs.push(dir);
    for (const [path, body] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), body);
    }
    return dir;
  };

  it('maps each served file by its path under /ui/, hashed assets immutable, index.html revalidated', () => {
    const assets = loadConsoleAssets(build({ 'index.html': '<!doctype html>', 'assets/index-abc.js': 'x()', 'assets/index-abc.css': 'a{}', 'notes.md': 'not served' }));
    expect([...assets.keys()].sort()).toEqual(['assets/index-abc.css', 'assets/index-abc.js', 'index.html']);
    expect(assets.get('index.html')).toMatchObject({ contentType: 'text/html; charset=utf-8', immutable: false });
    expect(assets.get('assets/index-abc.js')).toMatchObject({ contentType: 'text/javascript; charset=utf-8', immutable: true });
    expect(assets.get('assets/index-abc.js')!.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(assets.get('assets/index-abc.js')!.etag).not.toBe(assets.get('assets/index-abc.css')!.etag);
  });

  it('is empty when the console was not built', () => {
    expect(loadConsoleAssets(build({ 'assets/orphan.js': 'x' })).size).toBe(0);
    expect(loadConsoleAssets(join(tmpdir(), 'zerokey-no-such-dir')).size).toBe(0);
  });

  it('finds dist/console from the source tree', () => {
    expect(defaultConsoleDir()).toMatch(/[/\\]dist[/\\]console$/);
  });
});
