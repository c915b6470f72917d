import type { DataSource } from 'typeorm';
import { SigningKey } from '../access-tokens/signing-key.entity.js';
import { signingKeyAad } from '../access-tokens/signing-keys.service.js';
import type { SecretBox } from '../common/crypto/secret-box.js';
import { KubernetesAuthConfig } from '../kubernetes-auth/kubernetes-auth-config.entity.js';
import { reviewerJwtAad } from '../kubernetes-auth/kubernetes-auth.service.js';
import { KubernetesCluster } from '../kubernetes-auth/kubernetes-cluster.entity.js';
import { clusterReviewerJwtAad } from '../kubernetes-auth/kubernetes-clusters.service.js';

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
  result.reviewerJwts += await resealReviewerJwts(dataSource, box, KubernetesAuthConfig, reviewerJwtAad);
  result.reviewerJwts += await resealReviewerJwts(dataSource, box, KubernetesCluster, clusterReviewerJwtAad);
  const keys = await dataSource.getRepository(SigningKey).find({ select: { kid: true, privateKeyEncrypted: true } });
  for (const key of keys) {
    if (box.isCurrent(key.privateKeyEncrypted)) continue;
    const resealed = box.encrypt(box.decrypt(key.privateKeyEncrypted, signingKeyAad(key.kid)), signingKeyAad(key.kid));
    await dataSource.getRepository(SigningKey).update({ kid: key.kid }, { privateKeyEncrypted: resealed });
    result.signingKeys++;
  }
  return result;
}

/** Re-seals the reviewer JWTs of one table (configs or clusters), each bound to its row by `aad`. */
async function resealReviewerJwts(dataSource: DataSource, box: SecretBox, entity: typeof KubernetesAuthConfig | typeof KubernetesCluster, aad: (id: string) => string): Promise<number> {
  const repo = dataSource.getRepository<{ id: string; tokenReviewerJwtEncrypted: string | null }>(entity);
  let count = 0;
  for (const row of await repo.find({ select: { id: true, tokenReviewerJwtEncrypted: true } })) {
    const sealed = row.tokenReviewerJwtEncrypted;
    if (!sealed || box.isCurrent(sealed)) continue;
    await repo.update({ id: row.id, tokenReviewerJwtEncrypted: sealed }, { tokenReviewerJwtEncrypted: box.encrypt(box.decrypt(sealed, aad(row.id)), aad(row.id)) });
    count++;
  }
  return count;
}
