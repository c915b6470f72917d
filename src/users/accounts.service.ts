import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AccessTokensService } from '../access-tokens/access-tokens.service.js';
import { AuditService } from '../audit/audit.service.js';
import type { ClientInfo } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { hashPassword } from '../common/crypto/password-hasher.js';
import { RateLimiterService } from '../common/rate-limit/rate-limiter.service.js';
import { isUniqueViolation } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { OrganizationsService, type OrganizationView } from '../organizations/organizations.service.js';
import { InstanceStateRepository } from './instance-state.repository.js';
import { UsersService, type UserView } from './users.service.js';

export const SESSION_TTL_SECONDS = 12 * 3600;

/** Who asks for the bootstrap: the `x-bootstrap-token` header, and whether the caller is this machine. */
export interface BootstrapCaller {
  token: string | undefined;
  /** The TCP peer is a loopback address and no proxy header says the request came from elsewhere. */
  local: boolean;
}

/** Equal strings, compared in constant time (through their digests, so lengths leak nothing either). */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export interface Session {
  accessToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

/** Dashboard accounts: bootstrap, session login/logout, password change. */
@Injectable()
export class AccountsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsService.name);
  /** Without BOOTSTRAP_TOKEN: made at start while no user exists, logged once, gone after the bootstrap. */
  private oneTimeToken: string | undefined;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly instanceState: InstanceStateRepository,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly tokens: AccessTokensService,
    private readonly audit: AuditService,
    private readonly limiter: RateLimiterService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** BOOTSTRAP_* variables create the first admin at start when no user exists yet. */
  async onApplicationBootstrap(): Promise<void> {
    const { bootstrapEmail, bootstrapPassword, bootstrapOrganization } = this.config;
    if (!bootstrapEmail || !bootstrapPassword || !bootstrapOrganization) return this.offerOneTimeToken();
    try {
      await this.bootstrap({ email: bootstrapEmail, password: bootstrapPassword, organization: bootstrapOrganization }, { ip: 'env', userAgent: null });
      this.logger.log(`bootstrapped from the environment: ${bootstrapEmail}`);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'AlreadyBootstrapped')) throw error;
    }
  }

  /**
   * Without BOOTSTRAP_TOKEN and while no user exists, a one-time token lets an operator bootstrap
   * from elsewhere than this machine. It is the one secret the service logs, on purpose: whoever
   * reads this process's logs already runs it.
   */
  private async offerOneTimeToken(): Promise<void> {
    if (this.config.bootstrapToken || (await this.users.count()) > 0) return;
    this.oneTimeToken = randomBytes(24).toString('base64url');
    this.logger.warn(
      `not bootstrapped yet: POST /api/v1/admin/bootstrap is accepted from this machine (loopback), or from anywhere with the header "x-bootstrap-token: ${this.oneTimeToken}" (a one-time token of this process; set BOOTSTRAP_TOKEN to choose your own)`,
    );
  }

  async isBootstrapped(): Promise<boolean> {
    return (await this.users.count()) > 0;
  }

  /**
   * Who may bootstrap (docs/api.md): with BOOTSTRAP_TOKEN, whoever sends it; without, this machine
   * (loopback) or whoever sends the one-time token this process logged. Once a user exists the
   * answer is 409 AlreadyBootstrapped for everyone, which `GET /api/v1/admin/bootstrap` says anyway.
   */
  async bootstrapAs(caller: BootstrapCaller, input: { email: string; password: string; organization: string }, client: ClientInfo): Promise<{ user: UserView; organization: OrganizationView; accessToken: string }> {
    if (await this.isBootstrapped()) throw alreadyBootstrapped();
    const { bootstrapToken } = this.config;
    const allowed = bootstrapToken ? sameSecret(caller.token, bootstrapToken) : caller.local || (this.oneTimeToken !== undefined && sameSecret(caller.token, this.oneTimeToken));
    if (!allowed) {
      await this.audit.record({ event: 'instance.bootstrapped', outcome: 'failure', errorCode: 'PermissionDenied', orgId: null, actor: { kind: 'anonymous' }, client, metadata: { email: input.email } });
      throw new DomainError(
        'PermissionDenied',
        bootstrapToken
          ? 'bootstrap needs the x-bootstrap-token header with the value of BOOTSTRAP_TOKEN'
          : 'bootstrap is accepted from the machine the service runs on (loopback), or with the x-bootstrap-token header holding the one-time token in the service log, or set BOOTSTRAP_TOKEN',
      );
    }
    const result = await this.bootstrap(input, client);
    this.oneTimeToken = undefined;
    return result;
  }

  /**
   * Creates the super admin and the first organization, only while no user exists. The
   * `bootstrapped` primary key makes concurrent calls (even across replicas) have one winner.
   */
  async bootstrap(input: { email: string; password: string; organization: string }, client: ClientInfo): Promise<{ user: UserView; organization: OrganizationView; accessToken: string }> {
    if ((await this.users.count()) > 0) throw alreadyBootstrapped();
    const passwordHash = await hashPassword(input.password);
    let created: { user: UserView; organization: OrganizationView };
    try {
      created = await this.uow.transaction(async () => {
        await this.instanceState.insertOnce('bootstrapped', new Date().toISOString());
        if ((await this.users.count()) > 0) throw alreadyBootstrapped();
        const user = await this.users.create(input.email, passwordHash, true);
        const organization = await this.organizations.createWithAdmin(input.organization, user.id);
        return { user, organization };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyBootstrapped();
      throw error;
    }
    const session = await this.issueSession(created.user.id, client);
    await this.audit.record({ event: 'instance.bootstrapped', outcome: 'success', orgId: null, actor: { kind: 'user', userId: created.user.id }, client, metadata: { email: created.user.email, organizationId: created.organization.id } });
    return { ...created, accessToken: session.accessToken };
  }

  async login(email: string, password: string, client: ClientInfo): Promise<Session> {
    let user: UserView;
    // The back-off is keyed by the account the database matched, so spelling variants its
    // collation treats as equal (case, accents on MySQL) share one counter.
    let account = `email:${email}`;
    try {
      user = await this.users.verifyCredentials(email, password, async (key) => {
        account = key;
        await this.limiter.assertNotLockedOut(key);
      });
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'RateLimited') {
        if (error.code === 'InvalidCredentials') await this.limiter.recordFailure(account);
        await this.audit.record({ event: 'auth.login', outcome: 'failure', errorCode: error.code, orgId: null, actor: { kind: 'anonymous' }, client, metadata: { email } });
      }
      throw error;
    }
    await this.limiter.recordSuccess(account);
    const session = await this.issueSession(user.id, client);
    await this.audit.record({ event: 'auth.login', outcome: 'success', orgId: null, actor: { kind: 'user', userId: user.id }, client, metadata: { email: user.email } });
    return session;
  }

  async logout(principal: Principal, client: ClientInfo): Promise<void> {
    await this.tokens.revoke(principal.tokenId);
    if (principal.kind === 'user') {
      await this.audit.record({ event: 'auth.logout', outcome: 'success', orgId: null, actor: principal, client });
    }
  }

  /** Changes the caller's password and ends every other session of theirs. */
  async changePassword(principal: Principal, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
    if (principal.kind !== 'user') throw new DomainError('PermissionDenied', 'only users have a password');
    try {
      await this.users.changePassword(principal.userId, currentPassword, newPassword);
    } catch (error) {
      if (error instanceof DomainError) {
        await this.audit.record({ event: 'user.password-changed', outcome: 'failure', errorCode: error.code, orgId: null, actor: principal, client });
      }
      throw error;
    }
    const sessions = await this.tokens.revokeOtherSessions(principal.userId, principal.tokenId);
    await this.audit.record({ event: 'user.password-changed', outcome: 'success', orgId: null, actor: principal, client, metadata: { revokedSessions: sessions } });
  }

  private async issueSession(userId: string, client: ClientInfo): Promise<Session> {
    const issued = await this.tokens.issue({
      userId,
      orgId: null,
      authConfigId: null,
      authMethod: 'session',
      ttl: SESSION_TTL_SECONDS,
      maxTtl: SESSION_TTL_SECONDS,
      numUsesLimit: 0,
      clientIp: client.ip,
      subject: null,
      trustedIps: null,
    });
    return { accessToken: issued.accessToken, expiresIn: issued.expiresIn, tokenType: 'Bearer' };
  }
}

function alreadyBootstrapped(): DomainError {
  return new DomainError('AlreadyBootstrapped', 'this instance is already bootstrapped: log in instead');
}
