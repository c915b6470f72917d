import { describe, expect, it } from 'vitest';
import { IpMatcher, normalizeIp, parseCidr } from './cidr.js';

describe('CIDR matching', () => {
  it('parses v4, v6 and bare addresses, refuses garbage', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: '2001:db8::', prefix: 32, family: 'ipv6' });
    expect(parseCidr('192.168.1.7')).toEqual({ address: '192.168.1.7', prefix: 32, family: 'ipv4' });
    for (const bad of ['', '10.0.0.0/33', '::/129', '10.0.0/8', 'host.example', '10.0.0.0/8/1', '10.0.0.0/-1', '10.0.0.0/ 8']) {
      expect(parseCidr(bad)).toBeNull();
    }
  });

  it('reads an IPv4-mapped IPv6 CIDR as the IPv4 range it names', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('::ffff:10.1.2.3')).toEqual({ address: '10.1.2.3', prefix: 32, family: 'ipv4' });
    expect(parseCidr('::ffff:10.0.0.0/8')).toBeNull();
    expect(IpMatcher.fromStrings(['::ffff:10.0.0.0/104']).contains('10.200.0.1')).toBe(true);
    expect(IpMatcher.fromStrings(['::ffff:10.0.0.0/104']).contains('11.0.0.1')).toBe(false);
  });

  it('compares IPv4-mapped IPv6 addresses as IPv4', () => {
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    const matcher = IpMatcher.fromStrings(['10.0.0.0/8']);
    expect(matcher.contains('::ffff:10.1.2.3')).toBe(true);
    expect(matcher.contains('::ffff:11.1.2.3')).toBe(false);
  });

  it('matches v4 and v6 ranges and nothing else', () => {
    const matcher = IpMatcher.fromStrings(['192.168.0.0/16', '2001:db8::/32', '127.0.0.1']);
    expect(matcher.contains('192.168.44.1')).toBe(true);
    expect(matcher.contains('192.169.0.1')).toBe(false);
    expect(matcher.contains('2001:db8:1::5')).toBe(true);
    expect(matcher.contains('2001:db9::1')).toBe(false);
    expect(matcher.contains('127.0.0.1')).toBe(true);
    expect(matcher.contains('127.0.0.2')).toBe(false);
    expect(matcher.contains('not-an-ip')).toBe(false);
  });

  it('the defaults admit every address', () => {
    const matcher = IpMatcher.fromStrings(['0.0.0.0/0', '::/0']);
    expect(matcher.contains('8.8.8.8')).toBe(true);
    expect(matcher.contains('::1')).toBe(true);
  });

  it('keeps answering the same after its verdicts are remembered and after they overflow', () => {
    const matcher = IpMatcher.fromStrings(['10.0.0.0/24']);
    const expected = (i: number): boolean => i < 256;
    // 3 000 distinct addresses (10.0.0.0 - 10.0.11.183): only the first 256 are inside; twice, so
    // the second pass reads remembered verdicts and the first overflows the memory of 1 024.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < 3000; i++) expect(matcher.contains(`10.0.${i >> 8}.${i & 255}`)).toBe(expected(i));
    }
    expect(matcher.contains('::ffff:10.0.0.7')).toBe(true);
    expect(matcher.contains('::ffff:10.0.1.7')).toBe(false);
  });
});
