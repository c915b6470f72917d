import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config.schema';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`zerokey: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: config.host });
  // SIGTERM/SIGINT: enableShutdownHooks closes the server (in-flight requests finish), then the pool.
}

main().catch((error: unknown) => {
  process.stderr.write(`zerokey: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
