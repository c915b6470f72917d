#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ApiClient } from './http.js';
import { jsonLogger } from './log.js';
import { type AgentOptions, parseOptions, USAGE, UsageError } from './options.js';
import { startStatusServer } from './status-server.js';
import { TokenAgent } from './token-agent.js';

/** Exit codes of --once (docs/agent.md): 0 token written, 1 refused, 2 usage, 3 unavailable (network, 429, 5xx). */
export const EXIT = { ok: 0, refused: 1, usage: 2, unavailable: 3 } as const;

const log = jsonLogger();

async function main(): Promise<number> {
  let options: AgentOptions | 'help';
  let ca: string | undefined;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
    if (options === 'help') {
      process.stdout.write(USAGE);
      return EXIT.ok;
    }
    ca = options.caCert ? readFileSync(options.caCert, 'utf8') : undefined;
  } catch (error) {
    const message = error instanceof UsageError ? error.message : `cannot read --ca-cert: ${(error as NodeJS.ErrnoException).code}`;
    log.error(message, { code: 'UsageError' });
    process.stderr.write(`\n${USAGE}`);
    return EXIT.usage;
  }
  const api = new ApiClient(options.url, options.timing.requestTimeoutMs, ca);
  const agent = new TokenAgent(options, api, log);
  if (options.once) {
    const result = await agent.loginOnce().catch((error: NodeJS.ErrnoException) => ({ kind: 'retry' as const, code: `SinkWriteFailed:${error.code ?? 'error'}` }));
    api.close();
    if (result.kind === 'ok') {
      log.info('token written', { sink: options.sink, expiresAt: new Date(result.token.expiresAt).toISOString() });
      return EXIT.ok;
    }
    log.error('login failed', { code: result.code, ...(result.kind === 'refused' ? { status: result.status } : {}) });
    return result.kind === 'refused' ? EXIT.refused : EXIT.unavailable;
  }
  let server: Server | undefined;
  if (options.listen) {
    server = await startStatusServer(agent, options.listen.host, options.listen.port);
    const address = server.address();
    log.info('status server listening', { port: typeof address === 'object' && address ? address.port : options.listen.port });
  }
  log.info('starting', { url: options.url.origin, identityId: options.identityId, sink: options.sink, sinkFormat: options.sinkFormat });
  agent.start();
  const revokeOnExit = options.revokeOnExit;
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal, revoke: revokeOnExit });
      void agent
        .stop(revokeOnExit)
        .finally(() => {
          api.close();
          server?.close();
          resolve(EXIT.ok);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

process.exitCode = await main();
