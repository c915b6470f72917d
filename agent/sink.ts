import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export type SinkFormat = 'raw' | 'json';

/** What the sink file holds: the raw JWT, or `{ accessToken, expiresAt }` (ISO 8601). */
export function sinkContent(format: SinkFormat, accessToken: string, expiresAt: Date): string {
  return format === 'json' ? `${JSON.stringify({ accessToken, expiresAt: expiresAt.toISOString() })}\n` : accessToken;
}

/**
 * Replaces `path` atomically: the content goes to a temporary file in the same directory (mode
 * 0600, flushed to disk), which is then renamed over the target, so a reader sees the old file or
 * the new one, never a part of either.
 */
export async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const file = await open(temp, 'wx', 0o600);
  try {
    await file.writeFile(content, 'utf8');
    await file.chmod(0o600);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await file.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
