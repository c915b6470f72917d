import { BlockList, isIP } from 'node:net';
import { LRUCache } from 'lru-cache';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `::ffff:10.0.0.1` is compared as `10.0.0.1`. */
export function normalizeIp(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return mapped ? mapped[1] : ip;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Null when invalid. */
export function parseCidr(value: string): Cidr | null {
  const [rawAddress, rawPrefix, extra] = value.trim().split('/');
  if (extra !== undefined || !rawAddress) return null;
  const address = normalizeIp(rawAddress);
  const version = isIP(address);
  if (version === 0) return null;
  const mapped = address !== rawAddress;
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (rawPrefix !== undefined) {
    if (!/^\d{1,3}$/.test(rawPrefix)) return null;
    prefix = Number(rawPrefix);
    if (mapped) {
      // A v4-mapped v6 CIDR (::ffff:10.0.0.0/104) keeps its meaning as v4 (10.0.0.0/8).
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    } else if (prefix > max) {
      return null;
    }
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Verdicts kept per matcher: a matcher never changes, and few client addresses ask it. */
const VERDICTS_KEPT = 1024;
/** Distinct trusted-IP lists whose matcher is kept (IpMatcher.of). */
const MATCHERS_KEPT = 10_000;

/** An immutable set of CIDRs answering "is this client IP inside?". */
export class IpMatcher {
  private readonly list = new BlockList();
  private readonly verdicts = new LRUCache<string, boolean>({ max: VERDICTS_KEPT });

  constructor(cidrs: Cidr[]) {
    for (const cidr of cidrs) this.list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }

  static fromStrings(values: string[]): IpMatcher {
    return new IpMatcher(values.map(parseCidr).filter((c): c is Cidr => c !== null));
  }

  /** The matcher of a list, parsed once per distinct list (and its verdicts kept with it). */
  static of(values: string[]): IpMatcher {
    const key = values.join(',');
    let matcher = matchers.get(key);
    if (!matcher) {
      matcher = IpMatcher.fromStrings(values);
      matchers.set(key, matcher);
    }
    return matcher;
  }

  contains(ip: string): boolean {
    let verdict = this.verdicts.get(ip);
    if (verdict === undefined) {
      // BlockList.check builds a SocketAddress per call: measurable on every authenticated request.
      const address = normalizeIp(ip);
      const version = isIP(address);
      verdict = version !== 0 && this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
      this.verdicts.set(ip, verdict);
    }
    return verdict;
  }
}

const matchers = new LRUCache<string, IpMatcher>({ max: MATCHERS_KEPT });
