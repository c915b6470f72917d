import { readFile, stat } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

interface CachedFile {
  mtimeMs: number;
  size: number;
  content: string;
}

/**
 * The service's own service-account token and CA (tokenReviewerSource `in-cluster`). Kubelet
 * rotates the projected token in place, so the file is re-read whenever its mtime or size changes.
 */
@Injectable()
export class InClusterCredentials {
  private readonly cache = new Map<string, CachedFile>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  token(): Promise<string> {
    return this.read(this.config.kubernetesSaTokenPath, 'KUBERNETES_SA_TOKEN_PATH');
  }

  caCert(): Promise<string> {
    return this.read(this.config.kubernetesSaCaPath, 'KUBERNETES_SA_CA_PATH');
  }

  private async read(path: string, variable: string): Promise<string> {
    try {
      const info = await stat(path);
      const cached = this.cache.get(path);
      if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.content;
      const content = (await readFile(path, 'utf8')).trim();
      this.cache.set(path, { mtimeMs: info.mtimeMs, size: info.size, content });
      return content;
    } catch {
      throw new DomainError('TokenReviewerUnauthorized', `the in-cluster credentials cannot be read from ${path} (${variable}): is Zerokey running in a pod with a mounted service-account token?`);
    }
  }
}
