import { describe, expect, it } from 'vitest';
import { mapClusterError } from './cluster-errors.js';

class FakeApiException extends Error {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP-Code: ${code}`);
  }
}

function systemError(code: string, name = 'FetchError'): Error {
  return Object.assign(new Error(`request failed, reason: ${code}`), { name, code, type: 'system' });
}

describe('mapClusterError', () => {
  it('maps 401 (body undefined) and 403 (Status JSON as a string)', () => {
    expect(mapClusterError(new FakeApiException(401, undefined), 5000).code).toBe('TokenReviewerUnauthorized');
    const forbidden = mapClusterError(new FakeApiException(403, JSON.stringify({ kind: 'Status', message: 'User "x" cannot create resource "tokenreviews"' })), 5000);
    expect(forbidden.code).toBe('TokenReviewerForbidden');
    expect(forbidden.message).toContain('system:auth-delegator');
    expect(forbidden.message).toContain('User "x" cannot create');
    expect(mapClusterError(new FakeApiException(403, 'not json'), 5000).code).toBe('TokenReviewerForbidden');
    expect(mapClusterError(new FakeApiException(500, '{}'), 5000).code).toBe('KubernetesBadResponse');
    expect(mapClusterError(new FakeApiException(404, undefined), 5000).status).toBe(502);
  });

  it('maps timeouts, TLS and network failures', () => {
    expect(mapClusterError(Object.assign(new Error('aborted'), { name: 'AbortError', type: 'aborted' }), 1500).code).toBe('KubernetesTimeout');
    expect(mapClusterError(systemError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 1).code).toBe('KubernetesTlsError');
    expect(mapClusterError(systemError('ERR_TLS_CERT_ALTNAME_INVALID'), 1).code).toBe('KubernetesTlsError');
    expect(mapClusterError(systemError('ECONNREFUSED'), 1).code).toBe('KubernetesUnreachable');
    expect(mapClusterError(systemError('ENOTFOUND'), 1).code).toBe('KubernetesUnreachable');
    expect(mapClusterError(new SyntaxError('Unexpected end of JSON input'), 1).code).toBe('KubernetesBadResponse');
    expect(mapClusterError('weird', 1).code).toBe('KubernetesBadResponse');
  });
});
