import type { DataSource } from 'typeorm';
import { SigningKey } from '../access-tokens/signing-key.entity.js';
import { signingKeyAad } from '../access-tokens/signing-keys.service.js';
import type { SecretBox } from '../common/crypto/secret-box.js';
import { KubernetesAuthConfig } from '../kubernetes-auth/kubernetes-auth-config.entity.js';
import { reviewerJwtAad } from '../kubernetes-auth/kubernetes-auth.service.js';

export interface ReencryptResult {
  reviewerJwts: number;
  signingKeys: number;
}

/**
 * Re-encrypts every secret at rest that is not yet under the current root key (ENCRYPTION_KEY),
 * reading the old ones with ENCRYPTION_KEY_PREVIOUS. Idempotent: run it again and it finds nothing.
 */
export async function reencryptSecrets(dataSource: DataSource, box: SecretBox): Promise<ReencryptResult> {
  const result: ReencryptResult = { reviewerJwts: 0, signingKeys: 0 };
  const configs = await dataSource.getRepository(KubernetesAuthConfig).find({ select: { id: true, tokenReviewerJwtEncrypted: true } });
  for (const config of configs) {
    const sealed = config.tokenReviewerJwtEncrypted;
    if (!sealed || box.isCurrent(sealed)) continue;
    const resealed = box.encrypt(box.decrypt(sealed, reviewerJwtAad(config.id)), reviewerJwtAad(config.id));
    await dataSource.getRepository(KubernetesAuthConfig).update({ id: config.id, tokenReviewerJwtEncrypted: sealed }, { tokenReviewerJwtEncrypted: resealed });
    result.reviewerJwts++;
  }
  const keys = await dataSource.getRepository(SigningKey).find({ select: { kid: true, privateKeyEncrypted: true } });
  for (const key of keys) {
    if (box.isCurrent(key.privateKeyEncrypted)) continue;
    const resealed = box.encrypt(box.decrypt(key.privateKeyEncrypted, signingKeyAad(key.kid)), signingKeyAad(key.kid));
    await dataSource.getRepository(SigningKey).update({ kid: key.kid }, { privateKeyEncrypted: resealed });
    result.signingKeys++;
  }
  return result;
}
