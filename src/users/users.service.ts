import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../common/crypto/password-hasher.js';
import { DomainError } from '../common/errors/domain-error.js';
import { User } from './user.entity.js';

export interface UserView {
  id: string;
  email: string;
  superAdmin: boolean;
  createdAt: Date;
}

export function toUserView(user: User): UserView {
  return { id: user.id, email: user.email, superAdmin: user.superAdmin, createdAt: user.createdAt };
}

const INVALID_CREDENTIALS = 'invalid email or password';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  /** Inserts a user inside `manager`'s transaction. `passwordHash` comes from hashPassword(). */
  async insert(manager: EntityManager, email: string, passwordHash: string, superAdmin: boolean): Promise<UserView> {
    const user: User = { id: randomUUID(), email: email.toLowerCase(), passwordHash, superAdmin, createdAt: new Date() };
    await manager.insert(User, user);
    return toUserView(user);
  }

  async findById(id: string): Promise<UserView | null> {
    const user = await this.users.findOneBy({ id });
    return user ? toUserView(user) : null;
  }

  async findByEmail(email: string): Promise<UserView | null> {
    const user = await this.users.findOneBy({ email: email.toLowerCase() });
    return user ? toUserView(user) : null;
  }

  /**
   * Same answer and about the same time whether the email is unknown or the password wrong.
   * `beforeCheck` gets the account key (the user id when the email matched a user, as the
   * database compares it, else the typed email) before the password is checked.
   */
  async verifyCredentials(email: string, password: string, beforeCheck?: (account: string) => Promise<void>): Promise<UserView> {
    const user = await this.users.findOneBy({ email: email.toLowerCase() });
    await beforeCheck?.(user ? `user:${user.id}` : `email:${email.toLowerCase()}`);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) throw new DomainError('InvalidCredentials', INVALID_CREDENTIALS);
    return toUserView(user);
  }

  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.users.findOneBy({ id: userId });
    if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new DomainError('InvalidCredentials', 'the current password is wrong');
    }
    await this.users.update({ id: userId }, { passwordHash: await hashPassword(newPassword) });
  }

  async count(): Promise<number> {
    return this.users.count();
  }
}
