import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listensOn } from './service-process.js';

describe('listensOn', () => {
  it('tells the process listening on a port from any other process', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      expect(listensOn(process.pid, port)).toBe(true);
      expect(listensOn(other.pid!, port)).toBe(false);
      expect(listensOn(process.pid, port === 65535 ? port - 1 : port + 1)).toBe(false);
    } finally {
      other.kill('SIGKILL');
      server.close();
    }
  });
});
