import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error.js';
import { DEFAULT_SETTINGS, parsesAsCertificates, resolveSettings } from './kubernetes-auth-config.rules.js';

function details(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('ValidationError');
    return (error as DomainError).details ?? [];
  }
  throw new Error('expected a ValidationError');
}

const minimal = { kubernetesHost: 'https://k8s.example:6443', allowedNamespaces: 'shop' };

describe('Kubernetes auth config rules', () => {
  it('applies the documented defaults on attach; the source follows the JWT', () => {
    const withJwt = resolveSettings(null, { ...minimal, tokenReviewerJwt: 'jwt' }, false);
    expect(withJwt.settings).toEqual({ ...DEFAULT_SETTINGS, ...minimal, tokenReviewerSource: 'stored' });
    expect(withJwt.jwtStored).toBe(true);
    expect(resolveSettings(null, minimal, false).settings.tokenReviewerSource).toBe('client');
  });

  it('warns about a missing audience and disabled TLS verification, and nothing else when all is well', () => {
    expect(resolveSettings(null, minimal, false).warnings.map((w) => w.code)).toEqual(['AudienceNotSet']);
    expect(resolveSettings(null, { ...minimal, tokenReviewerJwt: 'j', allowedAudience: 'zerokey' }, false).warnings).toEqual([]);
    const insecure = resolveSettings(null, { ...minimal, kubernetesHost: 'http://k8s:8080', verifyTlsCertificate: false, tokenReviewerJwt: 'j', allowedAudience: 'zerokey' }, false);
    expect(insecure.warnings.map((w) => w.code)).toEqual(['TlsVerificationDisabled']);
  });

  it.each([
    [{ allowedNamespaces: 'shop' }, 'kubernetesHost'],
    [{ ...minimal, kubernetesHost: 'http://k8s:8080' }, 'kubernetesHost'],
    [{ ...minimal, kubernetesHost: 'ftp://k8s' }, 'kubernetesHost'],
    [{ ...minimal, kubernetesHost: 'https://user:pw@k8s' }, 'kubernetesHost'],
    [{ ...minimal, kubernetesHost: 'not a url' }, 'kubernetesHost'],
    [{ ...minimal, caCert: 'hello' }, 'caCert'],
    [{ ...minimal, caCert: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----' }, 'caCert'],
    [{ ...minimal, tokenReviewerSource: 'stored' as const }, 'tokenReviewerJwt'],
    [{ ...minimal, accessTokenTTL: 7200, accessTokenMaxTTL: 3600 }, 'accessTokenTTL'],
    [{ ...minimal, allowedNamespaces: ' , ,' }, 'allowedNamespaces'],
    [{ ...minimal, allowedServiceAccounts: 'shop' }, 'allowedServiceAccounts'],
    [{ ...minimal, accessTokenTrustedIps: [] }, 'accessTokenTrustedIps'],
  ])('refuses %j (field %s)', (patch, field) => {
    expect(details(() => resolveSettings(null, patch, false)).map((d) => d.field)).toContain(field);
  });

  it('in-cluster needs no host, and takes no other host than its own cluster', () => {
    expect(resolveSettings(null, { tokenReviewerSource: 'in-cluster', allowedNamespaces: '*' }, false).settings.kubernetesHost).toBe('');
    expect(resolveSettings(null, { tokenReviewerSource: 'in-cluster', kubernetesHost: 'https://kubernetes.default.svc', allowedNamespaces: '*' }, false).settings.kubernetesHost).toBe('https://kubernetes.default.svc');
    expect(details(() => resolveSettings(null, { tokenReviewerSource: 'in-cluster', kubernetesHost: 'https://attacker.example', allowedNamespaces: '*' }, false))[0].field).toBe('kubernetesHost');
  });

  it('moving the host of a stored reviewer token needs the token again', () => {
    const stored = resolveSettings(null, { ...minimal, tokenReviewerJwt: 'j' }, false).settings;
    expect(details(() => resolveSettings(stored, { kubernetesHost: 'https://other.example:6443' }, true))[0].field).toBe('tokenReviewerJwt');
    expect(resolveSettings(stored, { kubernetesHost: 'https://other.example:6443', tokenReviewerJwt: 'j2' }, true).settings.kubernetesHost).toBe('https://other.example:6443');
    const client = resolveSettings(null, minimal, false).settings;
    expect(resolveSettings(client, { kubernetesHost: 'https://other.example:6443' }, false).settings.kubernetesHost).toBe('https://other.example:6443');
  });

  it('checks TTL against the stored max TTL when only one of them is patched', () => {
    const stored = resolveSettings(null, { ...minimal, accessTokenTTL: 600, accessTokenMaxTTL: 1200 }, false).settings;
    expect(details(() => resolveSettings(stored, { accessTokenTTL: 1201 }, false))[0].field).toBe('accessTokenTTL');
    expect(details(() => resolveSettings(stored, { accessTokenMaxTTL: 599 }, false))[0].field).toBe('accessTokenTTL');
    expect(resolveSettings(stored, { accessTokenTTL: 1200 }, false).settings).toMatchObject({ accessTokenTTL: 1200, accessTokenMaxTTL: 1200 });
  });

  it('PATCH keeps omitted fields; clearing the JWT of a stored config is refused', () => {
    const stored = resolveSettings(null, { ...minimal, tokenReviewerJwt: 'j', allowedAudience: 'zerokey' }, false);
    const patched = resolveSettings(stored.settings, { allowedNames: 'checkout' }, true);
    expect(patched.settings).toEqual({ ...stored.settings, allowedNames: 'checkout' });
    expect(patched.jwtStored).toBe(true);
    expect(details(() => resolveSettings(stored.settings, { tokenReviewerJwt: null }, true))[0].field).toBe('tokenReviewerJwt');
    expect(resolveSettings(stored.settings, { tokenReviewerJwt: null, tokenReviewerSource: 'client' }, true).jwtStored).toBe(false);
  });
});

describe('parsesAsCertificates', () => {
  it('refuses text around the PEM blocks and empty input', () => {
    expect(parsesAsCertificates('')).toBe(false);
    expect(parsesAsCertificates('junk')).toBe(false);
  });
});
