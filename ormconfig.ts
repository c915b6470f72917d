// The TypeORM data source for the migration CLI (`npm run migration:*`), built from the same
// validated configuration and the same options as the app.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config.schema.js';
import { dataSourceOptions } from './src/database/data-source.js';

export default new DataSource(dataSourceOptions(loadConfig()));
