import { CanActivate, ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ErrorCode, ProblemException } from '../common/problem';
import { IS_PUBLIC } from '../common/public.decorator';
import { AuthFailureThrottle, tooManyAuthFailures } from '../throttling/auth-failure-throttle';
import { AuthenticatedRequest } from './current-user.decorator';
import { TokenService } from './token.service';

const BEARER = /^Bearer ([A-Za-z0-9_.-]+)$/i;

/**
 * Deny by default: every route needs a valid access token unless it is marked `@Public()`. A plain guard over this
 * app's TokenService rather than a Passport strategy: Passport keeps strategies in a process-wide registry, so a
 * second app in the same process (tests, workers embedding the api) would verify against the first one's database.
 * Failures count against the caller's address, which is refused for a while once it fails too often, whatever it
 * presents then.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  private readonly publicRoutes = new Map<unknown, Map<unknown, boolean>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly failures: AuthFailureThrottle,
  ) {}

  /** Synchronous for public routes: no promise to make and await on every health probe. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.isPublic(context) || this.authenticate(context);
  }

  private async authenticate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    // Side by side, so that both Redis reads leave in one round trip (the api's connection pipelines them).
    const [retryAfter, user] = await Promise.all([
      this.failures.blockedFor(request.ip),
      token ? this.tokens.authenticate(token) : undefined,
    ]);
    if (retryAfter > 0) throw tooManyAuthFailures(retryAfter);
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

  /** Decorators do not change once the app runs: looked up once per route handler, not on every request. */
  private isPublic(context: ExecutionContext): boolean {
    const [controller, handler] = [context.getClass(), context.getHandler()];
    let handlers = this.publicRoutes.get(controller);
    if (!handlers) this.publicRoutes.set(controller, (handlers = new Map<unknown, boolean>()));
    let isPublic = handlers.get(handler);
    if (isPublic === undefined) {
      isPublic = Boolean(this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]));
      handlers.set(handler, isPublic);
    }
    return isPublic;
  }
}
