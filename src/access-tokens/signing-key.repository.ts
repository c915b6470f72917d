import { Injectable } from '@nestjs/common';
import { IsNull, MoreThan } from 'typeorm';
import { TableRepository } from '../database/table-repository.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { SigningKey } from './signing-key.entity.js';

/** The `signing_keys` table: ES256 key pairs, the private key encrypted. */
@Injectable()
export class SigningKeyRepository extends TableRepository<SigningKey> {
  constructor(uow: UnitOfWork) {
    super(uow, SigningKey);
  }

  /** Keys that still verify (not retired, or retiring later than now), oldest first. */
  findUnretired(now: Date): Promise<SigningKey[]> {
    return this.run((repo) => repo.find({ where: [{ retiredAt: IsNull() }, { retiredAt: MoreThan(now) }], order: { createdAt: 'ASC' } }));
  }

  async insert(row: SigningKey): Promise<void> {
    await this.run((repo) => repo.insert(row));
  }

  /** Sets the retirement of a key that has none yet. */
  async retire(kid: string, at: Date): Promise<void> {
    await this.run((repo) => repo.update({ kid, retiredAt: IsNull() }, { retiredAt: at }));
  }

  /** Runs `work` holding a database-wide named lock (MySQL; on SQLite the one connection already serializes). */
  async withNamedLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.uow.withNamedLock(name, work);
  }
}
