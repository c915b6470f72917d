import { type EntityTarget, type FindOptionsWhere, In, type ObjectLiteral, type Repository } from 'typeorm';
import type { UnitOfWork } from './unit-of-work.js';

/**
 * The base of every table's repository (one per table, in its feature folder: the only code that
 * reads or writes that table). Every statement goes through the UnitOfWork, so it is correct on
 * SQLite's shared connection and joins the caller's transaction when there is one.
 */
export abstract class TableRepository<T extends ObjectLiteral> {
  protected constructor(
    protected readonly uow: UnitOfWork,
    private readonly entity: EntityTarget<T>,
  ) {}

  protected run<R>(work: (repo: Repository<T>) => Promise<R>): Promise<R> {
    return this.uow.run((manager) => work(manager.getRepository(this.entity)));
  }

  /** Deletes up to `batch` rows matching `where` by their `key` (short deletes, for housekeeping); the number deleted. */
  protected deleteBatch(key: keyof T & string, where: FindOptionsWhere<T>, batch: number): Promise<number> {
    return this.run(async (repo) => {
      const rows = await repo.find({ where, select: { [key]: true } as never, take: batch });
      if (rows.length === 0) return 0;
      await repo.delete({ [key]: In(rows.map((row) => row[key])) } as FindOptionsWhere<T>);
      return rows.length;
    });
  }
}
