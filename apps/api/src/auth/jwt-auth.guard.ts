import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode, ProblemException } from '../common/problem';
import { IS_PUBLIC } from '../common/public.decorator';
import { AuthFailureThrottle } from '../throttling/auth-failure-throttle';
import { AuthenticatedRequest } from './current-user.decorator';
import { TokenService } from './token.service';

const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/i;

/**
 * Deny by default: every route needs a valid access token unless it is marked `@Public()`. A plain guard over this
 * app's TokenService rather than a Passport strategy: Passport keeps strategies in a process-wide registry, so a
 * second app in the same process (tests, workers embedding the api) would verify against the first one's database.
 * Failures count against the caller's address, which is refused for a while once it fails too often.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly failures: AuthFailureThrottle,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    await this.failures.assertNotBlocked(request.ip);
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    const user = token ? await this.tokens.authenticate(token) : undefined;
    if (!user) {
      await this.failures.record(request.ip);
      throw new ProblemException(
        HttpStatus.UNAUTHORIZED,
        ErrorCode.Unauthorized,
        token
          ? 'Access token is invalid, expired or its session has ended'
          : 'Send Authorization: Bearer <access token>',
        { headers: { 'WWW-Authenticate': 'Bearer' } },
      );
    }
    request.user = user;
    return true;
  }
}
