import { Injectable } from '@nestjs/common';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { InstanceState } from './instance-state.entity.js';

/** The `instance_state` table: one-off facts about the instance, keyed (their primary key makes them happen once). */
@Injectable()
export class InstanceStateRepository extends TableRepository<InstanceState> {
  constructor(uow: UnitOfWork) {
    super(uow, InstanceState);
  }

  /** Records `key` once; a second insert of the same key fails with a unique violation. */
  async insertOnce(key: string, value: string): Promise<void> {
    await this.run((repo) => repo.insert({ key, value, createdAt: new Date() }));
  }
}
