import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { AgentProcess } from '../../support/agent-process.js';

export const LOGIN = '/api/v1/auth/kubernetes-auth/login';
export const RENEW = '/api/v1/auth/token/renew';

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A pod's files: the projected service-account token the kubelet rotates, and the agent's sink. */
export class PodFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'zerokey-agent-'));
  readonly tokenPath = join(this.dir, 'token');
  readonly sink = join(this.dir, 'zerokey-token');
  /** Every service-account token written, to check none reaches the agent's log. */
  readonly written: string[] = [];

  /** Replaces the token file the way the kubelet does: a new file renamed into place. */
  writeToken(jwt: string): void {
    this.written.push(jwt);
    writeFileSync(`${this.tokenPath}.new`, jwt);
    renameSync(`${this.tokenPath}.new`, this.tokenPath);
  }

  readSink(): string {
    return readFileSync(this.sink, 'utf8');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The flags every spec passes. */
export function agentArgs(url: string, identityId: string, files: PodFiles, extra: string[] = []): string[] {
  return ['--url', url, '--identity-id', identityId, '--token-path', files.tokenPath, '--sink', files.sink, ...extra];
}

export const jtiOf = (jwt: string): string => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).jti as string;

/** Neither a service-account token nor an access token ever appears in the agent's output. */
export function expectNoSecretsLogged(agent: AgentProcess, secrets: string[]): void {
  const output = agent.output();
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(20);
    expect(output.includes(secret), 'a token was logged').toBe(false);
    expect(output.includes(secret.split('.')[2] ?? secret), 'a token signature was logged').toBe(false);
  }
}

/** Gaps between consecutive times, in ms. */
export function gaps(times: number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]);
}
