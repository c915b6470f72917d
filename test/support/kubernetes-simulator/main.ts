import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubernetesSimulator } from './simulator.js';
import { SigningAlgorithm } from './tokens.js';

/**
 * Standalone simulator for manual runs and for tests in other processes:
 *
 *   node dist/test/support/kubernetes-simulator/main.js [--port 6443] [--ca-out ca.pem] [--control]
 *        [--signing-algorithm RS256|ES256] [--issuer URL]
 *
 * Environment fallbacks: KUBE_SIM_PORT, KUBE_SIM_CA_OUT, KUBE_SIM_CONTROL=1.
 * Prints one JSON line {url, caFile, reviewerToken, issuer} and runs until SIGTERM or SIGINT.
 */
export interface StandaloneInfo {
  url: string;
  caFile: string;
  reviewerToken: string;
  issuer: string;
}

export async function runStandalone(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<{
  simulator: KubernetesSimulator;
  info: StandaloneInfo;
}> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      'ca-out': { type: 'string' },
      control: { type: 'boolean' },
      'signing-algorithm': { type: 'string' },
      issuer: { type: 'string' },
    },
    strict: true,
  });
  const port = Number(values.port ?? env['KUBE_SIM_PORT'] ?? 6443);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${String(values.port)}`);
  const algorithm = values['signing-algorithm'] ?? 'RS256';
  if (algorithm !== 'RS256' && algorithm !== 'ES256') throw new Error('--signing-algorithm must be RS256 or ES256');

  const simulator = await KubernetesSimulator.start({
    port,
    control: values.control ?? env['KUBE_SIM_CONTROL'] === '1',
    signingAlgorithm: algorithm as SigningAlgorithm,
    issuer: values.issuer,
  });
  const caFile = values['ca-out'] ?? env['KUBE_SIM_CA_OUT'] ?? join(tmpdir(), `kubernetes-simulator-${simulator.port}-ca.pem`);
  writeFileSync(caFile, simulator.caPem);

  // The demo cluster the README and docs/quickstart.md walk through.
  simulator.createServiceAccount('shop', 'checkout');
  simulator.createPod('shop', 'checkout-7d9f', 'checkout', 'node-a');
  const reviewerToken = simulator.createReviewer('auth', 'reviewer');
  return { simulator, info: { url: simulator.url, caFile, reviewerToken, issuer: simulator.issuer } };
}

async function main(): Promise<void> {
  const { simulator, info } = await runStandalone(process.argv.slice(2));
  process.stdout.write(`${JSON.stringify(info)}\n`);
  const shutdown = (): void => {
    simulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

// Run only as the entry point, not when a spec imports runStandalone.
if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`kubernetes-simulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
