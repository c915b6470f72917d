import { describe, expect, it } from 'vitest';
import { isPrivateAddress, privateAddressesOf, publicOnlyLookup } from './private-address.js';

describe('private addresses (SSRF guard)', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00:ec2::254', 'fe80::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1', 'garbage'])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });

  it('resolves names: localhost is private, an IP literal is judged as is', async () => {
    expect(await privateAddressesOf('localhost')).not.toEqual([]);
    expect(await privateAddressesOf('[::1]')).toEqual(['::1']);
    expect(await privateAddressesOf('8.8.8.8')).toEqual([]);
  });

  it('the connect-time lookup refuses a name that resolves to a private address', async () => {
    const error = await new Promise<Error | null>((resolve) => publicOnlyLookup('localhost', {}, (err) => resolve(err)));
    expect(error?.message).toContain('private address');
    expect((error as { code?: string }).code).toBe('EPRIVATEADDRESS');
  });
});
