import { Module } from '@nestjs/common';
import { CONSOLE_ASSETS, ConsoleController } from './console.controller.js';
import { defaultConsoleDir, loadConsoleAssets } from './console-assets.js';

/** The admin console's files, served under /ui/ (docs/console.md). */
@Module({
  controllers: [ConsoleController],
  providers: [{ provide: CONSOLE_ASSETS, useFactory: () => loadConsoleAssets(defaultConsoleDir()) }],
})
export class ConsoleModule {}
