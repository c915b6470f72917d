import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKEN_PATH, parseOptions, UsageError } from './options.js';

const ID = '7F1C0D7E-0000-4000-8000-000000000000';
const base = ['--sink', '/tmp/t'];

describe('parseOptions', () => {
  it('reads ZEROKEY_URL and ZEROKEY_IDENTITY_ID, with the documented defaults', () => {
    const o = parseOptions(base, { ZEROKEY_URL: 'https://zk.example', ZEROKEY_IDENTITY_ID: ID });
    if (o === 'help') throw new Error('help');
    expect(o).toMatchObject({ identityId: ID.toLowerCase(), tokenPath: DEFAULT_TOKEN_PATH, sinkFormat: 'raw', once: false, listen: undefined, revokeOnExit: false, caCert: undefined, organizationSlug: undefined });
    expect(o.url.href).toBe('https://zk.example/');
    expect(o.timing).toEqual({ backoffBaseMs: 1000, backoffMaxMs: 300_000, requestTimeoutMs: 10_000 });
  });

  it('lets flags win over the environment and parses every flag', () => {
    const o = parseOptions([...base, '--url', 'http://a:1', '--identity-id', ID, '--token-path', '/t', '--sink-format', 'json', '--ca-cert', '/ca.pem', '--organization-slug', 'acme', '--once', '--listen', '127.0.0.1:9090', '--revoke-on-exit'], { ZEROKEY_URL: 'http://b', ZEROKEY_IDENTITY_ID: 'nope' });
    expect(o).toMatchObject({ tokenPath: '/t', sinkFormat: 'json', caCert: '/ca.pem', organizationSlug: 'acme', once: true, listen: { host: '127.0.0.1', port: 9090 }, revokeOnExit: true });
    expect(parseOptions([...base, '--url', 'http://a', '--identity-id', ID, '--listen', '9090'], {})).toMatchObject({ listen: { host: '0.0.0.0', port: 9090 } });
  });

  it('refuses what it cannot use, with a UsageError', () => {
    const env = { ZEROKEY_URL: 'http://a', ZEROKEY_IDENTITY_ID: ID };
    for (const [argv, extraEnv] of [
      [['--sink', '/t', '--bogus'], {}],
      [[], {}],
      [base, { ZEROKEY_URL: 'ftp://a' }],
      [base, { ZEROKEY_IDENTITY_ID: 'not-a-uuid' }],
      [[...base, '--sink-format', 'yaml'], {}],
      [[...base, '--listen', 'x:99999'], {}],
      [base, { ZEROKEY_AGENT_BACKOFF_BASE_MS: '-1' }],
    ] as [string[], Record<string, string>][]) {
      expect(() => parseOptions(argv, { ...env, ...extraEnv }), argv.join(' ')).toThrow(UsageError);
    }
    expect(() => parseOptions(base, {})).toThrow(/ZEROKEY_URL/);
    expect(parseOptions(['--help'], {})).toBe('help');
  });
});
