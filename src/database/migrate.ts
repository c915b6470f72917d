import type { DataSource } from 'typeorm';

const LOCK_NAME = 'zerokey_migrations';

/**
 * Runs pending migrations. On MySQL, replicas starting together serialize on a named lock, so
 * only one of them applies each migration and the others find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  if (dataSource.options.type !== 'mysql') {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  try {
    const [{ locked }] = (await runner.query('SELECT GET_LOCK(?, 120) AS locked', [LOCK_NAME])) as { locked: number | string }[];
    if (Number(locked) !== 1) throw new Error('timed out waiting for the migration lock held by another replica');
    try {
      return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [LOCK_NAME]);
    }
  } finally {
    await runner.release();
  }
}
