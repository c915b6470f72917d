import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.schema.js';

describe('loadConfig', () => {
  it('starts with no configuration at all, on embedded SQLite', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dbType: 'sqlite', dbPath: 'data/zerokey.sqlite', dataDir: 'data', kubernetesTimeoutMs: 5000, loginRateLimit: 1200, trustProxy: false, allowPrivateKubernetesHosts: true, publicUrl: 'http://localhost:8080', logLevel: 'info' });
    expect(config.encryptionKey).toBeUndefined();
  });

  it.each([
    [{ PORT: '0' }, 'PORT must be an integer 1-65535'],
    [{ PORT: '70000' }, 'PORT must be an integer 1-65535'],
    [{ PORT: 'eighty' }, 'PORT must be an integer 1-65535'],
    [{ DB_TYPE: 'postgres' }, 'DB_TYPE must be sqlite or mysql'],
    [{ DB_TYPE: 'mysql' }, 'DB_URL is required when DB_TYPE=mysql'],
    [{ DB_TYPE: 'mysql', DB_URL: 'postgres://x@y/z' }, 'DB_URL must look like mysql://'],
    [{ NODE_ENV: 'production' }, 'ENCRYPTION_KEY is required when NODE_ENV=production'],
    [{ ENCRYPTION_KEY: 'c2hvcnQ=' }, 'ENCRYPTION_KEY must be 32 bytes'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL must be an http(s) URL'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY must be true, false, a hop count 1-10, or proxy IPs/CIDRs'],
    [{ TRUST_PROXY: '11' }, 'TRUST_PROXY must be'],
    [{ TRUST_PROXY: '10.0.0.0/8,nope' }, 'TRUST_PROXY must be'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ KUBERNETES_TIMEOUT_MS: '5' }, 'KUBERNETES_TIMEOUT_MS must be an integer 100-120000'],
    [{ LOGIN_RATE_LIMIT: '-1' }, 'LOGIN_RATE_LIMIT must be an integer'],
    [{ BOOTSTRAP_EMAIL: 'a@b.co' }, 'must be set together'],
    [{ BOOTSTRAP_EMAIL: 'a@b.co', BOOTSTRAP_PASSWORD: 'short', BOOTSTRAP_ORGANIZATION: 'Acme' }, 'BOOTSTRAP_PASSWORD must be 12-256 characters'],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes TRUST_PROXY as a switch, a hop count or the proxies’ addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.5']);
  });

  it('accepts production with a 32-byte key and MySQL', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({ NODE_ENV: 'production', ENCRYPTION_KEY: key, DB_TYPE: 'mysql', DB_URL: 'mysql://u:p@127.0.0.1:3306/zk', PORT: '9000' });
    expect(config).toMatchObject({ production: true, encryptionKey: key, dbType: 'mysql', port: 9000 });
  });
});
