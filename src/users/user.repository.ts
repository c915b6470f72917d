import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { User } from './user.entity.js';

/** The `users` table: dashboard users, emails stored lower-cased. */
@Injectable()
export class UserRepository extends TableRepository<User> {
  constructor(uow: UnitOfWork) {
    super(uow, User);
  }

  async insert(row: User): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  findById(id: string): Promise<User | null> {
    return this.run((repo) => repo.findOneBy({ id }));
  }

  findByEmail(email: string): Promise<User | null> {
    return this.run((repo) => repo.findOneBy({ email: email.toLowerCase() }));
  }

  /** The emails of `ids`, by id. */
  async emailsOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.run((repo) => repo.find({ where: { id: In(ids) }, select: { id: true, email: true } }));
    return new Map(rows.map((row) => [row.id, row.email]));
  }

  isSuperAdmin(id: string): Promise<boolean> {
    return this.run(async (repo) => (await repo.findOne({ where: { id }, select: { id: true, superAdmin: true } }))?.superAdmin === true);
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.run((repo) => repo.update({ id }, { passwordHash }));
  }

  count(): Promise<number> {
    return this.run((repo) => repo.count());
  }
}
