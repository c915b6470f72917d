import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config.schema.js';

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
  // Loaded only once the configuration is valid: a bad variable is reported at once, without
  // first loading Nest, TypeORM and the Kubernetes client (seconds on a busy machine).
  const { createApp, exitOnSignals } = await import('./app.factory.js');
  const app = await createApp(config);
  // SIGTERM/SIGINT close the app (in-flight requests finish, then writes are flushed and pools
  // close) and exit within SHUTDOWN_GRACE_MS. Here, not in createApp: in-process test apps must
  // not hook signals.
  exitOnSignals(app, config);
  await app.listen({ port: config.port, host: config.host });
}

main().catch((error: unknown) => {
  process.stderr.write(`zerokey: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
