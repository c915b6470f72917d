import { ServerResponse } from 'node:http';
import { assertFault } from './faults.js';
import type { HandlerDeps } from './request-handler.js';
import { MintOptions } from './mint.js';
import { sendJson } from './status.js';

/**
 * Test-only endpoints for a simulator running in another process (standalone `--control`).
 * Unauthenticated: the simulator listens on 127.0.0.1 only. Never counted, never faulted.
 *
 *   POST /_sim/mint     MintOptions            -> 200 {"token": "..."}
 *   POST /_sim/fault    SimulatorFault | null  -> 200 {"fault": ...}
 *   GET  /_sim/counters                        -> 200 {"tokenReviews": n, "tcpConnections": n, "tlsSessions": n}
 *
 * Errors answer 400 {"error": "..."}; unknown paths 404 {"error": "..."}.
 */
export function handleControl(deps: HandlerDeps, method: string, path: string, body: string, res: ServerResponse): void {
  const endpoint = `${method} ${path}`;
  try {
    switch (endpoint) {
      case 'POST /_sim/mint':
        return sendJson(res, 200, { token: deps.mint(parseJson(body) as MintOptions) });
      case 'POST /_sim/fault': {
        const fault = parseJson(body);
        assertFault(fault);
        deps.setFault(fault);
        return sendJson(res, 200, { fault });
      }
      case 'GET /_sim/counters':
        return sendJson(res, 200, { ...deps.counters });
      default:
        return sendJson(res, 404, { error: `no control endpoint ${endpoint}` });
    }
  } catch (error) {
    sendJson(res, 400, { error: (error as Error).message });
  }
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new Error('the body must be JSON');
  }
}
