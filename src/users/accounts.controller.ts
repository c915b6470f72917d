import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Client, type ClientInfo, CurrentPrincipal, Public } from '../common/auth/decorators.js';
import type { Principal } from '../common/auth/principal.js';
import { ApiErrors } from '../common/http/api-errors.decorator.js';
import { RateLimited } from '../common/rate-limit/rate-limit.guard.js';
import { AccountsService } from './accounts.service.js';
import { BootstrapDto, ChangePasswordDto, LoginDto, MessageDto, SessionDto } from './dto/account.dto.js';
import { BootstrapResponseDto, BootstrapStatusDto } from './dto/bootstrap-response.dto.js';
import { bootstrapCaller } from './bootstrap-caller.js';

@ApiTags('accounts')
@Controller('api/v1')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Public()
  @Post('admin/bootstrap')
  @RateLimited('account')
  @HttpCode(200)
  @ApiOperation({ operationId: 'bootstrap', summary: 'Create the first (super) admin and organization; only while no user exists' })
  @ApiOkResponse({ type: BootstrapResponseDto })
  @ApiHeader({ name: 'x-bootstrap-token', required: false, description: 'BOOTSTRAP_TOKEN, or the one-time token the service logged at start; not needed from the machine itself (loopback) when BOOTSTRAP_TOKEN is unset' })
  @ApiErrors('ValidationError', 'RateLimited', 'PermissionDenied', 'AlreadyBootstrapped')
  bootstrap(@Body() body: BootstrapDto, @Req() request: FastifyRequest, @Client() client: ClientInfo): Promise<BootstrapResponseDto> {
    return this.accounts.bootstrapAs(bootstrapCaller(request), body, client);
  }

  @Public()
  @Get('admin/bootstrap')
  @ApiOperation({ operationId: 'getBootstrapStatus', summary: 'Whether the instance has its first admin (the console shows its first-run screen while not)' })
  @ApiOkResponse({ type: BootstrapStatusDto })
  async bootstrapStatus(): Promise<BootstrapStatusDto> {
    return { bootstrapped: await this.accounts.isBootstrapped() };
  }

  @Public()
  @Post('auth/login')
  @RateLimited('account')
  @HttpCode(200)
  @ApiOperation({ operationId: 'loginWithPassword', summary: 'Dashboard session login (12 h)' })
  @ApiOkResponse({ type: SessionDto })
  @ApiErrors('ValidationError', 'RateLimited', 'InvalidCredentials')
  login(@Body() body: LoginDto, @Client() client: ClientInfo): Promise<SessionDto> {
    return this.accounts.login(body.email, body.password, client);
  }

  @ApiBearerAuth()
  @Post('auth/logout')
  @HttpCode(200)
  @ApiOperation({ operationId: 'logout', summary: 'Revoke the calling session' })
  @ApiOkResponse({ type: MessageDto })
  @ApiErrors('Unauthorized', 'InvalidAccessToken', 'AccessTokenRevoked', 'AccessTokenExpired')
  async logout(@CurrentPrincipal() principal: Principal, @Client() client: ClientInfo): Promise<MessageDto> {
    await this.accounts.logout(principal, client);
    return { message: 'Successfully logged out' };
  }

  @ApiBearerAuth()
  @Post('users/me/password')
  @HttpCode(200)
  @ApiOperation({ operationId: 'changePassword', summary: 'Change the caller’s password; ends their other sessions' })
  @ApiOkResponse({ type: MessageDto })
  @ApiErrors('ValidationError', 'Unauthorized', 'InvalidCredentials', 'PermissionDenied')
  async changePassword(@CurrentPrincipal() principal: Principal, @Body() body: ChangePasswordDto, @Client() client: ClientInfo): Promise<MessageDto> {
    await this.accounts.changePassword(principal, body.currentPassword, body.newPassword, client);
    return { message: 'Password changed' };
  }
}
