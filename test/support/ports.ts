import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago: nothing listens on it until someone binds it,
 * so it also serves as "a port where the connection is refused".
 */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
