import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AppLogger, createRootLogger, withRequestId } from './app-logger.js';

/** An AppLogger at `level` whose lines are collected, parsed. */
function collecting(level = 'debug'): { logger: AppLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: new AppLogger(createRootLogger(level, sink)), lines };
}

describe('AppLogger', () => {
  it("takes Nest's calling forms: message and context, an object first, an Error, a stack from Nest's own handlers", () => {
    const { logger, lines } = collecting();
    logger.log('started', 'Boot');
    logger.warn({ code: 'DatabaseUnavailable' }, 'the database is unavailable', 'ExceptionFilter');
    logger.error(new Error('boom'), 'Somewhere');
    logger.error('handler failed', 'Error: handler failed\n    at x (file.js:1:1)', 'ExceptionsHandler');
    logger.debug('no context');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 30, context: 'Boot', msg: 'started' },
      { level: 40, context: 'ExceptionFilter', msg: 'the database is unavailable' },
      { level: 50, context: 'Somewhere', msg: 'boom' },
      { level: 50, context: 'ExceptionsHandler', msg: 'handler failed' },
      { level: 20, context: undefined, msg: 'no context' },
    ]);
    expect(lines[1].code).toBe('DatabaseUnavailable');
    expect((lines[2].err as { message: string }).message).toBe('boom');
    expect((lines[3].err as { stack: string }).stack).toContain('at x (file.js:1:1)');
  });

  it('adds the reqId of the request being handled, across awaits, and none outside a request', async () => {
    const { logger, lines } = collecting();
    Logger.overrideLogger(logger);
    try {
      const nest = new Logger('Feature');
      await new Promise<void>((resolve) =>
        withRequestId('req-1', () => {
          void (async () => {
            await new Promise((r) => setTimeout(r, 5));
            nest.log('inside');
            resolve();
          })();
        }),
      );
      nest.log('outside');
    } finally {
      Logger.overrideLogger(false);
    }
    expect(lines.map(({ reqId, context, msg }) => ({ reqId, context, msg }))).toEqual([
      { reqId: 'req-1', context: 'Feature', msg: 'inside' },
      { reqId: undefined, context: 'Feature', msg: 'outside' },
    ]);
  });

  it('censors secret-bearing fields and writes nothing below its level', () => {
    const { logger, lines } = collecting('info');
    logger.log({ body: { password: 'hunter2-hunter2', jwt: 'eyJ.x.y' }, headers: { authorization: 'Bearer abc' } }, 'a line with secrets', 'Test');
    logger.debug('not written');
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|eyJ|Bearer/);
    expect((lines[0].body as { password: string }).password).toBe('[redacted]');
  });
});
