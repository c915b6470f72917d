import type { EntityTarget, ObjectLiteral, Repository } from 'typeorm';
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
}
