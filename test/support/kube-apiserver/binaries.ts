import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Pinned in tools/kube/apiserver/go.mod and tools/kube/etcd/go.mod (binaries.spec.ts keeps them equal). */
export const KUBERNETES_VERSION = 'v1.35.4';
export const ETCD_VERSION = 'v3.6.16';

export interface KubeBinaries {
  dir: string;
  kubeApiserver: string;
  etcd: string;
}

/** The folder scripts/kube-binaries.sh builds into. */
export function kubeBinariesDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.ZEROKEY_CACHE_DIR || join(homedir(), '.cache', 'zerokey');
  return join(cache, `kube-${KUBERNETES_VERSION}`);
}

/**
 * The built binaries, or an error that says how to build them: the kube suite never skips
 * silently when they are missing or were built from other pins.
 */
export function findKubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries {
  const dir = kubeBinariesDir(env);
  const found = { dir, kubeApiserver: join(dir, 'kube-apiserver'), etcd: join(dir, 'etcd') };
  const build = 'run `bash scripts/kube-binaries.sh` first (it builds them from the Go module proxy, several minutes from cold)';
  for (const file of [found.kubeApiserver, found.etcd]) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      throw new Error(`kube-apiserver harness: ${file} is missing: ${build}`);
    }
  }
  let stamp = '';
  try {
    stamp = readFileSync(join(dir, 'stamp'), 'utf8');
  } catch {
    // handled below
  }
  if (!stamp.includes(`kubernetes ${KUBERNETES_VERSION}\n`) || !stamp.includes(`etcd ${ETCD_VERSION}\n`)) {
    throw new Error(`kube-apiserver harness: ${dir} holds no finished build of kubernetes ${KUBERNETES_VERSION} / etcd ${ETCD_VERSION}: ${build}`);
  }
  return found;
}
