import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * The SQL TypeORM would run to make the database of `ds` match the entities; empty when they agree.
 * Against MariaDB, TypeORM's `mysql` driver misreads nullable columns' defaults (MariaDB reports
 * the text `NULL`), so the comparison runs through its `mariadb` driver on the same database.
 */
export async function schemaDiff(ds: DataSource): Promise<string[]> {
  let source = ds;
  if (ds.options.type === 'mysql') {
    const [{ version }] = (await ds.query('SELECT VERSION() AS version')) as { version: string }[];
    if (/mariadb/i.test(version)) source = await new DataSource({ ...ds.options, type: 'mariadb' } as DataSourceOptions).initialize();
  }
  try {
    const log = await source.driver.createSchemaBuilder().log();
    return log.upQueries.map((q) => q.query);
  } finally {
    if (source !== ds) await source.destroy();
  }
}
