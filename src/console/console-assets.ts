import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** One file of the console build, held in memory (the build is a few hundred KiB). */
export interface ConsoleAsset {
  body: Buffer;
  contentType: string;
  etag: string;
  /** Vite's hashed files under assets/ never change; index.html must be revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Where `npm run build` puts the console: `dist/console`. This module runs either compiled
 * (`dist/src/console/`) or from source under the tests (`src/console/`); both find the same folder.
 */
export function defaultConsoleDir(): string {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  return basename(root) === 'dist' ? join(root, 'console') : join(root, 'dist', 'console');
}

/**
 * The console build, read once at start into a map from URL path (relative to /ui/) to file.
 * Only these exact paths are ever answered, so no request path reaches the file system.
 * An empty map means the console was not built.
 */
export function loadConsoleAssets(dir: string): Map<string, ConsoleAsset> {
  const assets = new Map<string, ConsoleAsset>();
  if (!existsSync(join(dir, 'index.html'))) return assets;
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const file = join(folder, entry);
      if (statSync(file).isDirectory()) {
        walk(file);
        continue;
      }
      const type = TYPES[extname(entry).toLowerCase()];
      if (!type) continue;
      const path = relative(dir, file).split(sep).join('/');
      const body = readFileSync(file);
      assets.set(path, {
        body,
        contentType: type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: path.startsWith('assets/'),
      });
    }
  };
  walk(dir);
  return assets;
}
