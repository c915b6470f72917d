import { createServer, type Server } from 'node:http';
import type { TokenAgent } from './token-agent.js';

/** `/healthz` (200 while the sink holds a token that has not expired, else 503) and `/metrics` (Prometheus text). */
export function startStatusServer(agent: TokenAgent, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      const ok = agent.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: ok ? 'ok' : 'no-valid-token' }));
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(agent));
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'not-found' }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export function metricsText(agent: TokenAgent): string {
  const lines = [
    '# HELP zerokey_agent_requests_total Requests the agent sent, by endpoint and outcome (ok, refused, retry).',
    '# TYPE zerokey_agent_requests_total counter',
  ];
  for (const endpoint of ['login', 'renew', 'revoke'] as const) {
    for (const outcome of ['ok', 'refused', 'retry'] as const) {
      lines.push(`zerokey_agent_requests_total{endpoint="${endpoint}",outcome="${outcome}"} ${agent.counts.get(`${endpoint}:${outcome}`) ?? 0}`);
    }
  }
  const token = agent.current;
  lines.push(
    '# HELP zerokey_agent_token_valid 1 while the sink holds a token that has not expired.',
    '# TYPE zerokey_agent_token_valid gauge',
    `zerokey_agent_token_valid ${agent.healthy() ? 1 : 0}`,
    '# HELP zerokey_agent_token_expiry_timestamp_seconds When the token in the sink expires (0 without one).',
    '# TYPE zerokey_agent_token_expiry_timestamp_seconds gauge',
    `zerokey_agent_token_expiry_timestamp_seconds ${token ? Math.floor(token.expiresAt / 1000) : 0}`,
    '# HELP zerokey_agent_consecutive_failures Failed attempts since the last success.',
    '# TYPE zerokey_agent_consecutive_failures gauge',
    `zerokey_agent_consecutive_failures ${agent.consecutiveFailures}`,
  );
  return `${lines.join('\n')}\n`;
}
