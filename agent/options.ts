import { parseArgs } from 'node:util';
import type { SinkFormat } from './sink.js';

export const DEFAULT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface AgentOptions {
  url: URL;
  identityId: string;
  tokenPath: string;
  sink: string;
  sinkFormat: SinkFormat;
  caCert: string | undefined;
  organizationSlug: string | undefined;
  once: boolean;
  listen: { host: string; port: number } | undefined;
  revokeOnExit: boolean;
  timing: Timing;
}

/** Documented defaults; the ZEROKEY_AGENT_* variables that change them exist for tests and are not part of the interface. */
export interface Timing {
  backoffBaseMs: number;
  backoffMaxMs: number;
  requestTimeoutMs: number;
}

export class UsageError extends Error {}

export const USAGE = `zerokey-agent: keeps a Zerokey access token fresh in a file

  zerokey-agent --url URL --identity-id UUID --sink FILE [options]

  --url URL                 Zerokey (or Infisical) base URL            env ZEROKEY_URL
  --identity-id UUID        the identity to log in as                  env ZEROKEY_IDENTITY_ID
  --token-path FILE         service-account token, read at every login (default ${DEFAULT_TOKEN_PATH})
  --sink FILE               where the access token is written (atomically, mode 0600)
  --sink-format raw|json    the bare JWT (default), or {"accessToken","expiresAt"}
  --ca-cert FILE            PEM bundle that verifies the service's TLS certificate
  --organization-slug SLUG  sent as organizationSlug at login
  --once                    log in, write the sink, exit 0 (non-zero with the error code otherwise)
  --listen [HOST:]PORT      serve /healthz and /metrics (off by default)
  --revoke-on-exit          revoke the token on SIGTERM/SIGINT
  --help                    this text
`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): AgentOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        'identity-id': { type: 'string' },
        'token-path': { type: 'string' },
        sink: { type: 'string' },
        'sink-format': { type: 'string' },
        'ca-cert': { type: 'string' },
        'organization-slug': { type: 'string' },
        once: { type: 'boolean' },
        listen: { type: 'string' },
        'revoke-on-exit': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const rawUrl = values.url ?? env.ZEROKEY_URL;
  if (!rawUrl) throw new UsageError('--url (or ZEROKEY_URL) is required');
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UsageError(`--url is not a URL: ${rawUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--url must be http:// or https://');
  const identityId = values['identity-id'] ?? env.ZEROKEY_IDENTITY_ID;
  if (!identityId || !UUID.test(identityId)) throw new UsageError('--identity-id (or ZEROKEY_IDENTITY_ID) must be a UUID');
  if (!values.sink) throw new UsageError('--sink is required');
  const sinkFormat = values['sink-format'] ?? 'raw';
  if (sinkFormat !== 'raw' && sinkFormat !== 'json') throw new UsageError('--sink-format must be raw or json');
  return {
    url,
    identityId: identityId.toLowerCase(),
    tokenPath: values['token-path'] ?? DEFAULT_TOKEN_PATH,
    sink: values.sink,
    sinkFormat,
    caCert: values['ca-cert'],
    organizationSlug: values['organization-slug'],
    once: values.once ?? false,
    listen: values.listen === undefined ? undefined : parseListen(values.listen),
    revokeOnExit: values['revoke-on-exit'] ?? false,
    timing: {
      backoffBaseMs: positive(env.ZEROKEY_AGENT_BACKOFF_BASE_MS, 1000),
      backoffMaxMs: positive(env.ZEROKEY_AGENT_BACKOFF_MAX_MS, 300_000),
      requestTimeoutMs: positive(env.ZEROKEY_AGENT_REQUEST_TIMEOUT_MS, 10_000),
    },
  };
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) throw new UsageError(`--listen must be [HOST:]PORT, got ${value}`);
  return { host: (match[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

function positive(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`a ZEROKEY_AGENT_* timing variable is not a positive integer: ${value}`);
  return n;
}
