import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { dummyPasswordHash, hashPassword, verifyPassword } from '../common/crypto/password-hasher.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { User } from './user.entity.js';
import { UserRepository } from './user.repository.js';

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
  constructor(private readonly users: UserRepository) {}

  /** Inserts a user (in the caller's unit of work, when there is one). `passwordHash` comes from hashPassword(). */
  async create(email: string, passwordHash: string, superAdmin: boolean, id: string = randomUUID()): Promise<UserView> {
    const user: User = { id, email: email.toLowerCase(), passwordHash, superAdmin, createdAt: new Date() };
    await this.users.insert(user);
    return toUserView(user);
  }

  emailsOf(ids: string[]): Promise<Map<string, string>> {
    return this.users.emailsOf(ids);
  }

  isSuperAdmin(id: string): Promise<boolean> {
    return this.users.isSuperAdmin(id);
  }

  async findById(id: string): Promise<UserView | null> {
    const user = await this.users.findById(id);
    return user ? toUserView(user) : null;
  }

  async findByEmail(email: string): Promise<UserView | null> {
    const user = await this.users.findByEmail(email);
    return user ? toUserView(user) : null;
  }

  /**
   * Same answer and about the same time whether the email is unknown or the password wrong.
   * `beforeCheck` gets the account key (the user id when the email matched a user, as the
   * database compares it, else the typed email) before the password is checked.
   */
  async verifyCredentials(email: string, password: string, beforeCheck?: (account: string) => Promise<void>): Promise<UserView> {
    const user = await this.users.findByEmail(email);
    await beforeCheck?.(user ? `user:${user.id}` : `email:${email.toLowerCase()}`);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok) throw new DomainError('InvalidCredentials', INVALID_CREDENTIALS);
    return toUserView(user);
  }

  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) {
      throw new DomainError('InvalidCredentials', 'the current password is wrong');
    }
    await this.users.setPasswordHash(userId, await hashPassword(newPassword));
  }

  count(): Promise<number> {
    return this.users.count();
  }
}
