import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { BootstrapCaller } from './accounts.service.js';

/** 127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6. */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/**
 * What the bootstrap rule needs to know of a request. "Local" is judged on the TCP peer itself,
 * never on X-Forwarded-For (which TRUST_PROXY would let a client write), and a request that went
 * through a proxy on this machine (it carries a forwarding header) is not local.
 */
export function bootstrapCaller(request: FastifyRequest): BootstrapCaller {
  const header = request.headers['x-bootstrap-token'];
  const forwarded = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  return {
    token: typeof header === 'string' ? header : undefined,
    local: !forwarded && isLoopback(request.raw.socket.remoteAddress),
  };
}
