/**
 * The warnings of a Kubernetes auth config or cluster write (docs/api.md "Kubernetes auth config
 * of one identity"): allowed, but risky. The one home of these rules: the service answers them on
 * every write and the admin console (console/) imports this file to show them live while a form is
 * edited, so this module imports nothing and runs in a browser too.
 */

export interface ConfigWarning {
  code: string;
  message: string;
}

/** What the warnings depend on, from a connection (a config's own or a cluster's). */
export interface ConnectionWarningInput {
  verifyTlsCertificate: boolean;
  verification: string;
}

/** What the warnings depend on, from a config. */
export interface ConfigWarningInput extends ConnectionWarningInput {
  clusterIds: readonly string[];
  allowedAudience: string;
  tokenReviewerSource: string;
}

export function connectionWarnings(s: ConnectionWarningInput): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (!s.verifyTlsCertificate) {
    warnings.push({ code: 'TlsVerificationDisabled', message: 'verifyTlsCertificate is false: the cluster’s identity is not checked, so a man in the middle could answer token reviews; set caCert instead' });
  }
  if (s.verification === 'jwks') {
    warnings.push({ code: 'NoRevocationCheck', message: 'verification is "jwks": tokens are checked with the cluster’s signing keys and no TokenReview, so a token of a deleted pod or service account stays valid until its own exp; keep projected tokens short-lived (expirationSeconds) or use "token-review"' });
  }
  return warnings;
}

export function warningsFor(s: ConfigWarningInput): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (!s.allowedAudience) {
    warnings.push({ code: 'AudienceNotSet', message: 'allowedAudience is empty: service-account tokens minted for any audience (e.g. for another service) are accepted and could be replayed here; set it (e.g. "zerokey") and mount a projected token with that audience' });
  }
  // With clusters, the connection warnings are the clusters' own (given when they are written).
  if (s.clusterIds.length > 0) return warnings;
  warnings.push(...connectionWarnings(s));
  if (s.tokenReviewerSource === 'client' && s.allowedAudience) {
    warnings.push({ code: 'ClientReviewerWithAudience', message: 'tokenReviewerSource "client" uses the workload’s own token as the reviewer bearer, but the API server does not accept tokens with a custom audience as bearers; use "stored" or "in-cluster"' });
  }
  return warnings;
}
