import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createConnection } from 'mysql2/promise';
import { createApp } from '../../src/app.factory.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/config.schema.js';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Base URL of the listening server, e.g. http://127.0.0.1:41234 */
  url: string;
  dataDir: string;
  /** The SQLite file (sqlite runs) — to assert what is and is not stored at rest. */
  dbFile: string | undefined;
  close(): Promise<void>;
}

/** Where a test app's data lives, before the app starts (see `prepare` of startTestApp). */
export type TestDatabase = { dbType: 'sqlite'; dbFile: string } | { dbType: 'mysql'; dbUrl: string };

/**
 * Starts the real application (same factory as main.ts) on a private database: a fresh SQLite
 * file, or with DB_TYPE=mysql a fresh database on the server of DB_URL, dropped at close.
 * `env` overrides configuration variables exactly like the environment would; `prepare` may fill
 * the still empty database before the app (and its migrations) starts.
 */
export async function startTestApp(env: Record<string, string> = {}, prepare?: (db: TestDatabase) => Promise<void>): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zerokey-test-'));
  const dbType = process.env.DB_TYPE === 'mysql' ? 'mysql' : 'sqlite';
  const base: Record<string, string> = {
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PORT: '8080',
    HOST: '127.0.0.1',
  };
  let dropDatabase: (() => Promise<void>) | undefined;
  let dbFile: string | undefined;
  if (dbType === 'mysql') {
    const { url, drop } = await createMysqlDatabase();
    Object.assign(base, { DB_TYPE: 'mysql', DB_URL: url });
    dropDatabase = drop;
  } else {
    dbFile = join(dataDir, 'zerokey.sqlite');
    Object.assign(base, { DB_TYPE: 'sqlite', DB_PATH: dbFile });
  }
  await prepare?.(dbType === 'mysql' ? { dbType, dbUrl: base.DB_URL } : { dbType, dbFile: dbFile! });
  const config = loadConfig({ ...base, ...env });
  const app = await createApp(config);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    dataDir,
    dbFile,
    async close() {
      await app.close();
      await dropDatabase?.();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new, empty database on the MySQL/MariaDB server named by DB_URL (the CI user may create `zerokey_test%`). */
export async function createMysqlDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.DB_URL;
  if (!serverUrl) throw new Error('DB_TYPE=mysql needs DB_URL (mysql://user:pass@127.0.0.1:3306/zerokey_test)');
  const url = new URL(serverUrl);
  const name = `${url.pathname.slice(1) || 'zerokey_test'}_${randomBytes(5).toString('hex')}`;
  const serverOnly = new URL(serverUrl);
  serverOnly.pathname = '/';
  const admin = await createConnection({ uri: serverOnly.toString() });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const conn = await createConnection({ uri: serverOnly.toString() });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
